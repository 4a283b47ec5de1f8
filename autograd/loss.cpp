// Softmax family and losses. All work on rows: x viewed as [outer, D, inner] with the softmax
// dim in the middle, and use the log-sum-exp shift (subtract the row max) so nothing overflows.
#include <cmath>
#include <vector>

#include "autograd/cuda/loss.h"
#include "autograd/loss_math.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "tensor/strided.h"

namespace easel {

namespace {

// p = softmax along `dim` (or log p when `log`), on a dense tensor, row by row (loss_math.h).
Tensor softmax_kernel(const Tensor& X, int64_t dim, bool log) {
  const int64_t D = X.shape()[size_t(dim)];
  int64_t inner = 1;
  for (int64_t d = dim + 1; d < X.dim(); ++d) inner *= X.shape()[size_t(d)];
  const int64_t outer = X.numel() / std::max<int64_t>(D * inner, 1);
  Tensor y = Tensor::empty(X.shape(), X.dtype(), X.device());
  if (X.device().is_cuda()) {
    cuda::softmax_rows(X, y, outer, D, inner, log);
    return y;
  }
  dispatch_float(X.dtype(), log ? "log_softmax" : "softmax", [&](auto zero) {
    using T = decltype(zero);
    const T* px = X.data<T>();
    T* py = y.data<T>();
    parallel_for(outer * inner, [&](int64_t r) {
      const int64_t base = r / inner * D * inner + r % inner;
      math::softmax_row(px + base, py + base, D, inner, log);
    }, D);
  });
  return y;
}

// cross_entropy on a device: per-sample losses and the unit gradient by kernels, the reduction
// and the upstream gradient's scale by device ops (no value comes back to the host).
Tensor cross_entropy_on_device(const Tensor& logits, const Tensor& L, const Tensor& target_host,
                               const std::vector<double>& w, double wsum, double denom, double eps, Reduction red) {
  const Device dev = logits.device();
  const int64_t N = L.size(0), C = L.size(1);
  const Tensor tg = target_host.to(dev), wt = Tensor::from(w, {C}, DType::f64).to(dev);
  Tensor y;
  {
    NoGradGuard no_grad;
    Tensor per = Tensor::empty({N}, L.dtype(), dev);
    cuda::cross_entropy_rows(L, tg, wt, eps, per);
    y = red == Reduction::none ? per : red == Reduction::mean ? sum(per) * (1.0 / denom) : sum(per);
  }
  return record(y, "cross_entropy", {logits}, kSavedComputed, [L, tg, wt, wsum, eps, denom, red, N](const Tensor& gy)
                -> std::vector<Tensor> {
    Tensor unit = Tensor::empty(L.shape(), L.dtype(), L.device());
    cuda::cross_entropy_grad_rows(L, tg, wt, wsum, eps, unit);
    if (red == Reduction::none) return {unit * gy.reshape({N, 1})};
    return {unit * (red == Reduction::mean ? gy * (1.0 / denom) : gy)};
  });
}

}  // namespace

// y = eˣ / Σ eˣ;  gx = y·(gy - Σ gy·y)
Tensor softmax(const Tensor& x, int64_t dim) {
  dim = wrap_dim(dim, x.dim(), "softmax");
  const Tensor y = softmax_kernel(dense(x), dim, false);
  return record(y, "softmax", {x}, kSavedOutput, [y, dim](const Tensor& gy) -> std::vector<Tensor> {
    return {y * (gy - sum(gy * y, {dim}, true))};
  });
}

// y = x - log Σ eˣ;  gx = gy - softmax(x)·Σ gy
Tensor log_softmax(const Tensor& x, int64_t dim) {
  dim = wrap_dim(dim, x.dim(), "log_softmax");
  const Tensor y = softmax_kernel(dense(x), dim, true);
  return record(y, "log_softmax", {x}, kSavedOutput, [y, dim](const Tensor& gy) -> std::vector<Tensor> {
    return {gy - exp(y) * sum(gy, {dim}, true)};
  });
}

// Per sample i with target t, log-probabilities l = log_softmax(x_i), smoothing ε over C classes:
//   loss_i = (1-ε)·w_t·(-l_t) + ε/C·Σ_c w_c·(-l_c);   mean = Σ loss_i / Σ_i w_{t_i}  (w ≡ 1 if none)
//   ∂loss_i/∂x_ic = (1-ε)·w_t·(p_c - [c = t]) + ε/C·(p_c·Σ_k w_k - w_c)
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& opt) {
  EASEL_CHECK(logits.dim() == 2, "cross_entropy: logits must be [N, C], got ", logits.describe());
  EASEL_CHECK(target.dtype() == DType::i64 && target.dim() == 1 && target.size(0) == logits.size(0),
              "cross_entropy: target must be i64[", logits.size(0), "] (one class index per row), got ", target.describe());
  const int64_t N = logits.size(0), C = logits.size(1);
  const double eps = opt.label_smoothing;
  EASEL_CHECK(eps >= 0 && eps <= 1, "cross_entropy: label_smoothing must be in [0, 1], got ", eps);
  EASEL_CHECK(!opt.weight.defined() || (opt.weight.dim() == 1 && opt.weight.size(0) == C), "cross_entropy: weight must be [",
              C, "], got ", opt.weight.describe());
  const Tensor T_ = dense(target.cpu());  // read on the host: the class indices are checked here
  const int64_t* tg = T_.data<int64_t>();
  for (int64_t i = 0; i < N; ++i)
    EASEL_CHECK(tg[i] >= 0 && tg[i] < C, "cross_entropy: target ", tg[i], " at row ", i, " is not a class index in [0, ",
                C, ")");
  std::vector<double> w(static_cast<size_t>(C), 1.0);
  if (opt.weight.defined()) w = opt.weight.to_vector();
  double wsum = 0;
  for (double v : w) wsum += v;
  double denom = 0;
  for (int64_t i = 0; i < N; ++i) denom += w[size_t(tg[i])];
  const Tensor L = softmax_kernel(dense(logits), 1, true);  // log-probabilities [N, C]
  if (logits.device().is_cuda()) return cross_entropy_on_device(logits, L, T_, w, wsum, denom, eps, opt.reduction);
  std::vector<double> per(static_cast<size_t>(N));
  dispatch_float(logits.dtype(), "cross_entropy", [&](auto zero) {
    using T = decltype(zero);
    const T* pl = L.data<T>();
    for (int64_t i = 0; i < N; ++i) per[size_t(i)] = math::cross_entropy_row(pl + i * C, tg[i], w.data(), C, eps);
  });
  Tensor y;
  if (opt.reduction == Reduction::none) {
    y = Tensor::from(per, {N}, logits.dtype());
  } else {
    double total = 0;
    for (double v : per) total += v;
    y = Tensor::scalar(opt.reduction == Reduction::mean ? total / denom : total, logits.dtype());
  }
  const Reduction red = opt.reduction;
  return record(y, "cross_entropy", {logits}, kSavedComputed, [L, T_, w, wsum, eps, denom, red, N, C](const Tensor& gy_in)
                -> std::vector<Tensor> {
    const std::vector<double> gy = gy_in.to_vector();  // one value, or one per sample
    Tensor gx = Tensor::empty({N, C}, L.dtype());
    dispatch_float(L.dtype(), "cross_entropy backward", [&](auto zero) {
      using T = decltype(zero);
      const T* pl = L.data<T>();
      const int64_t* tg = T_.data<int64_t>();
      T* pg = gx.data<T>();
      parallel_for(N, [&](int64_t i) {
        const double scale = red == Reduction::none ? gy[size_t(i)] : red == Reduction::mean ? gy[0] / denom : gy[0];
        math::cross_entropy_row_grad(pl + i * C, tg[i], w.data(), wsum, C, eps, scale, pg + i * C);
      }, C);
    });
    return {gx};
  });
}

// loss = (1-y)·x + (1 + (pw-1)·y)·softplus(-x) per element (loss_math.h), with its unit gradients
// computed in the same pass; the upstream gradient scales them.
Tensor binary_cross_entropy_with_logits(const Tensor& x, const Tensor& y, const Tensor& pos_weight, Reduction reduction) {
  EASEL_CHECK(x.shape() == y.shape() && x.dtype() == y.dtype(), "binary_cross_entropy_with_logits: logits ",
              x.describe(), " and target ", y.describe(), " must have the same shape and dtype");
  for (const Tensor& t : {y, pos_weight})
    EASEL_CHECK(!t.defined() || t.device() == x.device(), "binary_cross_entropy_with_logits: the logits are ",
                x.describe(), " but ", t.describe(), " is on another device");
  const Device dev = x.device();
  const Tensor X = dense(x), Y = dense(y);
  const Tensor PW = pos_weight.defined() ? dense(pos_weight.detach().expand(x.shape())) : Tensor();
  Tensor loss = Tensor::empty(x.shape(), x.dtype(), dev);
  Tensor gx_unit = Tensor::empty(x.shape(), x.dtype(), dev), gy_unit = Tensor::empty(x.shape(), x.dtype(), dev);
  Tensor gpw_unit = PW.defined() ? Tensor::empty(x.shape(), x.dtype(), dev) : Tensor();
  if (dev.is_cuda()) cuda::bce_with_logits(X, Y, PW, loss, gx_unit, gy_unit, gpw_unit);
  else dispatch_float(x.dtype(), "binary_cross_entropy_with_logits", [&](auto zero) {
    using T = decltype(zero);
    const T *px = X.data<T>(), *py = Y.data<T>();
    const T* pw = PW.defined() ? PW.data<T>() : nullptr;
    T *pl = loss.data<T>(), *gx = gx_unit.data<T>(), *gyu = gy_unit.data<T>();
    T* gp = PW.defined() ? gpw_unit.data<T>() : nullptr;
    parallel_for(x.numel(), [&](int64_t i) {
      const math::BceTerms b = math::bce_with_logits(double(px[i]), double(py[i]), pw ? double(pw[i]) : 1.0);
      pl[i] = T(b.loss), gx[i] = T(b.d_logit), gyu[i] = T(b.d_target);
      if (gp) gp[i] = T(b.d_pos_weight);
    });
  });
  const double scale = reduction == Reduction::mean ? 1.0 / double(std::max<int64_t>(x.numel(), 1)) : 1.0;
  Tensor out = reduction == Reduction::none ? loss
               : dev.is_cuda()                ? (sum(loss) * scale).detach()  // the value stays on the device
                                              : Tensor::scalar(sum(loss).item() * scale, x.dtype());
  return record(out, "binary_cross_entropy_with_logits", {x, y, pos_weight}, kSavedComputed,
                [gx_unit, gy_unit, gpw_unit, scale, pws = pos_weight.defined() ? pos_weight.shape() : Shape{}](
                    const Tensor& g) -> std::vector<Tensor> {
                  const Tensor gs = g * scale;  // a scalar, or one value per element
                  Tensor gpw = gpw_unit.defined() ? sum_to(gs * gpw_unit, pws) : Tensor();
                  return {gs * gx_unit, gs * gy_unit, gpw};
                });
}

}  // namespace easel
