// Reduction kernels. Sums: two passes, interleaved slices of each row summed by neighbouring
// threads, then a thread per row adds its slice sums in order (reduce_math.h reduction_slices);
// max / argmax: a thread per row.
#include "autograd/cuda/reduce.h"
#include "autograd/reduce_math.h"
#include "tensor/cuda/launch.h"
#include "tensor/parallel.h"

namespace easel::cuda {

namespace {

// y[o] = Σ_j x[o·R + j]
// slices[o·P + p] = Σ_{j ≡ p (mod P)} x[o·R + j]  (reduce_math.h reduction_slices)
template <class T>
__global__ void row_slice_sums_kernel(double* slices, const T* x, int64_t outer, int64_t R, int64_t P) {
  EASEL_GRID_STRIDE_LOOP(i, outer * P) {
    const int64_t o = i / P;
    double acc = 0;
    for (int64_t j = i % P; j < R; j += P) acc += double(x[o * R + j]);
    slices[i] = acc;
  }
}

// y[o] = Σ_p slices[o·P + p], in order
template <class T>
__global__ void add_slices_kernel(T* y, const double* slices, int64_t outer, int64_t P) {
  EASEL_GRID_STRIDE_LOOP(o, outer) {
    double acc = 0;
    for (int64_t p = 0; p < P; ++p) acc += slices[o * P + p];
    y[o] = T(acc);
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
    const int64_t P = math::reduction_slices(R);
    const Tensor slices = Tensor::empty({outer * P}, DType::f64, rows.device());
    launch("sum (slices)", rows.device().index, grid_for(outer * P), row_slice_sums_kernel<T>,
           slices.device_data<double>(), rows.device_data<T>(), outer, R, P);
    launch("sum", rows.device().index, grid_for(outer), add_slices_kernel<T>, y.device_data<T>(),
           slices.device_data<double>(), outer, P);
  });
}

}  // namespace easel::cuda
