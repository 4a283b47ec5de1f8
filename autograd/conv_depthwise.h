// Depthwise convolution (one input channel per group, any channel multiplier m) as direct loops:
// im2col + a one-row GEMM per channel would spend all its time unfolding.
//
//   y[n, o] = b[o] + Σ_ki,kj w[o, ki, kj] · x[n, o/m] shifted by the tap     (o = c·m + j)
//   gx[n, c] = Σ_o∈c Σ_ki,kj w[o, ki, kj] · gy[n, o] shifted back,   gw[o, ki, kj] = Σ_n gy[n, o] · x[n, o/m] shifted
//
// Two implementations of the same sums, and the plain definition (autograd/conv_reference.h) the
// tests hold both against:
// - rows: any stride / padding / dilation; per output row, each tap adds a shifted input row.
// - plane (stride 1): the input channel is copied once into a zero-padded plane of width
//   Wp = W + 2·pw, and the outputs are computed on a "wide" grid of OH rows × Wp columns, where
//   every tap is ONE contiguous multiply-add over the whole plane, shifted by ki·dh·Wp + kj·dw:
//     acc[i] += w[ki, kj] · xp[i + ki·dh·Wp + kj·dw]      i ∈ [0, OH·Wp)
//   The columns ow ≥ OW of the wide grid ((kw - 1)·dw of every Wp) are discarded. EfficientNet's
//   7×7 and 14×14 maps turn from rows of 7 into runs of ~60, which vectorise. (The weight gradient
//   sums over the discarded columns too, with gy = 0 there: an infinite input pixel that only
//   discarded outputs read makes it NaN where the row loops stay finite. Without dilation every
//   pixel also feeds a kept output, whose value is then infinite anyway, so conv2d takes this
//   form for stride 1 and dilation 1 only.)
#pragma once
#include <cstdint>

namespace easel {

struct DepthwiseShape {
  int64_t N, C, H, W;       // input
  int64_t m;                // outputs per input channel: O = C·m
  int64_t OH, OW;           // output
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  int64_t O() const { return C * m; }
};

// y [N, O, OH, OW] from x [N, C, H, W], w [O, 1, kh, kw], b [O] (may be null). Overwrites y.
template <class T>
void depthwise_forward_rows(const DepthwiseShape& s, const T* x, const T* w, const T* b, T* y);
template <class T>
void depthwise_forward_plane(const DepthwiseShape& s, const T* x, const T* w, const T* b, T* y);  // stride 1

// gx [N, C, H, W] += ∂L/∂x and gw [O, 1, kh, kw] += ∂L/∂w from gy [N, O, OH, OW]; either may be null.
template <class T>
void depthwise_backward_rows(const DepthwiseShape& s, const T* x, const T* w, const T* gy, T* gx, T* gw);
template <class T>
void depthwise_backward_plane(const DepthwiseShape& s, const T* x, const T* w, const T* gy, T* gx, T* gw);  // stride 1

}  // namespace easel
