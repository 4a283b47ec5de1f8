// The per-output math of pooling, written once for both devices: the CPU loops of autograd/pool.cpp
// and the CUDA kernels of autograd/cuda/pool.cu call these. Planes are [H, W]; an output (oh, ow)
// pools the window of rows oh·sh - ph + i·dh (i < kh) and the same for columns.
// The backward passes here *gather*: each input pixel sums what the outputs that read it send back
// (a GPU thread per pixel writes only its own pixel, no atomics; the CPU scatters instead).
#pragma once
#include <cmath>
#include <cstdint>

#include "tensor/cuda/host_device.h"  // EASEL_HD

namespace easel::math {

// One pooling's geometry (a plain struct: it is copied to the GPU).
struct PoolShape {
  int64_t H, W, OH, OW;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  bool count_include_pad;  // average pooling: divide by the padded window size
};

// The maximum of window (oh, ow) and, in *arg, the flat index h·W + w of its first maximal element
// (a NaN wins: the last one, as in PyTorch's CPU loop).
// A window wholly in the padding (possible with dilation) has maximum -∞ and no index (*arg = -1).
template <class T>
EASEL_HD T max_window(const PoolShape& s, const T* plane, int64_t oh, int64_t ow, int64_t* arg) {
  T best = T(-INFINITY);
  *arg = -1;
  for (int64_t i = 0; i < s.kh; ++i) {
    const int64_t ih = oh * s.sh - s.ph + i * s.dh;
    if (ih < 0 || ih >= s.H) continue;
    for (int64_t j = 0; j < s.kw; ++j) {
      const int64_t iw = ow * s.sw - s.pw + j * s.dw;
      if (iw < 0 || iw >= s.W) continue;
      const T v = plane[ih * s.W + iw];
      if (*arg < 0 || v > best || v != v) best = v, *arg = ih * s.W + iw;
    }
  }
  return best;
}

// Window (oh, ow) of an average pooling clipped to the input, rows [h0, h1) and columns [w0, w1),
// and its divisor (the padded or the clipped size).
EASEL_HD inline double avg_window(const PoolShape& s, int64_t oh, int64_t ow, int64_t* h0, int64_t* h1, int64_t* w0,
                                  int64_t* w1) {
  const int64_t hs = oh * s.sh - s.ph, ws = ow * s.sw - s.pw;
  const int64_t he = hs + s.kh < s.H + s.ph ? hs + s.kh : s.H + s.ph, we = ws + s.kw < s.W + s.pw ? ws + s.kw : s.W + s.pw;
  const int64_t padded = (he - hs) * (we - ws);
  *h0 = hs > 0 ? hs : 0, *w0 = ws > 0 ? ws : 0;
  *h1 = he < s.H ? he : s.H, *w1 = we < s.W ? we : s.W;
  return double(s.count_include_pad ? padded : (*h1 - *h0) * (*w1 - *w0));
}

template <class T>
EASEL_HD T avg_window_mean(const PoolShape& s, const T* plane, int64_t oh, int64_t ow) {
  int64_t h0, h1, w0, w1;
  const double div = avg_window(s, oh, ow, &h0, &h1, &w0, &w1);
  double acc = 0;
  for (int64_t i = h0; i < h1; ++i)
    for (int64_t j = w0; j < w1; ++j) acc += double(plane[i * s.W + j]);
  return T(acc / div);
}

// Adaptive pooling's bin i of n over `in` values: [⌊i·in/n⌋, ⌈(i+1)·in/n⌉).
EASEL_HD inline void adaptive_bin(int64_t i, int64_t in, int64_t n, int64_t* start, int64_t* end) {
  *start = i * in / n;
  *end = ((i + 1) * in + n - 1) / n;
}

// Output (oh, ow)'s adaptive window [h0, h1) × [w0, w1); returns its size, the divisor.
EASEL_HD inline double adaptive_window(const PoolShape& s, int64_t oh, int64_t ow, int64_t* h0, int64_t* h1,
                                       int64_t* w0, int64_t* w1) {
  adaptive_bin(oh, s.H, s.OH, h0, h1);
  adaptive_bin(ow, s.W, s.OW, w0, w1);
  return double((*h1 - *h0) * (*w1 - *w0));
}

template <class T>
EASEL_HD T adaptive_mean(const PoolShape& s, const T* plane, int64_t oh, int64_t ow) {
  int64_t h0, h1, w0, w1;
  const double div = adaptive_window(s, oh, ow, &h0, &h1, &w0, &w1);
  double acc = 0;
  for (int64_t a = h0; a < h1; ++a)
    for (int64_t b = w0; b < w1; ++b) acc += double(plane[a * s.W + b]);
  return T(acc / div);
}

// The output rows whose window tap i reads input row ih: oh = (ih + ph - i·dh) / sh when exact.
EASEL_HD inline int64_t window_row(int64_t ih, int64_t i, int64_t p, int64_t d, int64_t s, int64_t out) {
  const int64_t t = ih + p - i * d;
  return t >= 0 && t % s == 0 && t / s < out ? t / s : -1;
}

// gx at pixel (ih, iw): Σ gy over the outputs whose maximum was this pixel (idx from max_window).
template <class T>
EASEL_HD T max_pool_grad_at(const PoolShape& s, const T* gy, const int64_t* idx, int64_t ih, int64_t iw) {
  double acc = 0;
  for (int64_t i = 0; i < s.kh; ++i) {
    const int64_t oh = window_row(ih, i, s.ph, s.dh, s.sh, s.OH);
    if (oh < 0) continue;
    for (int64_t j = 0; j < s.kw; ++j) {
      const int64_t ow = window_row(iw, j, s.pw, s.dw, s.sw, s.OW);
      if (ow >= 0 && idx[oh * s.OW + ow] == ih * s.W + iw) acc += double(gy[oh * s.OW + ow]);
    }
  }
  return T(acc);
}

// gx at pixel (ih, iw): Σ gy / divisor over the average windows that contain it.
template <class T>
EASEL_HD T avg_pool_grad_at(const PoolShape& s, const T* gy, int64_t ih, int64_t iw) {
  double acc = 0;
  for (int64_t i = 0; i < s.kh; ++i) {
    const int64_t oh = window_row(ih, i, s.ph, 1, s.sh, s.OH);
    if (oh < 0) continue;
    for (int64_t j = 0; j < s.kw; ++j) {
      const int64_t ow = window_row(iw, j, s.pw, 1, s.sw, s.OW);
      if (ow < 0) continue;
      int64_t h0, h1, w0, w1;
      acc += double(gy[oh * s.OW + ow]) / avg_window(s, oh, ow, &h0, &h1, &w0, &w1);
    }
  }
  return T(acc);
}

// The bins [lo, hi] that contain input index i: start(o) ≤ i ⇔ o < (i+1)·n/in, and
// end(o) > i ⇔ o ≥ ⌊i·n/in⌋.
EASEL_HD inline void adaptive_bins_of(int64_t i, int64_t in, int64_t n, int64_t* lo, int64_t* hi) {
  *lo = i * n / in;
  *hi = ((i + 1) * n + in - 1) / in - 1;
  if (*hi > n - 1) *hi = n - 1;
}

// gx at pixel (ih, iw): Σ gy / bin size over the adaptive bins that contain it.
template <class T>
EASEL_HD T adaptive_grad_at(const PoolShape& s, const T* gy, int64_t ih, int64_t iw) {
  int64_t oh0, oh1, ow0, ow1;
  adaptive_bins_of(ih, s.H, s.OH, &oh0, &oh1);
  adaptive_bins_of(iw, s.W, s.OW, &ow0, &ow1);
  double acc = 0;
  for (int64_t oh = oh0; oh <= oh1; ++oh)
    for (int64_t ow = ow0; ow <= ow1; ++ow) {
      int64_t h0, h1, w0, w1;
      const double div = adaptive_window(s, oh, ow, &h0, &h1, &w0, &w1);
      if (ih >= h0 && ih < h1 && iw >= w0 && iw < w1) acc += double(gy[oh * s.OW + ow]) / div;
    }
  return T(acc);
}

}  // namespace easel::math
