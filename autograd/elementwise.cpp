// Elementwise ops and activations. Binary ops broadcast as NumPy does; their backward sums the
// upstream gradient back to each input's shape (sum_to). Unary ops are y = f(x) with a local
// derivative f'(x) (written in terms of x and/or y): backward is gx = gy · f'(x).
#include <cmath>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "tensor/strided.h"

namespace easel {

namespace {

// out = f(a, b) with broadcasting; fast paths for equal shapes and scalar operands.
template <class F>
Tensor binary_map(const Tensor& a, const Tensor& b, const char* op, F f) {
  EASEL_CHECK(a.dtype() == b.dtype(), op, ": dtype mismatch, ", a.describe(), " and ", b.describe());
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor out = Tensor::empty(shape, a.dtype());
  dispatch_float(a.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    const int64_t n = out.numel();
    const bool a_full = a.is_contiguous() && a.shape() == shape, b_full = b.is_contiguous() && b.shape() == shape;
    if (a_full && b_full) {
      parallel_for(n, [&](int64_t i) { po[i] = f(pa[i], pb[i]); });
    } else if (a_full && b.numel() == 1) {
      const T s = pb[0];
      parallel_for(n, [&](int64_t i) { po[i] = f(pa[i], s); });
    } else if (b_full && a.numel() == 1) {
      const T s = pa[0];
      parallel_for(n, [&](int64_t i) { po[i] = f(s, pb[i]); });
    } else {
      const Shape so = out.strides(), sa = broadcast_strides(a, shape), sb = broadcast_strides(b, shape);
      for_each_strided<3>(shape, {so.data(), sa.data(), sb.data()},
                          [&](const std::array<int64_t, 3>& o) { po[o[0]] = f(pa[o[1]], pb[o[2]]); });
    }
  });
  return out;
}

// out = f(x) on a contiguous x.
template <class F>
Tensor unary_map(const Tensor& x, const char* op, F f) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch_float(x.dtype(), op, [&](auto zero) {
    using T = decltype(zero);
    const T* px = x.data<T>();
    T* po = out.data<T>();
    parallel_for(x.numel(), [&](int64_t i) { po[i] = f(px[i]); });
  });
  return out;
}

// y = f(x), gx = gy · df(x, y). Both lambdas are generic over float/double.
template <class F, class DF>
Tensor unary_op(const Tensor& x, const char* op, F f, DF df) {
  const Tensor xd = dense(x);
  const Tensor y = unary_map(xd, op, f);
  return record(y, op, {x}, [xd, y, df, op](const Tensor& gy_in) -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    Tensor gx = Tensor::empty(xd.shape(), xd.dtype());
    dispatch_float(xd.dtype(), op, [&](auto zero) {
      using T = decltype(zero);
      const T *px = xd.data<T>(), *py = y.data<T>(), *pg = gy.data<T>();
      T* po = gx.data<T>();
      parallel_for(xd.numel(), [&](int64_t i) { po[i] = pg[i] * T(df(px[i], py[i])); });
    });
    return {gx};
  });
}

template <class T> T sigmoid_of(T x) {
  if (x >= 0) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

Tensor scalar_like(double v, const Tensor& t) { return Tensor::scalar(v, t.dtype()); }

}  // namespace

// ---- binary ------------------------------------------------------------------------------------

// y = a + b;  ga = gy, gb = gy (each summed to its input's shape)
Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map(a, b, "add", [](auto x, auto z) { return x + z; });
  return record(y, "add", {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& gy) -> std::vector<Tensor> {
    return {sum_to(gy, sa), sum_to(gy, sb)};
  });
}

// y = a - b;  ga = gy, gb = -gy
Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map(a, b, "sub", [](auto x, auto z) { return x - z; });
  return record(y, "sub", {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& gy) -> std::vector<Tensor> {
    return {sum_to(gy, sa), sum_to(neg(gy), sb)};
  });
}

// y = a · b;  ga = gy · b, gb = gy · a
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map(a, b, "mul", [](auto x, auto z) { return x * z; });
  const Tensor ad = a.detach(), bd = b.detach();
  return record(y, "mul", {a, b}, [ad, bd](const Tensor& gy) -> std::vector<Tensor> {
    return {sum_to(mul(gy, bd), ad.shape()), sum_to(mul(gy, ad), bd.shape())};
  });
}

// y = a / b;  ga = gy / b, gb = -gy · a / b²
Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map(a, b, "div", [](auto x, auto z) { return x / z; });
  const Tensor ad = a.detach(), bd = b.detach();
  return record(y, "div", {a, b}, [ad, bd](const Tensor& gy) -> std::vector<Tensor> {
    return {sum_to(div(gy, bd), ad.shape()), sum_to(neg(div(mul(gy, ad), mul(bd, bd))), bd.shape())};
  });
}

// y = a^b;  ga = gy · b · a^(b-1), gb = gy · y · ln a
Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map(a, b, "pow", [](auto x, auto z) { return std::pow(x, z); });
  const Tensor ad = a.detach(), bd = b.detach(), yd = y;
  return record(y, "pow", {a, b}, [ad, bd, yd](const Tensor& gy) -> std::vector<Tensor> {
    const Tensor ga = mul(gy, mul(bd, pow(ad, sub(bd, scalar_like(1, bd)))));
    const Tensor gb = mul(gy, mul(yd, log(ad)));
    return {sum_to(ga, ad.shape()), sum_to(gb, bd.shape())};
  });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(b, a)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(b, a)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(b, a)); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(b, a)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(a, b), b); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(a, b), b); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(a, b), b); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(a, b), b); }

// ---- unary -------------------------------------------------------------------------------------

// y = -x;  gx = -gy
Tensor neg(const Tensor& x) {
  return unary_op(x, "neg", [](auto v) { return -v; }, [](auto, auto) { return -1.0; });
}
// y = eˣ;  gx = gy · y
Tensor exp(const Tensor& x) {
  return unary_op(x, "exp", [](auto v) { return std::exp(v); }, [](auto, auto y) { return y; });
}
// y = ln x;  gx = gy / x
Tensor log(const Tensor& x) {
  return unary_op(x, "log", [](auto v) { return std::log(v); }, [](auto v, auto) { return 1 / v; });
}
// y = √x;  gx = gy / (2y)
Tensor sqrt(const Tensor& x) {
  return unary_op(x, "sqrt", [](auto v) { return std::sqrt(v); }, [](auto, auto y) { return 0.5 / y; });
}
// y = |x|;  gx = gy · sign(x)  (0 at x = 0)
Tensor abs(const Tensor& x) {
  return unary_op(x, "abs", [](auto v) { return std::abs(v); }, [](auto v, auto) { return double((v > 0) - (v < 0)); });
}
// y = xᵖ;  gx = gy · p · xᵖ⁻¹
Tensor pow(const Tensor& x, double p) {
  return unary_op(
      x, "pow", [p](auto v) { return decltype(v)(std::pow(v, decltype(v)(p))); },
      [p](auto v, auto) { return p == 0 ? 0.0 : p * std::pow(double(v), p - 1); });
}
// y = min(max(x, lo), hi);  gx = gy where lo <= x <= hi, else 0
Tensor clamp(const Tensor& x, double lo, double hi) {
  EASEL_CHECK(lo <= hi, "clamp: lo (", lo, ") is greater than hi (", hi, ")");
  return unary_op(
      x, "clamp", [lo, hi](auto v) { return decltype(v)(std::min<double>(std::max<double>(v, lo), hi)); },
      [lo, hi](auto v, auto) { return double(v >= lo && v <= hi); });
}

// ---- activations -------------------------------------------------------------------------------

// y = max(x, 0);  gx = gy · [x > 0]
Tensor relu(const Tensor& x) {
  return unary_op(x, "relu", [](auto v) { return v > 0 ? v : decltype(v)(0); }, [](auto v, auto) { return double(v > 0); });
}
// y = min(max(x, 0), 6);  gx = gy · [0 < x < 6]
Tensor relu6(const Tensor& x) {
  return unary_op(
      x, "relu6", [](auto v) { return std::min(std::max(v, decltype(v)(0)), decltype(v)(6)); },
      [](auto v, auto) { return double(v > 0 && v < 6); });
}
// y = x if x > 0 else s·x;  gx = gy · (1 or s)
Tensor leaky_relu(const Tensor& x, double slope) {
  return unary_op(
      x, "leaky_relu", [slope](auto v) { return v > 0 ? v : decltype(v)(slope * v); },
      [slope](auto v, auto) { return v > 0 ? 1.0 : slope; });
}
// y = 1 / (1 + e⁻ˣ);  gx = gy · y(1 - y)
Tensor sigmoid(const Tensor& x) {
  return unary_op(x, "sigmoid", [](auto v) { return sigmoid_of(v); }, [](auto, auto y) { return y * (1 - y); });
}
// y = tanh x;  gx = gy · (1 - y²)
Tensor tanh(const Tensor& x) {
  return unary_op(x, "tanh", [](auto v) { return std::tanh(v); }, [](auto, auto y) { return 1 - y * y; });
}
// y = x·σ(x);  gx = gy · σ(x)(1 + x(1 - σ(x)))
Tensor silu(const Tensor& x) {
  return unary_op(
      x, "silu", [](auto v) { return v * sigmoid_of(v); },
      [](auto v, auto) {
        const auto s = sigmoid_of(v);
        return s * (1 + v * (1 - s));
      });
}
// y = x·Φ(x), Φ(x) = (1 + erf(x/√2))/2;  gx = gy · (Φ(x) + x·φ(x)), φ the normal density
Tensor gelu(const Tensor& x) {
  return unary_op(
      x, "gelu", [](auto v) { return decltype(v)(0.5 * v * (1 + std::erf(v * M_SQRT1_2))); },
      [](auto v, auto) {
        const double d = double(v);
        return 0.5 * (1 + std::erf(d * M_SQRT1_2)) + d * std::exp(-0.5 * d * d) * 0.5 * M_2_SQRTPI * M_SQRT1_2;
      });
}
// y = x·min(max(x + 3, 0), 6)/6;  gx = gy · (0 if x < -3, 1 if x > 3, else (2x + 3)/6)
Tensor hardswish(const Tensor& x) {
  return unary_op(
      x, "hardswish", [](auto v) { return v * std::min(std::max(v + 3, decltype(v)(0)), decltype(v)(6)) / 6; },
      [](auto v, auto) { return v < -3 ? 0.0 : v > 3 ? 1.0 : (2 * double(v) + 3) / 6; });
}
// y = min(max(x + 3, 0), 6)/6;  gx = gy/6 where -3 < x < 3
Tensor hardsigmoid(const Tensor& x) {
  return unary_op(
      x, "hardsigmoid", [](auto v) { return std::min(std::max(v + 3, decltype(v)(0)), decltype(v)(6)) / 6; },
      [](auto v, auto) { return v > -3 && v < 3 ? 1.0 / 6 : 0.0; });
}

}  // namespace easel
