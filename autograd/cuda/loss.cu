// Softmax and cross-entropy kernels: one thread per row (the reference form), the CPU's own math.
#include "autograd/cuda/loss.h"
#include "autograd/loss_math.h"
#include "tensor/cuda/launch.h"
#include "tensor/parallel.h"

namespace easel::cuda {

namespace {

template <class T>
__global__ void softmax_kernel(const T* x, T* y, int64_t rows, int64_t D, int64_t inner, bool log) {
  EASEL_GRID_STRIDE_LOOP(r, rows) {
    const int64_t base = r / inner * D * inner + r % inner;
    math::softmax_row(x + base, y + base, D, inner, log);
  }
}

template <class T>
__global__ void cross_entropy_kernel(const T* l, const int64_t* target, const double* w, int64_t N, int64_t C,
                                     double eps, T* per) {
  EASEL_GRID_STRIDE_LOOP(i, N) { per[i] = T(math::cross_entropy_row(l + i * C, target[i], w, C, eps)); }
}

template <class T>
__global__ void cross_entropy_grad_kernel(const T* l, const int64_t* target, const double* w, double wsum, int64_t N,
                                          int64_t C, double eps, T* g) {
  EASEL_GRID_STRIDE_LOOP(i, N) { math::cross_entropy_row_grad(l + i * C, target[i], w, wsum, C, eps, 1.0, g + i * C); }
}

template <class T>
__global__ void bce_kernel(int64_t n, const T* x, const T* y, const T* pw, T* loss, T* gx, T* gy, T* gpw) {
  EASEL_GRID_STRIDE_LOOP(i, n) {
    const math::BceTerms b = math::bce_with_logits(double(x[i]), double(y[i]), pw ? double(pw[i]) : 1.0);
    loss[i] = T(b.loss), gx[i] = T(b.d_logit), gy[i] = T(b.d_target);
    if (gpw) gpw[i] = T(b.d_pos_weight);
  }
}

}  // namespace

void bce_with_logits(const Tensor& x, const Tensor& y, const Tensor& pw, const Tensor& loss, const Tensor& gx,
                     const Tensor& gy, const Tensor& gpw) {
  if (x.numel() == 0) return;
  dispatch_float(x.dtype(), "binary_cross_entropy_with_logits on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("binary_cross_entropy_with_logits", x.device().index, grid_for(x.numel()), bce_kernel<T>, x.numel(),
           x.device_data<T>(), y.device_data<T>(), pw.defined() ? pw.device_data<T>() : nullptr, loss.device_data<T>(),
           gx.device_data<T>(), gy.device_data<T>(), gpw.defined() ? gpw.device_data<T>() : nullptr);
  });
}

void softmax_rows(const Tensor& X, const Tensor& y, int64_t outer, int64_t D, int64_t inner, bool log) {
  const int64_t rows = outer * inner;
  if (rows == 0) return;
  dispatch_float(X.dtype(), "softmax on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("softmax", X.device().index, grid_for(rows), softmax_kernel<T>, X.device_data<T>(), y.device_data<T>(), rows,
           D, inner, log);
  });
}

void cross_entropy_rows(const Tensor& L, const Tensor& target, const Tensor& w, double eps, const Tensor& per) {
  const int64_t N = L.size(0), C = L.size(1);
  if (N == 0) return;
  dispatch_float(L.dtype(), "cross_entropy on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("cross_entropy", L.device().index, grid_for(N), cross_entropy_kernel<T>, L.device_data<T>(),
           target.device_data<int64_t>(), w.device_data<double>(), N, C, eps, per.device_data<T>());
  });
}

void cross_entropy_grad_rows(const Tensor& L, const Tensor& target, const Tensor& w, double wsum, double eps,
                             const Tensor& g) {
  const int64_t N = L.size(0), C = L.size(1);
  if (N == 0) return;
  dispatch_float(L.dtype(), "cross_entropy backward on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("cross_entropy backward", L.device().index, grid_for(N), cross_entropy_grad_kernel<T>, L.device_data<T>(),
           target.device_data<int64_t>(), w.device_data<double>(), wsum, N, C, eps, g.device_data<T>());
  });
}

}  // namespace easel::cuda
