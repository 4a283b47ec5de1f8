// Depthwise convolution: see conv_depthwise.h for the sums and the two layouts.
#include "autograd/conv_depthwise.h"

#include <algorithm>

#include "tensor/allocator.h"
#include "tensor/parallel.h"

namespace easel {

namespace {

// ---- rows -------------------------------------------------------------------------------------

// Calls tap(ki, kj, oh, ih, ow_lo, ow_hi, iw_offset) for every (tap, output row) that reads inside
// the input: outputs [ow_lo, ow_hi) of row oh read input row ih at columns ow·sw + iw_offset.
template <class F>
void for_each_tap_row(const DepthwiseShape& s, F&& tap) {
  for (int64_t ki = 0; ki < s.kh; ++ki)
    for (int64_t oh = 0; oh < s.OH; ++oh) {
      const int64_t ih = oh * s.sh - s.ph + ki * s.dh;
      if (ih < 0 || ih >= s.H) continue;
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        const int64_t off = kj * s.dw - s.pw;
        // hi: the outputs whose tap stays left of W (none when off ≥ W: / truncates towards zero)
        const int64_t lo = off >= 0 ? 0 : (-off + s.sw - 1) / s.sw,
                      hi = off >= s.W ? 0 : std::min(s.OW, (s.W - 1 - off) / s.sw + 1);
        if (lo < hi) tap(ki, kj, oh, ih, lo, hi, off);
      }
    }
}

// ---- plane ------------------------------------------------------------------------------------

// The zero-padded copy of one input plane, Wp = W + 2·pw wide, with (kw - 1)·dw zeros after it
// (the last wide row's discarded columns read that far past the padded plane).
struct Plane {
  int64_t Wp, rows, size;  // width, padded rows, elements with the tail
  explicit Plane(const DepthwiseShape& s)
      : Wp(s.W + 2 * s.pw), rows(s.H + 2 * s.ph), size(rows * Wp + (s.kw - 1) * s.dw) {}
};

template <class T>
void pad_plane(const DepthwiseShape& s, const Plane& p, const T* x, T* xp) {
  std::fill(xp, xp + p.size, T(0));
  for (int64_t h = 0; h < s.H; ++h) std::copy(x + h * s.W, x + (h + 1) * s.W, xp + (h + s.ph) * p.Wp + s.pw);
}

}  // namespace

template <class T>
void depthwise_forward_rows(const DepthwiseShape& s, const T* x, const T* w, const T* b, T* y) {
  parallel_for(s.N * s.O(), [&](int64_t no) {
    const int64_t n = no / s.O(), o = no % s.O();
    const T* xc = x + (n * s.C + o / s.m) * s.H * s.W;
    const T* wo = w + o * s.kh * s.kw;
    T* yo = y + no * s.OH * s.OW;
    std::fill(yo, yo + s.OH * s.OW, b ? b[o] : T(0));
    for_each_tap_row(s, [&](int64_t ki, int64_t kj, int64_t oh, int64_t ih, int64_t lo, int64_t hi, int64_t off) {
      const T wv = wo[ki * s.kw + kj];
      const T* xr = xc + ih * s.W + off;
      T* yr = yo + oh * s.OW;
      if (s.sw == 1) {
#pragma omp simd
        for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[ow];
      } else {
        for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[ow * s.sw];
      }
    });
  }, s.OH * s.OW * s.kh * s.kw);
}

template <class T>
void depthwise_backward_rows(const DepthwiseShape& s, const T* x, const T* w, const T* gy, T* gx, T* gw) {
  parallel_for(s.C, [&](int64_t c) {  // an input channel and its m outputs: no two threads share a write
    for (int64_t o = c * s.m; o < (c + 1) * s.m; ++o)
      for (int64_t n = 0; n < s.N; ++n) {
        const T* xc = x + (n * s.C + c) * s.H * s.W;
        const T* go = gy + (n * s.O() + o) * s.OH * s.OW;
        T* gxc = gx ? gx + (n * s.C + c) * s.H * s.W : nullptr;
        for_each_tap_row(s, [&](int64_t ki, int64_t kj, int64_t oh, int64_t ih, int64_t lo, int64_t hi, int64_t off) {
          const T* gr = go + oh * s.OW;
          if (gw) {
            const T* xr = xc + ih * s.W + off;
            T acc = 0;
#pragma omp simd reduction(+ : acc)
            for (int64_t ow = lo; ow < hi; ++ow) acc += gr[ow] * xr[ow * s.sw];
            gw[o * s.kh * s.kw + ki * s.kw + kj] += acc;
          }
          if (gxc) {
            const T wv = w[o * s.kh * s.kw + ki * s.kw + kj];
            T* xr = gxc + ih * s.W + off;
            if (s.sw == 1) {
#pragma omp simd
              for (int64_t ow = lo; ow < hi; ++ow) xr[ow] += wv * gr[ow];
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) xr[ow * s.sw] += wv * gr[ow];
            }
          }
        });
      }
  }, s.N * s.OH * s.OW * s.kh * s.kw * s.m);
}

template <class T>
void depthwise_forward_plane(const DepthwiseShape& s, const T* x, const T* w, const T* b, T* y) {
  const Plane p(s);
  const int64_t wide = s.OH * p.Wp;
  const PerThread<T> buffers(p.size + wide);  // xp, acc
  parallel_for(s.N * s.C, [&](int64_t nc) {  // one padded input plane serves its m outputs
    const int64_t n = nc / s.C, c = nc % s.C;
    T *const xp = buffers.mine(), *const acc = xp + p.size;
    pad_plane(s, p, x + nc * s.H * s.W, xp);
    for (int64_t o = c * s.m; o < (c + 1) * s.m; ++o) {
      std::fill(acc, acc + wide, b ? b[o] : T(0));
      for (int64_t ki = 0; ki < s.kh; ++ki)
        for (int64_t kj = 0; kj < s.kw; ++kj) {
          const T wv = w[(o * s.kh + ki) * s.kw + kj];
          const T* src = xp + ki * s.dh * p.Wp + kj * s.dw;
#pragma omp simd
          for (int64_t i = 0; i < wide; ++i) acc[i] += wv * src[i];
        }
      T* yo = y + (n * s.O() + o) * s.OH * s.OW;
      for (int64_t oh = 0; oh < s.OH; ++oh) std::copy(acc + oh * p.Wp, acc + oh * p.Wp + s.OW, yo + oh * s.OW);
    }
  }, s.m * wide * s.kh * s.kw);
}

template <class T>
void depthwise_backward_plane(const DepthwiseShape& s, const T* x, const T* w, const T* gy, T* gx, T* gw) {
  const Plane p(s);
  const int64_t wide = s.OH * p.Wp;
  const PerThread<T> buffers(2 * p.size + wide);  // xp, gxp, gyw
  parallel_for(s.C, [&](int64_t c) {  // an input channel and its m outputs: no two threads share a write
    T *const xp = buffers.mine(), *const gxp = xp + p.size, *const gyw = gxp + p.size;
    for (int64_t n = 0; n < s.N; ++n) {
      if (gw) pad_plane(s, p, x + (n * s.C + c) * s.H * s.W, xp);
      if (gx) std::fill(gxp, gxp + p.size, T(0));
      for (int64_t o = c * s.m; o < (c + 1) * s.m; ++o) {
        // gy on the wide grid: zero in the discarded columns, so they add nothing below
        std::fill(gyw, gyw + wide, T(0));
        const T* go = gy + (n * s.O() + o) * s.OH * s.OW;
        for (int64_t oh = 0; oh < s.OH; ++oh) std::copy(go + oh * s.OW, go + (oh + 1) * s.OW, gyw + oh * p.Wp);
        for (int64_t ki = 0; ki < s.kh; ++ki)
          for (int64_t kj = 0; kj < s.kw; ++kj) {
            const int64_t shift = ki * s.dh * p.Wp + kj * s.dw, tap = (o * s.kh + ki) * s.kw + kj;
            const T* g = gyw;
            if (gw) {  // gw[tap] += Σ_i gy_wide[i] · xp[i + shift]
              const T* src = xp + shift;
              T sum = 0;
#pragma omp simd reduction(+ : sum)
              for (int64_t i = 0; i < wide; ++i) sum += g[i] * src[i];
              gw[tap] += sum;
            }
            if (gx) {  // gxp[i + shift] += w[tap] · gy_wide[i]
              const T wv = w[tap];
              T* dst = gxp + shift;
#pragma omp simd
              for (int64_t i = 0; i < wide; ++i) dst[i] += wv * g[i];
            }
          }
      }
      if (gx) {  // the padded plane's interior back into gx
        T* gxc = gx + (n * s.C + c) * s.H * s.W;
        for (int64_t h = 0; h < s.H; ++h) {
          const T* src = gxp + (h + s.ph) * p.Wp + s.pw;
          for (int64_t q = 0; q < s.W; ++q) gxc[h * s.W + q] += src[q];
        }
      }
    }
  }, s.N * s.m * wide * s.kh * s.kw);
}

#define EASEL_DEPTHWISE(T)                                                                                        \
  template void depthwise_forward_rows<T>(const DepthwiseShape&, const T*, const T*, const T*, T*);               \
  template void depthwise_forward_plane<T>(const DepthwiseShape&, const T*, const T*, const T*, T*);              \
  template void depthwise_backward_rows<T>(const DepthwiseShape&, const T*, const T*, const T*, T*, T*);          \
  template void depthwise_backward_plane<T>(const DepthwiseShape&, const T*, const T*, const T*, T*, T*);
EASEL_DEPTHWISE(float)
EASEL_DEPTHWISE(double)

}  // namespace easel
