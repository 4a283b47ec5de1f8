// Reduction kernels. The reference: one thread per output row, a plain loop over the row (the
// readable form; a tree reduction in shared memory is the fast path to come, tested against it).
#include "autograd/cuda/reduce.h"
#include "tensor/cuda/launch.h"
#include "tensor/parallel.h"

namespace easel::cuda {

namespace {

// y[o] = Σ_j x[o·R + j]
template <class T>
__global__ void row_sum_kernel(T* y, const T* x, int64_t outer, int64_t R) {
  EASEL_GRID_STRIDE_LOOP(o, outer) {
    double acc = 0;
    for (int64_t j = 0; j < R; ++j) acc += double(x[o * R + j]);
    y[o] = T(acc);
  }
}

}  // namespace

void row_sum(const Tensor& rows, int64_t outer, int64_t R, const Tensor& y) {
  if (outer == 0) return;
  dispatch_float(rows.dtype(), "sum on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("sum", rows.device().index, grid_for(outer), row_sum_kernel<T>, y.device_data<T>(), rows.device_data<T>(),
           outer, R);
  });
}

}  // namespace easel::cuda
