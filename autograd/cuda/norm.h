// Batch normalisation on a CUDA device (autograd/cuda/norm.cu): the statistics and the gradient
// sums by a block per channel (a tree in shared memory: the same bits on every run), a thread per
// element for the rest. The math is norm_math.h. x, y, gy, gx are dense [N, C, S];
// per-channel tensors are [C]; mean / invstd are f64. Optional tensors may be undefined.
#pragma once
#include "tensor/tensor.h"

namespace easel::cuda {

struct BatchNormArgs {
  int64_t N, C, S;
  bool batch_stats;      // normalise by this batch's statistics (else by the running ones)
  bool update_running;   // training with running statistics: update them in place
  double momentum, eps;
};

// mean / invstd [C] from the batch or the running statistics, then y = (x - μ)·σ̂·w + b.
void batch_norm_forward(const BatchNormArgs& a, const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                        const Tensor& w, const Tensor& b, const Tensor& mean, const Tensor& invstd, const Tensor& y);
// gx, gw = Σ g·x̂, gb = Σ g (all written).
void batch_norm_backward(const BatchNormArgs& a, const Tensor& x, const Tensor& gy, const Tensor& w,
                         const Tensor& mean, const Tensor& invstd, const Tensor& gx, const Tensor& gw, const Tensor& gb);

}  // namespace easel::cuda
