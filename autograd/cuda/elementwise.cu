// Elementwise kernels: one thread per output element, grid-stride. The math is the CPU's own
// (autograd/elementwise_math.h); only the loop differs.
#include "autograd/cuda/elementwise.h"
#include "autograd/elementwise_math.h"
#include "tensor/cuda/launch.h"
#include "tensor/cuda/strided.h"
#include "tensor/parallel.h"
#include "tensor/strided.h"

namespace easel::cuda {

namespace {

// out[i] = f(a[off_a(i)], b[off_b(i)])
template <class T, class F>
__global__ void binary_kernel(T* out, const T* a, const T* b, StridedIndex<2> ix, int64_t n, F f) {
  EASEL_GRID_STRIDE_LOOP(i, n) {
    int64_t off[2];
    ix.offsets(i, off);
    out[i] = f(a[off[0]], b[off[1]]);
  }
}

// y[i] = f(x[i])
template <class T, class F>
__global__ void unary_kernel(T* y, const T* x, int64_t n, F f) {
  EASEL_GRID_STRIDE_LOOP(i, n) { y[i] = f(x[i]); }
}

// gx[i] = gy[i] · f'(x[i], y[i])
template <class T, class F>
__global__ void unary_grad_kernel(T* gx, const T* x, const T* y, const T* gy, int64_t n, F f) {
  EASEL_GRID_STRIDE_LOOP(i, n) { gx[i] = gy[i] * T(f.grad(x[i], y[i])); }
}

}  // namespace

template <class F>
void binary(const Tensor& a, const Tensor& b, const Tensor& out, F f) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const auto ix = strided_index<2>(out.shape(), {broadcast_strides(a, out.shape()), broadcast_strides(b, out.shape())},
                                   "elementwise op");
  dispatch_float(out.dtype(), "elementwise op on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("elementwise op", out.device().index, grid_for(n), binary_kernel<T, F>, out.device_data<T>(),
           a.device_data<T>(), b.device_data<T>(), ix, n, f);
  });
}

template <class F>
void unary(const Tensor& x, const Tensor& y, F f) {
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_float(x.dtype(), "elementwise op on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("elementwise op", x.device().index, grid_for(n), unary_kernel<T, F>, y.device_data<T>(), x.device_data<T>(), n, f);
  });
}

template <class F>
void unary_grad(const Tensor& x, const Tensor& y, const Tensor& gy, const Tensor& gx, F f) {
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_float(x.dtype(), "elementwise backward on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("elementwise backward", x.device().index, grid_for(n), unary_grad_kernel<T, F>, gx.device_data<T>(),
           x.device_data<T>(), y.device_data<T>(), gy.device_data<T>(), n, f);
  });
}

#define EASEL_INSTANTIATE_BINARY(F) template void binary<math::F>(const Tensor&, const Tensor&, const Tensor&, math::F);
#define EASEL_INSTANTIATE_UNARY(F)                                              \
  template void unary<math::F>(const Tensor&, const Tensor&, math::F);           \
  template void unary_grad<math::F>(const Tensor&, const Tensor&, const Tensor&, const Tensor&, math::F);
EASEL_BINARY_OPS(EASEL_INSTANTIATE_BINARY)
EASEL_UNARY_OPS(EASEL_INSTANTIATE_UNARY)

}  // namespace easel::cuda
