// Batch-norm kernels: per-channel sums in interleaved slices (reduce_math.h reduction_slices), the
// slice sums added per channel, then a thread per element.
#include "autograd/cuda/norm.h"
#include "autograd/norm_math.h"
#include "autograd/reduce_math.h"
#include "tensor/cuda/launch.h"
#include "tensor/parallel.h"

namespace easel::cuda {

namespace {

// What a channel's slice sums add up (see channel_slice_sums_kernel).
enum class ChannelSum { x, centred_squares, grads };

// Slice p of channel c (elements k ≡ p mod P, reduce_math.h reduction_slices), summed in double:
//   x:               out[c·P + p] = Σ x
//   centred_squares: out[c·P + p] = Σ (x - mean[c])²
//   grads:           out[c·P + p] = Σ g,  out[(C + c)·P + p] = Σ g·x̂
template <class T>
__global__ void channel_slice_sums_kernel(BatchNormArgs a, int64_t P, ChannelSum what, const T* x, const T* g,
                                          const double* mean, const double* invstd, double* out) {
  const int64_t M = a.N * a.S;
  EASEL_GRID_STRIDE_LOOP(i, a.C * P) {
    const int64_t c = i / P;
    double s = 0, s2 = 0;
    for (int64_t k = i % P; k < M; k += P) {
      const int64_t o = math::channel_element(a.C, a.S, c, k);
      if (what == ChannelSum::x) {
        s += double(x[o]);
      } else if (what == ChannelSum::centred_squares) {
        const double d = double(x[o]) - mean[c];
        s += d * d;
      } else {
        s += double(g[o]);
        s2 += double(g[o]) * (double(x[o]) - mean[c]) * invstd[c];
      }
    }
    out[i] = s;
    if (what == ChannelSum::grads) out[a.C * P + i] = s2;
  }
}

// Σ_p slices[c·P + p], in order
__device__ inline double add_slices(const double* slices, int64_t c, int64_t P) {
  double acc = 0;
  for (int64_t p = 0; p < P; ++p) acc += slices[c * P + p];
  return acc;
}

// mean[c] = Σ x / M from the slice sums
__global__ void batch_mean_kernel(BatchNormArgs a, int64_t P, const double* slices, double* mean) {
  EASEL_GRID_STRIDE_LOOP(c, a.C) mean[c] = add_slices(slices, c, P) / double(a.N * a.S);
}

// invstd[c] from the batch variance (slice sums of (x - μ)²) or the running one; running statistics
// updated in place when asked (before: mean[c] holds the batch mean, or nothing yet)
template <class T>
__global__ void batch_norm_stats_kernel(BatchNormArgs a, int64_t P, const double* slices, T* running_mean,
                                        T* running_var, double* mean, double* invstd) {
  EASEL_GRID_STRIDE_LOOP(c, a.C) {
    double v;
    if (a.batch_stats) {
      v = add_slices(slices, c, P) / double(a.N * a.S);
      if (a.update_running) math::update_running(running_mean + c, running_var + c, a.momentum, mean[c], v, a.N * a.S);
    } else {
      mean[c] = double(running_mean[c]), v = double(running_var[c]);
    }
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

// sums [2C] = Σ g, Σ g·x̂ per channel from the slice sums; gb, gw = the same
template <class T>
__global__ void batch_norm_grad_sums_kernel(BatchNormArgs a, int64_t P, const double* slices, T* gw, T* gb,
                                            double* sums) {
  EASEL_GRID_STRIDE_LOOP(c, a.C) {
    sums[c] = add_slices(slices, c, P);
    sums[a.C + c] = add_slices(slices + a.C * P, c, P);
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
  const int64_t P = math::reduction_slices(a.N * a.S);
  const Tensor slices = a.batch_stats ? Tensor::empty({a.C * P}, DType::f64, x.device()) : Tensor();
  double* sl = a.batch_stats ? slices.device_data<double>() : nullptr;
  double* m = mean.device_data<double>();
  dispatch_float(x.dtype(), "batch_norm on cuda", [&](auto zero) {
    using T = decltype(zero);
    const T* px = x.device_data<T>();
    if (a.batch_stats) {  // two passes over x: the mean, then the centred squares
      launch("batch_norm (sums)", dev, grid_for(a.C * P), channel_slice_sums_kernel<T>, a, P, ChannelSum::x, px,
             nullptr, nullptr, nullptr, sl);
      launch("batch_norm (mean)", dev, grid_for(a.C), batch_mean_kernel, a, P, sl, m);
      launch("batch_norm (squares)", dev, grid_for(a.C * P), channel_slice_sums_kernel<T>, a, P,
             ChannelSum::centred_squares, px, nullptr, m, nullptr, sl);
    }
    launch("batch_norm (statistics)", dev, grid_for(a.C), batch_norm_stats_kernel<T>, a, P, sl,
           optional_data<T>(running_mean), optional_data<T>(running_var), m, invstd.device_data<double>());
    launch("batch_norm", dev, grid_for(x.numel()), batch_norm_apply_kernel<T>, a, x.device_data<T>(),
           optional_data<T>(w), optional_data<T>(b), mean.device_data<double>(), invstd.device_data<double>(),
           y.device_data<T>());
  });
}

void batch_norm_backward(const BatchNormArgs& a, const Tensor& x, const Tensor& gy, const Tensor& w,
                         const Tensor& mean, const Tensor& invstd, const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  const int dev = x.device().index;
  const Tensor sums = Tensor::empty({2 * a.C}, DType::f64, x.device());
  const int64_t P = math::reduction_slices(a.N * a.S);
  const Tensor slices = Tensor::empty({2 * a.C * P}, DType::f64, x.device());
  dispatch_float(x.dtype(), "batch_norm backward on cuda", [&](auto zero) {
    using T = decltype(zero);
    launch("batch_norm backward (slices)", dev, grid_for(a.C * P), channel_slice_sums_kernel<T>, a, P,
           ChannelSum::grads, x.device_data<T>(), gy.device_data<T>(), mean.device_data<double>(),
           invstd.device_data<double>(), slices.device_data<double>());
    launch("batch_norm backward (sums)", dev, grid_for(a.C), batch_norm_grad_sums_kernel<T>, a, P,
           slices.device_data<double>(), gw.device_data<T>(), gb.device_data<T>(), sums.device_data<double>());
    launch("batch_norm backward", dev, grid_for(x.numel()), batch_norm_grad_input_kernel<T>, a, x.device_data<T>(),
           gy.device_data<T>(), optional_data<T>(w), mean.device_data<double>(), invstd.device_data<double>(),
           sums.device_data<double>(), gx.device_data<T>());
  });
}

}  // namespace easel::cuda
