// gradcheck: compares autograd's gradients with central finite differences, in f64.
//
// For a function f(inputs) -> tensor, it draws a fixed random direction v (same shape as the
// output) and checks the gradient of L = Σ f(inputs)·v with respect to every input that requires
// grad:   analytic  ∂L/∂x_i  (one backward)   vs   numeric  (L(x_i + eps) - L(x_i - eps)) / (2·eps).
// A random v probes the whole Jacobian (a wrong entry shows up unless v is orthogonal to it, which
// happens with probability zero). An element passes when |analytic - numeric| <= atol + rtol·|numeric|.
// It also checks that a second backward *adds* to the gradients already there (2× the first).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace easel {

struct GradcheckOptions {
  double eps = 1e-6, atol = 1e-5, rtol = 1e-3;
  uint64_t seed = 1234;            // for the direction v
  bool check_accumulation = true;  // second backward adds to .grad
};

struct GradcheckResult {
  bool ok = true;
  std::string message;  // on failure: the input, the worst element's index, both values, the error
  int64_t elements_checked = 0;
  explicit operator bool() const { return ok; }
};

using GradFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Inputs must be f64 (integer inputs such as class targets may be i64); those with requires_grad
// are checked. `fn` must be deterministic (reseed any generator it uses inside).
GradcheckResult gradcheck(const GradFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& opt = {});

}  // namespace easel
