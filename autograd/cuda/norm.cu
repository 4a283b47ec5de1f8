// Batch-norm kernels: a block per channel for its sums (the statistics, the gradient sums), then a
// thread per element.
#include "autograd/cuda/norm.h"
#include "autograd/norm_math.h"
#include "tensor/cuda/launch.h"
#include "tensor/parallel.h"

namespace easel::cuda {

namespace {

// Channel c's elements are x[math::channel_element(C, S, c, k)], k < M = N·S. The kernels that sum
// them take a block per channel: each thread adds k ≡ threadIdx (mod blockDim) in double, then
// block_sum's tree (launch.h).

// mean[c], invstd[c] from the batch: the mean, then the biased variance Σ (x - μ)² / M (two passes);
// the running statistics updated in place when asked.
template <class T>
__global__ void batch_moments_kernel(BatchNormArgs a, const T* x, T* running_mean, T* running_var, double* mean,
                                     double* invstd) {
  __shared__ double partial[kMaxBlockThreads];
  const int64_t M = a.N * a.S;
  for (int64_t c = blockIdx.x; c < a.C; c += gridDim.x) {
    double s = 0, ss = 0;
    for (int64_t k = threadIdx.x; k < M; k += blockDim.x) s += double(x[math::channel_element(a.C, a.S, c, k)]);
    const double m = block_sum(s, partial) / double(M);
    for (int64_t k = threadIdx.x; k < M; k += blockDim.x) {
      const double d = double(x[math::channel_element(a.C, a.S, c, k)]) - m;
      ss += d * d;
    }
    const double v = block_sum(ss, partial) / double(M);
    if (threadIdx.x == 0) {
      mean[c] = m;
      invstd[c] = 1.0 / std::sqrt(v + a.eps);
      if (a.update_running) math::update_running(running_mean + c, running_var + c, a.momentum, m, v, M);
    }
  }
}

// mean[c], invstd[c] from the running statistics (evaluation)
template <class T>
__global__ void running_moments_kernel(BatchNormArgs a, const T* running_mean, const T* running_var, double* mean,
                                       double* invstd) {
  EASEL_GRID_STRIDE_LOOP(c, a.C) {
    mean[c] = double(running_mean[c]);
    invstd[c] = 1.0 / std::sqrt(double(running_var[c]) + a.eps);
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

// sums[c] = Σ g, sums[C + c] = Σ g·x̂ over channel c, x̂ = (x - μ)·σ̂; gb[c], gw[c] = the same
template <class T>
__global__ void batch_norm_grad_sums_kernel(BatchNormArgs a, const T* x, const T* g, const double* mean,
                                            const double* invstd, T* gw, T* gb, double* sums) {
  __shared__ double partial[kMaxBlockThreads];
  const int64_t M = a.N * a.S;
  for (int64_t c = blockIdx.x; c < a.C; c += gridDim.x) {
    double sg = 0, sgx = 0;
    for (int64_t k = threadIdx.x; k < M; k += blockDim.x) {
      const int64_t o = math::channel_element(a.C, a.S, c, k);
      sg += double(g[o]);
      sgx += double(g[o]) * (double(x[o]) - mean[c]) * invstd[c];
    }
    sg = block_sum(sg, partial);
    sgx = block_sum(sgx, partial);
    if (threadIdx.x == 0) {
      sums[c] = sg, sums[a.C + c] = sgx;
      gb[c] = T(sg), gw[c] = T(sgx);
    }
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
  double* m = mean.device_data<double>();
  double* is = invstd.device_data<double>();
  dispatch_float(x.dtype(), "batch_norm on cuda", [&](auto zero) {
    using T = decltype(zero);
    if (a.batch_stats)
      launch("batch_norm (statistics)", dev, block_per_row(a.C, a.N * a.S), batch_moments_kernel<T>, a,
             x.device_data<T>(), optional_data<T>(running_mean), optional_data<T>(running_var), m, is);
    else
      launch("batch_norm (running statistics)", dev, grid_for(a.C), running_moments_kernel<T>, a,
             running_mean.device_data<T>(), running_var.device_data<T>(), m, is);
    launch("batch_norm", dev, grid_for(x.numel()), batch_norm_apply_kernel<T>, a, x.device_data<T>(),
           optional_data<T>(w), optional_data<T>(b), m, is, y.device_data<T>());
  });
}

void batch_norm_backward(const BatchNormArgs& a, const Tensor& x, const Tensor& gy, const Tensor& w,
                         const Tensor& mean, const Tensor& invstd, const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  const int dev = x.device().index;
  const Tensor sums = Tensor::empty({2 * a.C}, DType::f64, x.device());
  dispatch_float(x.dtype(), "batch_norm backward on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("batch_norm backward (sums)", dev, block_per_row(a.C, a.N * a.S), batch_norm_grad_sums_kernel<T>, a,
           x.device_data<T>(), gy.device_data<T>(), mean.device_data<double>(), invstd.device_data<double>(),
           gw.device_data<T>(), gb.device_data<T>(), sums.device_data<double>());
    launch("batch_norm backward", dev, grid_for(x.numel()), batch_norm_grad_input_kernel<T>, a, x.device_data<T>(),
           gy.device_data<T>(), optional_data<T>(w), mean.device_data<double>(), invstd.device_data<double>(),
           sums.device_data<double>(), gx.device_data<T>());
  });
}

}  // namespace easel::cuda
