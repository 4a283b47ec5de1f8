// Filling and copying tensors that live on a CUDA device (tensor/cuda/copy.cu).
#pragma once
#include "tensor/tensor.h"

namespace easel::cuda {

void fill(const Tensor& out, double value);           // every element of `out`, whatever its strides
void copy(const Tensor& dst, const Tensor& src);      // same device; src broadcast to dst, dtype converted

}  // namespace easel::cuda
