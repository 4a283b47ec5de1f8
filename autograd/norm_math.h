// The per-channel and per-element math of batch normalisation, written once for both devices: the
// CPU loops of autograd/norm.cpp and the CUDA kernels of autograd/cuda/norm.cu call these.
// x is [N, C, S] (S = the spatial size); channel c's M = N·S values are x[(n·C + c)·S + i].
#pragma once
#include <cmath>
#include <cstdint>

#include "tensor/cuda/host_device.h"  // EASEL_HD

// On the CPU the per-channel sums run as vector reductions (several partial sums, added at the
// end: a different order from the serial loop, still in double); the device compiler skips this.
#if defined(__CUDACC__)
#define EASEL_SIMD_SUM(a)
#define EASEL_SIMD_SUM2(a, b)
#else
#define EASEL_PRAGMA(text) _Pragma(#text)
#define EASEL_SIMD_SUM(a) EASEL_PRAGMA(omp simd reduction(+ : a))
#define EASEL_SIMD_SUM2(a, b) EASEL_PRAGMA(omp simd reduction(+ : a, b))
#endif

namespace easel::math {

// Element k (0 ≤ k < N·S) of channel c: x[(n·C + c)·S + i] with n = k / S, i = k mod S.
EASEL_HD inline int64_t channel_element(int64_t C, int64_t S, int64_t c, int64_t k) {
  return (k / S * C + c) * S + k % S;
}

// The mean and the biased variance (Σ (x - μ)² / M) of channel c, in two passes, in double.
template <class T>
EASEL_HD void channel_moments(const T* x, int64_t N, int64_t C, int64_t S, int64_t c, double* mean, double* var) {
  double s = 0, ss = 0;
  for (int64_t n = 0; n < N; ++n) {
    const T* row = x + (n * C + c) * S;
    EASEL_SIMD_SUM(s)
    for (int64_t i = 0; i < S; ++i) s += double(row[i]);
  }
  const double m = s / double(N * S);
  for (int64_t n = 0; n < N; ++n) {
    const T* row = x + (n * C + c) * S;
    EASEL_SIMD_SUM(ss)
    for (int64_t i = 0; i < S; ++i) {
      const double d = double(row[i]) - m;
      ss += d * d;
    }
  }
  *mean = m;
  *var = ss / double(N * S);
}

// PyTorch's running statistics: an exponential average of the mean and of the *unbiased* variance.
template <class T>
EASEL_HD void update_running(T* running_mean, T* running_var, double momentum, double mean, double var, int64_t M) {
  *running_mean = T((1 - momentum) * double(*running_mean) + momentum * mean);
  *running_var = T((1 - momentum) * double(*running_var) + momentum * var * double(M) / double(M - 1));
}

// Σ g and Σ g·x̂ over channel c, x̂ = (x - μ)·σ̂ — the two sums the backward pass needs.
template <class T>
EASEL_HD void channel_grad_sums(const T* x, const T* g, int64_t N, int64_t C, int64_t S, int64_t c, double mean,
                                double invstd, double* sum_g, double* sum_gx) {
  double sg = 0, sgx = 0;
  for (int64_t n = 0; n < N; ++n) {
    const int64_t o = (n * C + c) * S;
    EASEL_SIMD_SUM2(sg, sgx)
    for (int64_t i = 0; i < S; ++i) {
      sg += double(g[o + i]);
      sgx += double(g[o + i]) * (double(x[o + i]) - mean) * invstd;
    }
  }
  *sum_g = sg, *sum_gx = sgx;
}

// gx of one element, w the channel's weight (1 without one). With batch statistics the mean and
// variance depend on x too: gx = w·σ̂/M · (M·g - Σ g - x̂·Σ g·x̂); with running statistics gx = g·w·σ̂.
EASEL_HD inline double batch_norm_grad_input(double g, double x, double mean, double invstd, double w, int64_t M,
                                             double sum_g, double sum_gx, bool batch_stats) {
  if (!batch_stats) return g * w * invstd;
  const double xhat = (x - mean) * invstd;
  return w * invstd / double(M) * (double(M) * g - sum_g - xhat * sum_gx);
}

}  // namespace easel::math
