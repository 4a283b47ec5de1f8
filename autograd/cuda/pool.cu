// Pooling kernels: a thread per output (forward) or per input pixel (backward, gathering).
#include "autograd/cuda/pool.h"
#include "tensor/cuda/launch.h"
#include "tensor/parallel.h"

namespace easel::cuda {

namespace {

template <class T>
__global__ void pool_forward_kernel(Pool kind, math::PoolShape s, int64_t planes, const T* x, T* y, int64_t* idx) {
  EASEL_GRID_STRIDE_LOOP(o, planes * s.OH * s.OW) {
    const int64_t pl = o / (s.OH * s.OW), oh = o / s.OW % s.OH, ow = o % s.OW;
    const T* plane = x + pl * s.H * s.W;
    if (kind == Pool::max) y[o] = math::max_window(s, plane, oh, ow, &idx[o]);
    else if (kind == Pool::average) y[o] = math::avg_window_mean(s, plane, oh, ow);
    else y[o] = math::adaptive_mean(s, plane, oh, ow);
  }
}

template <class T>
__global__ void pool_backward_kernel(Pool kind, math::PoolShape s, int64_t planes, const T* gy, const int64_t* idx,
                                     T* gx) {
  EASEL_GRID_STRIDE_LOOP(i, planes * s.H * s.W) {
    const int64_t pl = i / (s.H * s.W), ih = i / s.W % s.H, iw = i % s.W, out = pl * s.OH * s.OW;
    if (kind == Pool::max) gx[i] = math::max_pool_grad_at(s, gy + out, idx + out, ih, iw);
    else if (kind == Pool::average) gx[i] = math::avg_pool_grad_at(s, gy + out, ih, iw);
    else gx[i] = math::adaptive_grad_at(s, gy + out, ih, iw);
  }
}

}  // namespace

void pool2d_forward(Pool kind, const math::PoolShape& s, int64_t planes, const Tensor& x, const Tensor& y,
                    const Tensor& idx) {
  if (planes == 0) return;
  dispatch_float(x.dtype(), "pooling on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("pool2d", x.device().index, grid_for(planes * s.OH * s.OW), pool_forward_kernel<T>, kind, s, planes,
           x.device_data<T>(), y.device_data<T>(), kind == Pool::max ? idx.device_data<int64_t>() : nullptr);
  });
}

void pool2d_backward(Pool kind, const math::PoolShape& s, int64_t planes, const Tensor& gy, const Tensor& idx,
                     const Tensor& gx) {
  if (planes == 0) return;
  dispatch_float(gy.dtype(), "pooling backward on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("pool2d backward", gy.device().index, grid_for(planes * s.H * s.W), pool_backward_kernel<T>, kind, s,
           planes, gy.device_data<T>(), kind == Pool::max ? idx.device_data<int64_t>() : nullptr, gx.device_data<T>());
  });
}

}  // namespace easel::cuda
