// The elementwise ops on a CUDA device (autograd/cuda/elementwise.cu). F is one of the functors of
// autograd/elementwise_math.h, the same ones the CPU loops use. Outputs are contiguous and live on
// the inputs' device; the callers (autograd/elementwise.cpp) allocate them and check devices.
#pragma once
#include "tensor/tensor.h"

namespace easel::cuda {

template <class F> void binary(const Tensor& a, const Tensor& b, const Tensor& out, F f);  // a, b broadcast to out
template <class F> void unary(const Tensor& x, const Tensor& y, F f);                       // x contiguous
template <class F> void unary_grad(const Tensor& x, const Tensor& y, const Tensor& gy, const Tensor& gx, F f);

}  // namespace easel::cuda
