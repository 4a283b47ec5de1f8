// The per-row math of the softmax family and cross-entropy, written once for both devices: the
// CPU loops of autograd/loss.cpp and the CUDA kernels of autograd/cuda/loss.cu call these.
#pragma once
#include <cmath>
#include <cstdint>

#include "tensor/cuda/host_device.h"  // EASEL_HD

namespace easel::math {

// One row of D values, `s` apart: y = x - lse (log) or e^(x - lse), lse = log Σ eˣ shifted by the max.
template <class T>
EASEL_HD void softmax_row(const T* x, T* y, int64_t D, int64_t s, bool log) {
  double mx = -INFINITY;
  for (int64_t k = 0; k < D; ++k) mx = x[k * s] > mx ? double(x[k * s]) : mx;
  double sum = 0;
  for (int64_t k = 0; k < D; ++k) sum += std::exp(double(x[k * s]) - mx);
  const double lse = mx + std::log(sum);
  for (int64_t k = 0; k < D; ++k) {
    const double v = double(x[k * s]) - lse;
    y[k * s] = T(log ? v : std::exp(v));
  }
}

// loss of one sample: (1-ε)·w_t·(-l_t) + ε/C·Σ_c w_c·(-l_c), l its C log-probabilities
template <class T>
EASEL_HD double cross_entropy_row(const T* l, int64_t t, const double* w, int64_t C, double eps) {
  double smooth = 0;
  for (int64_t c = 0; c < C; ++c) smooth -= w[c] * double(l[c]);
  return (1 - eps) * w[t] * -double(l[t]) + eps / double(C) * smooth;
}

// its gradient, times `scale`: g_c = (1-ε)·w_t·(p_c - [c = t]) + ε/C·(p_c·Σw - w_c)
template <class T>
EASEL_HD void cross_entropy_row_grad(const T* l, int64_t t, const double* w, double wsum, int64_t C, double eps,
                                     double scale, T* g) {
  for (int64_t c = 0; c < C; ++c) {
    const double p = std::exp(double(l[c]));
    const double gc = (1 - eps) * w[t] * (p - (c == t)) + eps / double(C) * (p * wsum - w[c]);
    g[c] = T(scale * gc);
  }
}

// Binary cross-entropy with logits of one element: logit v, target t, positive weight w.
//   loss = (1-t)·v + (1 + (w-1)·t)·softplus(-v),  softplus(z) = log(1 + eᶻ) computed stably;
//   ∂/∂v = (1-t) - (1 + (w-1)·t)·σ(-v),  ∂/∂t = -v + (w-1)·softplus(-v),  ∂/∂w = t·softplus(-v)
struct BceTerms {
  double loss, d_logit, d_target, d_pos_weight;
};
EASEL_HD inline BceTerms bce_with_logits(double v, double t, double w) {
  const double sp = std::log1p(std::exp(-std::abs(v))) + (v < 0 ? -v : 0.0);                   // softplus(-v)
  const double sig_neg = v >= 0 ? std::exp(-v) / (1 + std::exp(-v)) : 1 / (1 + std::exp(v));  // σ(-v)
  const double coef = 1 + (w - 1) * t;
  return {(1 - t) * v + coef * sp, (1 - t) - coef * sig_neg, -v + (w - 1) * sp, t * sp};
}

}  // namespace easel::math
