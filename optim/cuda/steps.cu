// Fused optimizer kernels: each thread updates its parameter elements in place (step_math.h).
#include "optim/cuda/steps.h"
#include "tensor/cuda/launch.h"
#include "tensor/parallel.h"

namespace easel::cuda {

namespace {

template <class T>
__global__ void sgd_kernel(T* p, const T* g, T* buf, int64_t n, math::SgdUpdate u) {
  EASEL_GRID_STRIDE_LOOP(k, n) { u(p[k], g[k], buf ? buf + k : nullptr); }
}

template <class T>
__global__ void adam_kernel(T* p, const T* g, T* m, T* v, int64_t n, math::AdamUpdate u) {
  EASEL_GRID_STRIDE_LOOP(k, n) { u(p[k], g[k], m[k], v[k]); }
}

}  // namespace

void sgd_step(const Tensor& p, const Tensor& g, const Tensor& buf, const math::SgdUpdate& u) {
  const int64_t n = p.numel();
  if (n == 0) return;
  dispatch_float(p.dtype(), "SGD on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("SGD", p.device().index, grid_for(n), sgd_kernel<T>, p.device_data<T>(), g.device_data<T>(),
           buf.defined() ? buf.device_data<T>() : static_cast<T*>(nullptr), n, u);
  });
}

void adam_step(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const math::AdamUpdate& u) {
  const int64_t n = p.numel();
  if (n == 0) return;
  dispatch_float(p.dtype(), "Adam on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("Adam", p.device().index, grid_for(n), adam_kernel<T>, p.device_data<T>(), g.device_data<T>(),
           m.device_data<T>(), v.device_data<T>(), n, u);
  });
}

}  // namespace easel::cuda
