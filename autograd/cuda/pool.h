// Pooling on a CUDA device (autograd/cuda/pool.cu): one thread per output forward, one per input
// pixel backward (a gather: no atomics), the math of pool_math.h. Tensors are dense [planes, ...]
// on one device, outputs allocated by the caller (autograd/pool.cpp).
#pragma once
#include "autograd/pool_math.h"
#include "tensor/tensor.h"

namespace easel::cuda {

enum class Pool { max, average, adaptive_average };

// y [planes, OH, OW] from x [planes, H, W]; idx (i64, max pooling only) the argmax of each window
void pool2d_forward(Pool kind, const math::PoolShape& s, int64_t planes, const Tensor& x, const Tensor& y,
                    const Tensor& idx);
// gx [planes, H, W] (overwritten) from gy [planes, OH, OW]
void pool2d_backward(Pool kind, const math::PoolShape& s, int64_t planes, const Tensor& gy, const Tensor& idx,
                     const Tensor& gx);

}  // namespace easel::cuda
