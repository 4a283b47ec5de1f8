// Filling and copying tensors that live on a CUDA device (tensor/cuda/copy.cu).
#pragma once
#include "tensor/tensor.h"

namespace easel::cuda {

void fill(const Tensor& out, double value);           // every element of `out`, whatever its strides
void copy(const Tensor& dst, const Tensor& src);      // same device; src broadcast to dst, dtype converted
// out (dense, f32 / f64) = math::keep_mask_at(key, i, keep, scale) for every element i
void fill_keep_mask(const Tensor& out, uint64_t key, double keep, double scale);

}  // namespace easel::cuda
