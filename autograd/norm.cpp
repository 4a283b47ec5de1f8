// Batch normalisation and dropout.
#include <cmath>
#include <vector>

#include "autograd/cuda/norm.h"
#include "autograd/elementwise_math.h"
#include "autograd/node.h"
#include "autograd/norm_math.h"
#include "autograd/ops.h"
#include "tensor/strided.h"

namespace easel {

// y = (x - μ_c)·σ̂_c·w_c + b_c with σ̂ = 1/√(var + eps), statistics per channel c over N and space.
// Backward (batch statistics, x̂ = (x - μ)σ̂, M values per channel):
//   gw = Σ g·x̂,  gb = Σ g,  gx = w·σ̂/M · (M·g - Σ g - x̂·Σ g·x̂);  with running statistics gx = g·w·σ̂.
// The math is norm_math.h; a device input goes to autograd/cuda/norm.cu.
// With relu: y = max(bn(x), 0), and g is first masked by y > 0 (ReLU's gradient) in backward.
static Tensor batch_norm_and_maybe_relu(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight,
                                        const Tensor& bias, bool training, double momentum, double eps, bool relu) {
  EASEL_CHECK(x.dim() >= 2, "batch_norm: input must be [N, C, ...], got ", x.describe());
  const int64_t N = x.size(0), C = x.size(1), S = x.numel() / std::max<int64_t>(N * C, 1), M = N * S;
  for (const Tensor* t : std::initializer_list<const Tensor*>{&running_mean, &running_var, &weight, &bias}) {
    EASEL_CHECK(!t->defined() || (t->dim() == 1 && t->size(0) == C && t->dtype() == x.dtype()), "batch_norm: input ",
                x.describe(), " has ", C, " channels but a parameter/statistic is ", t->describe());
    EASEL_CHECK(!t->defined() || t->device() == x.device(), "batch_norm: the input is ", x.describe(),
                " but a parameter/statistic is ", t->describe(), "; move the module with .to(device)");
  }
  const bool use_batch_stats = training || !running_mean.defined() || !running_var.defined();
  EASEL_CHECK(!use_batch_stats || M > 1, "batch_norm: need more than 1 value per channel to compute batch statistics, got input ",
              x.describe());
  const cuda::BatchNormArgs args{N, C, S, use_batch_stats, training && running_mean.defined() && running_var.defined(),
                                 momentum, eps};
  const Tensor X = dense(x), w = weight.defined() ? dense(weight) : Tensor(), b = bias.defined() ? dense(bias) : Tensor();
  const Tensor mean = Tensor::empty({C}, DType::f64, x.device()), invstd = Tensor::empty({C}, DType::f64, x.device());
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device().is_cuda()) {
    const bool uses_running = !args.batch_stats || args.update_running;  // the kernel reads them as dense
    EASEL_CHECK(!uses_running || (running_mean.is_contiguous() && running_var.is_contiguous()),
                "batch_norm: running statistics on a device must be contiguous");
    cuda::batch_norm_forward(args, X, running_mean, running_var, w, b, mean, invstd, y);
  } else {
    dispatch_float(x.dtype(), "batch_norm", [&](auto zero) {
      using T = decltype(zero);
      const T* px = X.data<T>();
      T* py = y.data<T>();
      const T* pw = w.defined() ? w.data<T>() : nullptr;
      const T* pb = b.defined() ? b.data<T>() : nullptr;
      double *pm = mean.data<double>(), *pi = invstd.data<double>();
      parallel_for(C, [&](int64_t c) {
        double m, v;
        if (use_batch_stats) {
          math::channel_moments(px, N, C, S, c, &m, &v);
        } else {
          m = running_mean.at({c});
          v = running_var.at({c});
        }
        pm[c] = m;
        pi[c] = 1.0 / std::sqrt(v + eps);
        const double scale = pi[c] * (pw ? double(pw[c]) : 1.0), shift = pb ? double(pb[c]) : 0.0;
        for (int64_t n = 0; n < N; ++n)
          for (int64_t i = 0; i < S; ++i) {
            const int64_t o = (n * C + c) * S + i;
            const T v = T((double(px[o]) - m) * scale + shift);
            py[o] = relu ? math::Relu{}(v) : v;
          }
        if (args.update_running) {
          T rm = T(running_mean.at({c})), rv = T(running_var.at({c}));
          math::update_running(&rm, &rv, momentum, m, v, M);
          running_mean.set({c}, double(rm));
          running_var.set({c}, double(rv));
        }
      }, M);
    });
  }
  const Tensor Y = relu ? y : Tensor();  // backward's ReLU mask
  const Saved saved = saved_input(0) | (w.defined() ? saved_input(1) : kSavedNothing) | kSavedComputed |  // mean, invstd
                      (relu ? kSavedOutput : kSavedNothing);
  return record(y, relu ? "batch_norm_relu" : "batch_norm", {x, weight, bias}, saved,
                [X, Y, w, mean, invstd, args](const Tensor& gy_in) -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    const int64_t C = args.C;
    Tensor gx = Tensor::empty(X.shape(), X.dtype(), X.device()), gw = Tensor::empty({C}, X.dtype(), X.device()),
           gb = Tensor::empty({C}, X.dtype(), X.device());
    if (X.device().is_cuda()) {
      cuda::batch_norm_backward(args, X, gy, w, mean, invstd, gx, gw, gb);
      return {gx, gw, gb};
    }
    dispatch_float(X.dtype(), "batch_norm backward", [&](auto zero) {
      using T = decltype(zero);
      const T *px = X.data<T>(), *pg = gy.data<T>(), *py = Y.defined() ? Y.data<T>() : nullptr;
      const T* pw = w.defined() ? w.data<T>() : nullptr;
      const double *pm = mean.data<double>(), *pi = invstd.data<double>();
      T *pgx = gx.data<T>(), *pgw = gw.data<T>(), *pgb = gb.data<T>();
      parallel_for(C, [&](int64_t c) {
        const T* g = pg;
        if (py) {  // g = gy·(y > 0), staged in gx: this channel's values are overwritten only below
          for (int64_t n = 0; n < args.N; ++n)
            for (int64_t i = 0; i < args.S; ++i) {
              const int64_t o = (n * C + c) * args.S + i;
              pgx[o] = py[o] > 0 ? pg[o] : T(0);
            }
          g = pgx;
        }
        double sg, sgx;  // Σ g and Σ g·x̂
        math::channel_grad_sums(px, g, args.N, C, args.S, c, pm[c], pi[c], &sg, &sgx);
        pgw[c] = T(sgx);
        pgb[c] = T(sg);
        const double wc = pw ? double(pw[c]) : 1.0;
        for (int64_t n = 0; n < args.N; ++n)
          for (int64_t i = 0; i < args.S; ++i) {
            const int64_t o = (n * C + c) * args.S + i;
            pgx[o] = T(math::batch_norm_grad_input(double(g[o]), double(px[o]), pm[c], pi[c], wc, args.N * args.S, sg,
                                                   sgx, args.batch_stats));
          }
      }, args.N * args.S);
    });
    return {gx, gw, gb};
  });
}

Tensor batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight, const Tensor& bias,
                  bool training, double momentum, double eps) {
  return batch_norm_and_maybe_relu(x, running_mean, running_var, weight, bias, training, momentum, eps, false);
}

Tensor batch_norm_relu(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight,
                       const Tensor& bias, bool training, double momentum, double eps) {
  if (x.device().is_cuda()) return relu(batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps));
  return batch_norm_and_maybe_relu(x, running_mean, running_var, weight, bias, training, momentum, eps, true);
}

// y = x·mask/(1-p), mask ~ Bernoulli(1-p);  gx = gy·mask/(1-p) (through mul). The mask comes from a
// counter-based stream keyed by one draw from `gen` (Tensor::keep_mask), drawn on x's device: a
// seed gives the same mask on the CPU and on a GPU.
Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  EASEL_CHECK(p >= 0 && p <= 1, "dropout: p must be in [0, 1], got ", p);
  if (!training || p == 0) return x;
  if (p == 1) return x * 0.0;
  return x * Tensor::keep_mask(x.shape(), 1 - p, 1.0 / (1 - p), x.dtype(), x.device(), gen);
}

}  // namespace easel
