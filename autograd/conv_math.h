// The per-element math of convolution as im2col + GEMM, written once for both devices: the CUDA
// kernels of autograd/cuda/conv.cu call these, one element per thread; tests hold them against the
// CPU's loops (autograd/conv.cpp).
//
// For one image, the column matrix `col` has a row per (input channel c, kernel tap ki, kj) and a
// column per output pixel (oh, ow):
//   col[(c·kh + ki)·kw + kj, oh·OW + ow] = x[c, oh·sh - ph + ki·dh, ow·sw - pw + kj·dw]   (0 outside)
// col2im is its adjoint: each input pixel gathers every col entry that was read from it.
#pragma once
#include <cstdint>

#include "tensor/cuda/host_device.h"  // EASEL_HD

namespace easel::math {

// Everything a kernel needs to know about one convolution (a plain struct: it is copied to the GPU).
struct ConvShape {
  int64_t N, C, H, W;      // input
  int64_t O, OH, OW;       // output
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  int64_t groups, Cg, Og;  // channels per group
  EASEL_HD int64_t taps() const { return kh * kw; }
  EASEL_HD int64_t col_rows() const { return Cg * kh * kw; }  // K of one group's GEMM
  EASEL_HD int64_t pixels() const { return OH * OW; }
};

// col entry (row, p) of one image's channels x [C', H, W] (any C' ≥ the row's channel).
template <class T>
EASEL_HD T im2col_at(const ConvShape& s, const T* x, int64_t row, int64_t p) {
  const int64_t c = row / s.taps(), ki = row / s.kw % s.kh, kj = row % s.kw;
  const int64_t ih = p / s.OW * s.sh - s.ph + ki * s.dh, iw = p % s.OW * s.sw - s.pw + kj * s.dw;
  return ih >= 0 && ih < s.H && iw >= 0 && iw < s.W ? x[(c * s.H + ih) * s.W + iw] : T(0);
}

// Σ of the col entries read from input pixel (c, ih, iw), col [C'·kh·kw, OH·OW] of one image:
// tap (ki, kj) read it for output row oh = (ih + ph - ki·dh) / sh when that divides exactly.
template <class T>
EASEL_HD T col2im_at(const ConvShape& s, const T* col, int64_t c, int64_t ih, int64_t iw) {
  double acc = 0;
  for (int64_t ki = 0; ki < s.kh; ++ki) {
    const int64_t th = ih + s.ph - ki * s.dh;
    if (th < 0 || th % s.sh != 0 || th / s.sh >= s.OH) continue;
    for (int64_t kj = 0; kj < s.kw; ++kj) {
      const int64_t tw = iw + s.pw - kj * s.dw;
      if (tw < 0 || tw % s.sw != 0 || tw / s.sw >= s.OW) continue;
      acc += double(col[((c * s.kh + ki) * s.kw + kj) * s.pixels() + th / s.sh * s.OW + tw / s.sw]);
    }
  }
  return T(acc);
}

}  // namespace easel::math
