// Elementwise ops and activations. Binary ops broadcast as NumPy does; their backward sums the
// upstream gradient back to each input's shape (sum_to). Unary ops are y = f(x) with a local
// derivative f'(x) (written in terms of x and/or y): backward is gx = gy · f'(x). The per-element
// math is in elementwise_math.h, shared with the CUDA kernels (autograd/cuda/elementwise.cu).
#include <cmath>
#include <utility>

#include "autograd/cuda/elementwise.h"
#include "autograd/elementwise_math.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "tensor/strided.h"

namespace easel {

namespace {

// Both operands on one device (values only: the caller records the op on its own inputs). A 0-d CPU
// tensor (the scalar of `x * 2.0`) joins the other's device; a float one as a fill kernel's
// argument, not as a blocking host-to-device copy.
Tensor join_device(const Tensor& scalar, const Device& device) {
  return is_floating(scalar.dtype()) ? Tensor::full({}, scalar.item(), scalar.dtype(), device) : scalar.to(device);
}
std::pair<Tensor, Tensor> on_one_device(const Tensor& a, const Tensor& b, const char* op) {
  if (a.device() == b.device()) return {a, b};
  if (a.device().is_cpu() && a.dim() == 0) return {join_device(a, b.device()), b};
  if (b.device().is_cpu() && b.dim() == 0) return {a, join_device(b, a.device())};
  throw Error(std::string(op) + ": the inputs are on different devices, " + a.describe() + " and " + b.describe() +
              "; move one with .to(device)");
}

// When t is contiguous and has `shape` except for trailing dims of size 1 (b [N, C, 1, 1] against
// [N, C, H, W]: a per-plane scale), the number of output elements per element of t; else 0.
int64_t trailing_broadcast(const Tensor& t, const Shape& shape) {
  if (!t.is_contiguous() || size_t(t.dim()) != shape.size()) return 0;
  size_t kept = shape.size();
  while (kept > 0 && t.size(int64_t(kept) - 1) == 1) --kept;
  int64_t inner = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (d < kept && t.size(int64_t(d)) != shape[d]) return 0;
    if (d >= kept) inner *= shape[d];
  }
  return inner > 1 ? inner : 0;
}

// out = f(a, b) with broadcasting; fast paths for equal shapes, scalar operands and an operand
// constant along the trailing dims; everything else through the strided walk.
template <class F>
Tensor binary_map(const Tensor& a_in, const Tensor& b_in, const char* op, F f) {
  EASEL_CHECK(a_in.dtype() == b_in.dtype(), op, ": dtype mismatch, ", a_in.describe(), " and ", b_in.describe());
  const std::pair<Tensor, Tensor> both = on_one_device(a_in, b_in, op);
  const Tensor& a = both.first;  // (not a structured binding: C++17 lambdas cannot capture those)
  const Tensor& b = both.second;
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  if (a.device().is_cuda()) {
    cuda::binary(a, b, out, f);
    return out;
  }
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
    } else if (const int64_t inner = a_full ? trailing_broadcast(b, shape) : 0) {
      parallel_for(b.numel(), [&](int64_t r) {
        const T s = pb[r];
        for (int64_t k = r * inner; k < (r + 1) * inner; ++k) po[k] = f(pa[k], s);
      }, inner);
    } else if (const int64_t inner_a = b_full ? trailing_broadcast(a, shape) : 0) {
      parallel_for(a.numel(), [&](int64_t r) {
        const T s = pa[r];
        for (int64_t k = r * inner_a; k < (r + 1) * inner_a; ++k) po[k] = f(s, pb[k]);
      }, inner_a);
    } else {
      const Shape so = out.strides(), sa = broadcast_strides(a, shape), sb = broadcast_strides(b, shape);
      for_each_strided<3>(shape, {so.data(), sa.data(), sb.data()},
                          [&](const std::array<int64_t, 3>& o) { po[o[0]] = f(pa[o[1]], pb[o[2]]); });
    }
  });
  return out;
}

// y = f(x), gx = gy · f.grad(x, y); f is a functor of autograd/elementwise_math.h.
// grad_from_output: f.grad(y, y) equals f.grad(x, y) (ReLU: y > 0 exactly where x > 0), so on the
// CPU backward keeps y alone and x's buffer is freed as soon as nothing else holds it.
template <class F>
Tensor unary_op(const Tensor& x, const char* op, F f, bool grad_from_output = false) {
  const Tensor xd = dense(x);
  Tensor y = Tensor::empty(xd.shape(), xd.dtype(), xd.device());
  if (xd.device().is_cuda()) {
    cuda::unary(xd, y, f);
  } else {
    dispatch_float(xd.dtype(), op, [&](auto zero) {
      using T = decltype(zero);
      const T* px = xd.data<T>();
      T* py = y.data<T>();
      parallel_for(xd.numel(), [&](int64_t i) { py[i] = f(px[i]); });
    });
  }
  const Tensor kept = grad_from_output && !xd.device().is_cuda() ? Tensor() : xd;
  const Saved saved = (kept.defined() ? saved_input(0) : kSavedNothing) | kSavedOutput;
  return record(y, op, {x}, saved, [kept, y, f, op](const Tensor& gy_in) -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    Tensor gx = Tensor::empty(y.shape(), y.dtype(), y.device());
    if (y.device().is_cuda()) {
      cuda::unary_grad(kept, y, gy, gx, f);
      return {gx};
    }
    dispatch_float(y.dtype(), op, [&](auto zero) {
      using T = decltype(zero);
      const T *py = y.data<T>(), *px = kept.defined() ? kept.data<T>() : py, *pg = gy.data<T>();
      T* po = gx.data<T>();
      parallel_for(y.numel(), [&](int64_t i) { po[i] = pg[i] * T(f.grad(px[i], py[i])); });
    });
    return {gx};
  });
}

Tensor scalar_like(double v, const Tensor& t) { return Tensor::scalar(v, t.dtype()); }

}  // namespace

// ---- binary ------------------------------------------------------------------------------------

// y = a + b;  ga = gy, gb = gy (each summed to its input's shape)
Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map(a, b, "add", math::Add{});
  return record(y, "add", {a, b}, kSavedNothing, [sa = a.shape(), sb = b.shape()](const Tensor& gy) -> std::vector<Tensor> {
    return {sum_to(gy, sa), sum_to(gy, sb)};
  });
}

// y = a - b;  ga = gy, gb = -gy
Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map(a, b, "sub", math::Sub{});
  return record(y, "sub", {a, b}, kSavedNothing, [sa = a.shape(), sb = b.shape()](const Tensor& gy) -> std::vector<Tensor> {
    return {sum_to(gy, sa), sum_to(neg(gy), sb)};
  });
}

// y = a · b;  ga = gy · b, gb = gy · a
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map(a, b, "mul", math::Mul{});
  const Tensor ad = a.detach(), bd = b.detach();
  return record(y, "mul", {a, b}, saved_input(0) | saved_input(1), [ad, bd](const Tensor& gy) -> std::vector<Tensor> {
    return {sum_to(mul(gy, bd), ad.shape()), sum_to(mul(gy, ad), bd.shape())};
  });
}

// y = a / b;  ga = gy / b, gb = -gy · a / b²
Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map(a, b, "div", math::Div{});
  const Tensor ad = a.detach(), bd = b.detach();
  return record(y, "div", {a, b}, saved_input(0) | saved_input(1), [ad, bd](const Tensor& gy) -> std::vector<Tensor> {
    return {sum_to(div(gy, bd), ad.shape()), sum_to(neg(div(mul(gy, ad), mul(bd, bd))), bd.shape())};
  });
}

// y = a^b;  ga = gy · b · a^(b-1), gb = gy · y · ln a
Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor y = binary_map(a, b, "pow", math::Pow{});
  const Tensor ad = a.detach(), bd = b.detach(), yd = y;
  const Saved saved = saved_input(0) | saved_input(1) | kSavedOutput;
  return record(y, "pow", {a, b}, saved, [ad, bd, yd](const Tensor& gy) -> std::vector<Tensor> {
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

// ---- unary ------------------------------------------------------------------------------------

// y = -x;  gx = -gy
Tensor neg(const Tensor& x) { return unary_op(x, "neg", math::Neg{}); }
// y = eˣ;  gx = gy · y
Tensor exp(const Tensor& x) { return unary_op(x, "exp", math::Exp{}); }
// y = ln x;  gx = gy / x
Tensor log(const Tensor& x) { return unary_op(x, "log", math::Log{}); }
// y = √x;  gx = gy / (2y)
Tensor sqrt(const Tensor& x) { return unary_op(x, "sqrt", math::Sqrt{}); }
// y = |x|;  gx = gy · sign(x)  (0 at x = 0)
Tensor abs(const Tensor& x) { return unary_op(x, "abs", math::Abs{}); }
// y = xᵖ;  gx = gy · p · xᵖ⁻¹
Tensor pow(const Tensor& x, double p) { return unary_op(x, "pow", math::PowScalar{p}); }
// y = min(max(x, lo), hi);  gx = gy where lo <= x <= hi, else 0
Tensor clamp(const Tensor& x, double lo, double hi) {
  EASEL_CHECK(lo <= hi, "clamp: lo (", lo, ") is greater than hi (", hi, ")");
  return unary_op(x, "clamp", math::Clamp{lo, hi});
}

// ---- activations -------------------------------------------------------------------------------

// y = max(x, 0);  gx = gy · [x > 0]
Tensor relu(const Tensor& x) { return unary_op(x, "relu", math::Relu{}, true); }
// y = min(max(x, 0), 6);  gx = gy · [0 < x < 6]
Tensor relu6(const Tensor& x) { return unary_op(x, "relu6", math::Relu6{}, true); }
// y = x if x > 0 else s·x;  gx = gy · (1 or s)
Tensor leaky_relu(const Tensor& x, double slope) { return unary_op(x, "leaky_relu", math::LeakyRelu{slope}); }
// y = 1 / (1 + e⁻ˣ);  gx = gy · y(1 - y)
Tensor sigmoid(const Tensor& x) { return unary_op(x, "sigmoid", math::Sigmoid{}); }
// y = tanh x;  gx = gy · (1 - y²)
Tensor tanh(const Tensor& x) { return unary_op(x, "tanh", math::Tanh{}); }
// y = x·σ(x);  gx = gy · σ(x)(1 + x(1 - σ(x)))
Tensor silu(const Tensor& x) { return unary_op(x, "silu", math::Silu{}); }
// y = x·Φ(x), Φ(x) = (1 + erf(x/√2))/2;  gx = gy · (Φ(x) + x·φ(x)), φ the normal density
Tensor gelu(const Tensor& x) { return unary_op(x, "gelu", math::Gelu{}); }
// y = x·min(max(x + 3, 0), 6)/6;  gx = gy · (0 if x < -3, 1 if x > 3, else (2x + 3)/6)
Tensor hardswish(const Tensor& x) { return unary_op(x, "hardswish", math::Hardswish{}); }
// y = min(max(x + 3, 0), 6)/6;  gx = gy/6 where -3 < x < 3
Tensor hardsigmoid(const Tensor& x) { return unary_op(x, "hardsigmoid", math::Hardsigmoid{}); }

}  // namespace easel
