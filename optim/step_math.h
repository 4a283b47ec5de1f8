// One parameter element's update, written once for both devices: the CPU loops of
// optim/optimizer.cpp and the CUDA kernels of optim/cuda/steps.cu call these. Arithmetic in
// double, stored in the parameter's dtype.
#pragma once
#include <cmath>

#include "tensor/cuda/host_device.h"  // EASEL_HD

namespace easel::math {

// d = g + wd·p;  with momentum: b = d (first step) or μ·b + (1 - dampening)·d, d = b (or d + μ·b, Nesterov);
// p -= lr·d
struct SgdUpdate {
  double lr, wd, mu, damp;
  bool nesterov, first;
  template <class T> EASEL_HD void operator()(T& p, T g, T* buf) const {
    double d = double(g) + wd * double(p);
    if (buf) {
      const double b = first ? d : mu * double(*buf) + (1 - damp) * d;
      *buf = T(b);
      d = nesterov ? d + mu * b : b;
    }
    p = T(double(p) - lr * d);
  }
};

// m = β1·m + (1-β1)·d, v = β2·v + (1-β2)·d², p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε), with d = g + wd·p
// (Adam) or p scaled by 1 - lr·wd first (AdamW, decoupled)
struct AdamUpdate {
  double lr, wd, b1, b2, eps, bc1, sqrt_bc2;
  bool decoupled;
  template <class T> EASEL_HD void operator()(T& p, T g, T& m, T& v) const {
    double w = double(p), d = double(g);
    if (wd != 0) {
      if (decoupled) w *= 1 - lr * wd;
      else d += wd * w;
    }
    const double mk = b1 * double(m) + (1 - b1) * d, vk = b2 * double(v) + (1 - b2) * d * d;
    m = T(mk);
    v = T(vk);
    p = T(w - lr / bc1 * mk / (std::sqrt(vk) / sqrt_bc2 + eps));
  }
};

}  // namespace easel::math
