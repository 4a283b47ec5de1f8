// The per-element math of the elementwise ops, written once for both devices: the CPU loops of
// autograd/elementwise.cpp and the CUDA kernels of autograd/cuda/elementwise.cu call these same
// functors. Binary ops: f(a, b). Unary ops: f(x), and grad(x, y) = dy/dx written in terms of x
// and / or y = f(x) (backward is gx = gy · grad). The math of each op is commented at the op.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "tensor/cuda/host_device.h"  // EASEL_HD: __host__ __device__ under nvcc

namespace easel::math {

// e^x in f32 for the saturating functions below, without a library call or a branch, so that a
// loop over it vectorises (glibc's expf is a scalar call: SiLU alone took 59 % of efficientnet_b0's
// inference). x = n·ln 2 + r with n = round(x·log₂e) and |r| ≤ ln 2 / 2; e^r by its degree-6
// Taylor polynomial (error ≤ 1.2e-7 relative, under 3 ulp in all); 2^n built in the exponent bits.
// x is clamped to [-87, 88] first (the result stays finite and normal: e^88 = 1.65e38, not inf, so
// this is not `exp`); NaN passes through the clamp and the arithmetic and comes out NaN.
EASEL_HD inline float exp_saturating(float x) {
  x = x < -87.f ? -87.f : x;
  x = x > 88.f ? 88.f : x;
  const float shifter = 12582912.f;  // 1.5·2^23: adding it leaves round(x·log₂e) in the low mantissa bits
  const float t = x * 1.44269504088896341f + shifter, n = t - shifter;
  const float r = (x - n * 0.693145751953125f) - n * 1.428606765330187e-06f;  // ln 2 in two parts
  const float p = 1.f + r * (1.f + r * (0.5f + r * (1.f / 6 + r * (1.f / 24 + r * (1.f / 120 + r * (1.f / 720))))));
  uint32_t bits;  // unsigned: a NaN's bits wrap around below instead of overflowing
  std::memcpy(&bits, &t, sizeof bits);
  const uint32_t scale_bits = (bits - 0x4B400000u + 127u) << 23;  // bits(t) - bits(shifter) = n
  float scale;
  std::memcpy(&scale, &scale_bits, sizeof scale);
  return p * scale;
}

// σ(x) = 1 / (1 + e^-x): saturates cleanly at both ends (e^-x → ∞ gives 0, → 0 gives 1). In f32
// the clamp of exp_saturating would leave σ(x < -87) at about 1e-38 instead of 0 (and make
// silu(-∞) = -∞ where PyTorch gives NaN): below -87 the answer is 0, chosen without a branch.
template <class T> EASEL_HD T sigmoid_of(T x) { return T(1) / (T(1) + std::exp(-x)); }
template <> EASEL_HD inline float sigmoid_of(float x) {
  const float s = 1.f / (1.f + exp_saturating(-x));
  return x < -87.f ? 0.f : s;  // NaN compares false: NaN in, NaN out
}

// ---- binary --------------------------------------------------------------------------------------
struct Add { template <class T> EASEL_HD T operator()(T a, T b) const { return a + b; } };
struct Sub { template <class T> EASEL_HD T operator()(T a, T b) const { return a - b; } };
struct Mul { template <class T> EASEL_HD T operator()(T a, T b) const { return a * b; } };
struct Div { template <class T> EASEL_HD T operator()(T a, T b) const { return a / b; } };
struct Pow { template <class T> EASEL_HD T operator()(T a, T b) const { return std::pow(a, b); } };
#define EASEL_BINARY_OPS(X) X(Add) X(Sub) X(Mul) X(Div) X(Pow)

// ---- unary ---------------------------------------------------------------------------------------
struct Neg {
  template <class T> EASEL_HD T operator()(T x) const { return -x; }
  template <class T> EASEL_HD double grad(T, T) const { return -1.0; }
};
struct Exp {
  template <class T> EASEL_HD T operator()(T x) const { return std::exp(x); }
  template <class T> EASEL_HD T grad(T, T y) const { return y; }
};
struct Log {
  template <class T> EASEL_HD T operator()(T x) const { return std::log(x); }
  template <class T> EASEL_HD T grad(T x, T) const { return 1 / x; }
};
struct Sqrt {
  template <class T> EASEL_HD T operator()(T x) const { return std::sqrt(x); }
  template <class T> EASEL_HD double grad(T, T y) const { return 0.5 / y; }
};
struct Abs {
  template <class T> EASEL_HD T operator()(T x) const { return std::abs(x); }
  template <class T> EASEL_HD double grad(T x, T) const { return double((x > 0) - (x < 0)); }
};
struct PowScalar {
  double p;
  template <class T> EASEL_HD T operator()(T x) const { return T(std::pow(x, T(p))); }
  template <class T> EASEL_HD double grad(T x, T) const { return p == 0 ? 0.0 : p * std::pow(double(x), p - 1); }
};
struct Clamp {
  double lo, hi;
  template <class T> EASEL_HD T operator()(T x) const { return T(std::min<double>(std::max<double>(x, lo), hi)); }
  template <class T> EASEL_HD double grad(T x, T) const { return double(x >= lo && x <= hi); }
};
struct Relu {
  template <class T> EASEL_HD T operator()(T x) const { return x > 0 ? x : T(0); }
  template <class T> EASEL_HD double grad(T x, T) const { return double(x > 0); }
};
struct Relu6 {
  template <class T> EASEL_HD T operator()(T x) const { return std::min(std::max(x, T(0)), T(6)); }
  template <class T> EASEL_HD double grad(T x, T) const { return double(x > 0 && x < 6); }
};
struct LeakyRelu {
  double slope;
  template <class T> EASEL_HD T operator()(T x) const { return x > 0 ? x : T(slope * x); }
  template <class T> EASEL_HD double grad(T x, T) const { return x > 0 ? 1.0 : slope; }
};
struct Sigmoid {
  template <class T> EASEL_HD T operator()(T x) const { return sigmoid_of(x); }
  template <class T> EASEL_HD T grad(T, T y) const { return y * (1 - y); }
};
struct Tanh {
  template <class T> EASEL_HD T operator()(T x) const { return std::tanh(x); }
  template <class T> EASEL_HD T grad(T, T y) const { return 1 - y * y; }
};
struct Silu {
  template <class T> EASEL_HD T operator()(T x) const { return x * sigmoid_of(x); }
  template <class T> EASEL_HD T grad(T x, T) const {
    const T s = sigmoid_of(x);
    return s * (1 + x * (1 - s));
  }
};
struct Gelu {
  template <class T> EASEL_HD T operator()(T x) const { return T(0.5 * x * (1 + std::erf(x * M_SQRT1_2))); }
  template <class T> EASEL_HD double grad(T x, T) const {
    const double d = double(x);
    return 0.5 * (1 + std::erf(d * M_SQRT1_2)) + d * std::exp(-0.5 * d * d) * 0.5 * M_2_SQRTPI * M_SQRT1_2;
  }
};
struct Hardswish {
  template <class T> EASEL_HD T operator()(T x) const { return x * std::min(std::max(x + 3, T(0)), T(6)) / 6; }
  template <class T> EASEL_HD double grad(T x, T) const { return x < -3 ? 0.0 : x > 3 ? 1.0 : (2 * double(x) + 3) / 6; }
};
struct Hardsigmoid {
  template <class T> EASEL_HD T operator()(T x) const { return std::min(std::max(x + 3, T(0)), T(6)) / 6; }
  template <class T> EASEL_HD double grad(T x, T) const { return x > -3 && x < 3 ? 1.0 / 6 : 0.0; }
};
#define EASEL_UNARY_OPS(X)                                                                                 \
  X(Neg) X(Exp) X(Log) X(Sqrt) X(Abs) X(PowScalar) X(Clamp) X(Relu) X(Relu6) X(LeakyRelu) X(Sigmoid) X(Tanh) \
  X(Silu) X(Gelu) X(Hardswish) X(Hardsigmoid)

}  // namespace easel::math
