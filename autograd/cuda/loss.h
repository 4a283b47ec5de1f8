// Softmax and cross-entropy rows on a CUDA device (autograd/cuda/loss.cu); the math is loss_math.h.
#pragma once
#include "tensor/tensor.h"

namespace easel::cuda {

// X dense, viewed as [outer, D, inner]: y = softmax (or log_softmax) along D, one thread per row.
void softmax_rows(const Tensor& X, const Tensor& y, int64_t outer, int64_t D, int64_t inner, bool log);
// per[i] = the loss of row i of the log-probabilities L [N, C]; target i64 [N], w f64 [C], on L's device.
void cross_entropy_rows(const Tensor& L, const Tensor& target, const Tensor& w, double eps, const Tensor& per);
// g[i, :] = the gradient of row i's loss (scale 1).
void cross_entropy_grad_rows(const Tensor& L, const Tensor& target, const Tensor& w, double wsum, double eps,
                             const Tensor& g);

// Per element of dense x, y (and pw, may be undefined): the loss and its three unit gradients
// (gpw only with pw), loss_math.h's bce_with_logits.
void bce_with_logits(const Tensor& x, const Tensor& y, const Tensor& pw, const Tensor& loss, const Tensor& gx,
                     const Tensor& gy, const Tensor& gpw);

}  // namespace easel::cuda
