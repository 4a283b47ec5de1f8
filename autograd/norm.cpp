// Batch normalisation and dropout.
#include <cmath>
#include <vector>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "tensor/strided.h"

namespace easel {

// y = (x - μ_c)·σ̂_c·w_c + b_c with σ̂ = 1/√(var + eps), statistics per channel c over N and space.
// Backward (batch statistics, x̂ = (x - μ)σ̂, M values per channel):
//   gw = Σ g·x̂,  gb = Σ g,  gx = w·σ̂/M · (M·g - Σ g - x̂·Σ g·x̂);  with running statistics gx = g·w·σ̂.
Tensor batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight, const Tensor& bias,
                  bool training, double momentum, double eps) {
  EASEL_CHECK(x.dim() >= 2, "batch_norm: input must be [N, C, ...], got ", x.describe());
  const int64_t N = x.size(0), C = x.size(1), S = x.numel() / std::max<int64_t>(N * C, 1), M = N * S;
  for (const Tensor* t : std::initializer_list<const Tensor*>{&running_mean, &running_var, &weight, &bias})
    EASEL_CHECK(!t->defined() || (t->dim() == 1 && t->size(0) == C && t->dtype() == x.dtype()), "batch_norm: input ",
                x.describe(), " has ", C, " channels but a parameter/statistic is ", t->describe());
  const bool use_batch_stats = training || !running_mean.defined() || !running_var.defined();
  EASEL_CHECK(!use_batch_stats || M > 1, "batch_norm: need more than 1 value per channel to compute batch statistics, got input ",
              x.describe());
  const Tensor X = dense(x), w = weight.defined() ? dense(weight) : Tensor(), b = bias.defined() ? dense(bias) : Tensor();
  std::vector<double> mu(static_cast<size_t>(C)), invstd(static_cast<size_t>(C));
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch_float(x.dtype(), "batch_norm", [&](auto zero) {
    using T = decltype(zero);
    const T* px = X.data<T>();
    T* py = y.data<T>();
    const T* pw = w.defined() ? w.data<T>() : nullptr;
    const T* pb = b.defined() ? b.data<T>() : nullptr;
    parallel_for(C, [&](int64_t c) {
      double m, v;
      if (use_batch_stats) {
        double s = 0, ss = 0;
        for (int64_t n = 0; n < N; ++n)
          for (int64_t i = 0; i < S; ++i) s += double(px[(n * C + c) * S + i]);
        m = s / double(M);
        for (int64_t n = 0; n < N; ++n)
          for (int64_t i = 0; i < S; ++i) {
            const double d = double(px[(n * C + c) * S + i]) - m;
            ss += d * d;
          }
        v = ss / double(M);  // biased: used to normalise
      } else {
        m = running_mean.at({c});
        v = running_var.at({c});
      }
      mu[size_t(c)] = m;
      invstd[size_t(c)] = 1.0 / std::sqrt(v + eps);
      const double scale = invstd[size_t(c)] * (pw ? double(pw[c]) : 1.0), shift = pb ? double(pb[c]) : 0.0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < S; ++i) {
          const int64_t o = (n * C + c) * S + i;
          py[o] = T((double(px[o]) - m) * scale + shift);
        }
      if (training && running_mean.defined() && running_var.defined()) {  // unbiased variance, as PyTorch
        running_mean.set({c}, (1 - momentum) * running_mean.at({c}) + momentum * m);
        running_var.set({c}, (1 - momentum) * running_var.at({c}) + momentum * v * double(M) / double(M - 1));
      }
    }, M);
  });
  return record(y, "batch_norm", {x, weight, bias}, [X, w, mu, invstd, N, C, S, M, use_batch_stats](const Tensor& gy_in)
                -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    Tensor gx = Tensor::empty(X.shape(), X.dtype()), gw = Tensor::empty({C}, X.dtype()), gb = Tensor::empty({C}, X.dtype());
    dispatch_float(X.dtype(), "batch_norm backward", [&](auto zero) {
      using T = decltype(zero);
      const T *px = X.data<T>(), *pg = gy.data<T>();
      const T* pw = w.defined() ? w.data<T>() : nullptr;
      T *pgx = gx.data<T>(), *pgw = gw.data<T>(), *pgb = gb.data<T>();
      parallel_for(C, [&](int64_t c) {
        const double m = mu[size_t(c)], is = invstd[size_t(c)];
        double sg = 0, sgx = 0;  // Σ g and Σ g·x̂
        for (int64_t n = 0; n < N; ++n)
          for (int64_t i = 0; i < S; ++i) {
            const int64_t o = (n * C + c) * S + i;
            sg += double(pg[o]);
            sgx += double(pg[o]) * (double(px[o]) - m) * is;
          }
        pgw[c] = T(sgx);
        pgb[c] = T(sg);
        const double wc = pw ? double(pw[c]) : 1.0;
        for (int64_t n = 0; n < N; ++n)
          for (int64_t i = 0; i < S; ++i) {
            const int64_t o = (n * C + c) * S + i;
            if (use_batch_stats) {
              const double xhat = (double(px[o]) - m) * is;
              pgx[o] = T(wc * is / double(M) * (double(M) * double(pg[o]) - sg - xhat * sgx));
            } else {
              pgx[o] = T(double(pg[o]) * wc * is);
            }
          }
      }, M);
    });
    return {gx, gw, gb};
  });
}

// y = x·mask/(1-p), mask ~ Bernoulli(1-p);  gx = gy·mask/(1-p) (through mul)
Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  EASEL_CHECK(p >= 0 && p <= 1, "dropout: p must be in [0, 1], got ", p);
  if (!training || p == 0) return x;
  if (p == 1) return x * 0.0;
  const Tensor mask = Tensor::bernoulli(x.shape(), 1 - p, x.dtype(), gen);
  return x * (mask * (1.0 / (1 - p)));
}

}  // namespace easel
