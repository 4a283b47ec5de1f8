// Ops across the ranks of a distributed run (tensor/comm.h). With one process they reduce to the
// identity and to batch_norm.
#include <cmath>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "tensor/comm.h"

namespace easel {

// y = Σ_r x_r on every rank.  The run's loss is L = Σ_r L_r, and every x_r reaches every rank's y,
// so ∂L/∂x_r = Σ_r' ∂L_r'/∂y: the gradient is all-reduced the same way.
Tensor all_reduce_sum(const Tensor& x) {
  Tensor y = x.detach().contiguous().clone();
  all_reduce_sum(y);
  return record(y, "all_reduce_sum", {x}, kSavedNothing, [](const Tensor& gy) -> std::vector<Tensor> {
    Tensor g = gy.contiguous().clone();
    all_reduce_sum(g);
    return {g};
  });
}

// Batch norm over the union of every rank's batch: mean and variance per channel are sums over all
// ranks (two passes, as the single-process kernel), then y = (x - μ)/√(σ² + ε)·w + b from ops.
Tensor sync_batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight,
                       const Tensor& bias, double momentum, double eps) {
  EASEL_CHECK(x.dim() >= 2, "sync_batch_norm: input must be [N, C, ...], got ", x.describe());
  const int64_t C = x.size(1);
  std::vector<int64_t> dims{0}, shape(size_t(x.dim()), 1);
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  shape[1] = C;
  const double count = all_reduce_sum(double(x.numel() / std::max<int64_t>(C, 1)));
  EASEL_CHECK(count > 1, "sync_batch_norm: need more than 1 value per channel over all ranks, got input ", x.describe());
  const Tensor mu = all_reduce_sum(sum(x, dims)) / count;                 // [C]
  const Tensor centred = x - mu.reshape(shape);
  const Tensor var = all_reduce_sum(sum(centred * centred, dims)) / count;  // biased, as normalisation uses
  Tensor y = centred * pow(var + eps, -0.5).reshape(shape);
  if (weight.defined()) y = y * weight.reshape(shape);
  if (bias.defined()) y = y + bias.reshape(shape);
  if (running_mean.defined() && running_var.defined()) {  // as batch_norm: the unbiased variance
    NoGradGuard ng;
    running_mean.copy_(running_mean * (1 - momentum) + mu.detach() * momentum);
    running_var.copy_(running_var * (1 - momentum) + var.detach() * (momentum * count / (count - 1)));
  }
  return y;
}

}  // namespace easel
