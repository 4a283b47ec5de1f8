#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "tensor/random.h"

namespace easel {

namespace {

std::vector<int64_t> unravel(int64_t flat, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    idx[size_t(d)] = flat % shape[size_t(d)];
    flat /= shape[size_t(d)];
  }
  return idx;
}

}  // namespace

GradcheckResult gradcheck(const GradFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& opt) {
  GradcheckResult res;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (!t.defined()) continue;
    EASEL_CHECK(!t.requires_grad() || (t.dtype() == DType::f64 && t.is_leaf()), "gradcheck: input ", i, " is ",
                t.describe(), "; inputs checked must be f64 leaves (finite differences are meaningless in f32)");
  }
  // The fixed direction v and L(inputs) = Σ f(inputs)·v.
  Tensor v;
  auto loss = [&](const std::vector<Tensor>& xs) {
    const Tensor y = fn(xs);
    EASEL_CHECK(y.dtype() == DType::f64, "gradcheck: the function returned ", y.describe(), "; it must compute in f64");
    if (!v.defined()) {
      Generator g(opt.seed);
      v = Tensor::randn(y.shape(), DType::f64, &g).to(y.device());
    }
    return sum(y * v);
  };
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) const_cast<Tensor&>(t).zero_grad();
  loss(inputs).backward();
  std::vector<Tensor> analytic;
  for (const Tensor& t : inputs) {
    if (t.defined() && t.requires_grad()) {
      const Tensor g = t.grad();
      analytic.push_back(g.defined() ? g.cpu().clone() : Tensor::zeros(t.shape(), DType::f64));  // unreached => 0
    } else {
      analytic.push_back(Tensor());
    }
  }
  double worst = 0;  // largest |a - n| / (atol + rtol·|n|)
  std::ostringstream why;
  {
    NoGradGuard no_grad;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!analytic[i].defined()) continue;
      Tensor x = inputs[i];  // perturbed in place through its own strides
      for (int64_t k = 0; k < x.numel(); ++k) {
        const std::vector<int64_t> idx = unravel(k, x.shape());
        const double orig = x.at(idx);
        x.set(idx, orig + opt.eps);
        const double lp = loss(inputs).item();
        x.set(idx, orig - opt.eps);
        const double lm = loss(inputs).item();
        x.set(idx, orig);
        const double num = (lp - lm) / (2 * opt.eps), ana = analytic[i].at(idx);
        const double err = std::abs(ana - num), ratio = err / (opt.atol + opt.rtol * std::abs(num));
        ++res.elements_checked;
        if (!(ratio <= 1) && (ratio > worst || std::isnan(ratio))) {
          worst = std::isnan(ratio) ? INFINITY : ratio;
          why.str("");
          why << "gradcheck: input " << i << " (" << x.describe() << ") element " << shape_str(idx) << ": analytic "
              << ana << ", numeric " << num << ", |error| " << err << " > atol " << opt.atol << " + rtol " << opt.rtol
              << " * |numeric|";
        }
      }
    }
  }
  if (worst > 0) {
    res.ok = false;
    res.message = why.str();
    return res;
  }
  if (opt.check_accumulation) {
    loss(inputs).backward();  // on top of the first backward's gradients
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!analytic[i].defined()) continue;
      if (!inputs[i].grad().defined()) continue;
      const Tensor g = inputs[i].grad().cpu();
      const double diff = max(abs(g - analytic[i] * 2.0)).item(), scale = max(abs(analytic[i])).item();
      if (diff > 1e-9 * (1 + scale)) {
        res.ok = false;
        res.message = "gradcheck: input " + std::to_string(i) +
                      ": a second backward did not add to .grad (expected twice the first gradient; max deviation " +
                      std::to_string(diff) + ")";
        return res;
      }
    }
  }
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) const_cast<Tensor&>(t).zero_grad();
  return res;
}

}  // namespace easel
