// Reduction kernels. Sums: a block per row, reduced in shared memory (launch.h block_sum);
// max / argmax: a thread per row.
#include "autograd/cuda/reduce.h"
#include "autograd/reduce_math.h"
#include "tensor/cuda/launch.h"
#include "tensor/parallel.h"

namespace easel::cuda {

namespace {

// y[o] = Σ_j x[o·R + j]: a block per row, each thread adding j ≡ threadIdx (mod blockDim) in double,
// then block_sum's tree (launch.h).
template <class T>
__global__ void row_sums_kernel(T* y, const T* x, int64_t outer, int64_t R) {
  __shared__ double partial[kMaxBlockThreads];
  for (int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    double acc = 0;
    for (int64_t j = threadIdx.x; j < R; j += blockDim.x) acc += double(x[o * R + j]);
    const double total = block_sum(acc, partial);
    if (threadIdx.x == 0) y[o] = T(total);
  }
}

template <class T>
__global__ void row_max_kernel(T* values, int64_t* indices, const T* x, int64_t outer, int64_t R) {
  EASEL_GRID_STRIDE_LOOP(o, outer) {
    indices[o] = math::row_argmax(x + o * R, R);
    values[o] = x[o * R + indices[o]];
  }
}

template <class T>
__global__ void scatter_to_rows_kernel(T* g, const T* gy, const int64_t* indices, int64_t outer, int64_t R) {
  EASEL_GRID_STRIDE_LOOP(o, outer) { g[o * R + indices[o]] = gy[o]; }
}

}  // namespace

void row_max(const Tensor& rows, int64_t outer, int64_t R, const Tensor& values, const Tensor& indices) {
  if (outer == 0) return;
  dispatch_float(rows.dtype(), "max on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("max", rows.device().index, grid_for(outer), row_max_kernel<T>, values.device_data<T>(),
           indices.device_data<int64_t>(), rows.device_data<T>(), outer, R);
  });
}

void scatter_to_rows(const Tensor& gy, const Tensor& indices, int64_t outer, int64_t R, const Tensor& g) {
  if (outer == 0) return;
  dispatch_float(gy.dtype(), "max backward on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("max backward", gy.device().index, grid_for(outer), scatter_to_rows_kernel<T>, g.device_data<T>(),
           gy.device_data<T>(), indices.device_data<int64_t>(), outer, R);
  });
}

void row_sum(const Tensor& rows, int64_t outer, int64_t R, const Tensor& y) {
  if (outer == 0) return;
  dispatch_float(rows.dtype(), "sum on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("sum", rows.device().index, block_per_row(outer, R), row_sums_kernel<T>, y.device_data<T>(),
           rows.device_data<T>(), outer, R);
  });
}

}  // namespace easel::cuda
