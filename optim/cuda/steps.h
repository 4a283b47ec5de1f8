// The optimizer updates on a CUDA device, one fused kernel per parameter (optim/cuda/steps.cu).
#pragma once
#include "optim/step_math.h"
#include "tensor/tensor.h"

namespace easel::cuda {

void sgd_step(const Tensor& p, const Tensor& g, const Tensor& buf, const math::SgdUpdate& u);  // buf may be undefined
void adam_step(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const math::AdamUpdate& u);

}  // namespace easel::cuda
