// Reductions on a CUDA device (autograd/cuda/reduce.cu).
#pragma once
#include "tensor/tensor.h"

namespace easel::cuda {

// y[o] = Σ_j rows[o, j] for a dense [outer, R] `rows`, accumulated in double in index order —
// the CPU's own order, so both devices give the same bits.
void row_sum(const Tensor& rows, int64_t outer, int64_t R, const Tensor& y);

}  // namespace easel::cuda
