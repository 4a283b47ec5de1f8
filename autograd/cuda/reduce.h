// Reductions on a CUDA device (autograd/cuda/reduce.cu).
#pragma once
#include "tensor/tensor.h"

namespace easel::cuda {

// y[o] = Σ_j rows[o, j] for a dense [outer, R] `rows`, accumulated in double by a block per row
// (the same bits on every run).
void row_sum(const Tensor& rows, int64_t outer, int64_t R, const Tensor& y);
// values[o], indices[o] = the first maximum of row o of a dense [outer, R] `rows`, and its index.
void row_max(const Tensor& rows, int64_t outer, int64_t R, const Tensor& values, const Tensor& indices);
// g[o, indices[o]] = gy[o] for a dense [outer, R] `g` (the rest untouched): max's backward.
void scatter_to_rows(const Tensor& gy, const Tensor& indices, int64_t outer, int64_t R, const Tensor& g);

}  // namespace easel::cuda
