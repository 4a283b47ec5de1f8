// Batch-norm kernels: per channel (statistics, gradient sums), then per element.
#include "autograd/cuda/norm.h"
#include "autograd/norm_math.h"
#include "tensor/cuda/launch.h"
#include "tensor/parallel.h"

namespace easel::cuda {

namespace {

template <class T>
__global__ void batch_norm_stats_kernel(BatchNormArgs a, const T* x, T* running_mean, T* running_var, double* mean,
                                        double* invstd) {
  EASEL_GRID_STRIDE_LOOP(c, a.C) {
    double m, v;
    if (a.batch_stats) {
      math::channel_moments(x, a.N, a.C, a.S, c, &m, &v);
      if (a.update_running) math::update_running(running_mean + c, running_var + c, a.momentum, m, v, a.N * a.S);
    } else {
      m = double(running_mean[c]), v = double(running_var[c]);
    }
    mean[c] = m;
    invstd[c] = 1.0 / std::sqrt(v + a.eps);
  }
}

template <class T>
__global__ void batch_norm_apply_kernel(BatchNormArgs a, const T* x, const T* w, const T* b, const double* mean,
                                        const double* invstd, T* y) {
  EASEL_GRID_STRIDE_LOOP(i, a.N * a.C * a.S) {
    const int64_t c = i / a.S % a.C;
    const double scale = invstd[c] * (w ? double(w[c]) : 1.0), shift = b ? double(b[c]) : 0.0;
    y[i] = T((double(x[i]) - mean[c]) * scale + shift);
  }
}

// gw, gb and the two sums per channel (kept in sums [2C] for the per-element pass)
template <class T>
__global__ void batch_norm_grad_sums_kernel(BatchNormArgs a, const T* x, const T* g, const double* mean,
                                            const double* invstd, T* gw, T* gb, double* sums) {
  EASEL_GRID_STRIDE_LOOP(c, a.C) {
    math::channel_grad_sums(x, g, a.N, a.C, a.S, c, mean[c], invstd[c], &sums[c], &sums[a.C + c]);
    gb[c] = T(sums[c]);
    gw[c] = T(sums[a.C + c]);
  }
}

template <class T>
__global__ void batch_norm_grad_input_kernel(BatchNormArgs a, const T* x, const T* g, const T* w, const double* mean,
                                             const double* invstd, const double* sums, T* gx) {
  EASEL_GRID_STRIDE_LOOP(i, a.N * a.C * a.S) {
    const int64_t c = i / a.S % a.C;
    gx[i] = T(math::batch_norm_grad_input(double(g[i]), double(x[i]), mean[c], invstd[c], w ? double(w[c]) : 1.0,
                                          a.N * a.S, sums[c], sums[a.C + c], a.batch_stats));
  }
}

template <class T>
T* optional_data(const Tensor& t) {
  return t.defined() ? t.device_data<T>() : nullptr;
}

}  // namespace

void batch_norm_forward(const BatchNormArgs& a, const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                        const Tensor& w, const Tensor& b, const Tensor& mean, const Tensor& invstd, const Tensor& y) {
  const int dev = x.device().index;
  dispatch_float(x.dtype(), "batch_norm on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("batch_norm (statistics)", dev, grid_for(a.C), batch_norm_stats_kernel<T>, a, x.device_data<T>(),
           optional_data<T>(running_mean), optional_data<T>(running_var), mean.device_data<double>(),
           invstd.device_data<double>());
    launch("batch_norm", dev, grid_for(x.numel()), batch_norm_apply_kernel<T>, a, x.device_data<T>(),
           optional_data<T>(w), optional_data<T>(b), mean.device_data<double>(), invstd.device_data<double>(),
           y.device_data<T>());
  });
}

void batch_norm_backward(const BatchNormArgs& a, const Tensor& x, const Tensor& gy, const Tensor& w,
                         const Tensor& mean, const Tensor& invstd, const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  const int dev = x.device().index;
  const Tensor sums = Tensor::empty({2 * a.C}, DType::f64, x.device());
  dispatch_float(x.dtype(), "batch_norm backward on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("batch_norm backward (sums)", dev, grid_for(a.C), batch_norm_grad_sums_kernel<T>, a, x.device_data<T>(),
           gy.device_data<T>(), mean.device_data<double>(), invstd.device_data<double>(), gw.device_data<T>(),
           gb.device_data<T>(), sums.device_data<double>());
    launch("batch_norm backward", dev, grid_for(x.numel()), batch_norm_grad_input_kernel<T>, a, x.device_data<T>(),
           gy.device_data<T>(), optional_data<T>(w), mean.device_data<double>(), invstd.device_data<double>(),
           sums.device_data<double>(), gx.device_data<T>());
  });
}

}  // namespace easel::cuda
