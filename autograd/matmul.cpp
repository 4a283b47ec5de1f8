// Matrix products, all through tensor/gemm.h.
#include "autograd/flops.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "tensor/cuda/blas.h"
#include "tensor/gemm.h"
#include "tensor/strided.h"

namespace easel {

namespace {

// C[i] = op(A[i]) · op(B[i]) for dense 3-d stacks; a stack of 1 is reused for every i.
Tensor batched_gemm(const Tensor& A, bool ta, const Tensor& B, bool tb) {
  const int64_t batch = std::max(A.size(0), B.size(0));
  const int64_t M = ta ? A.size(2) : A.size(1), K = ta ? A.size(1) : A.size(2);
  const int64_t N = tb ? B.size(1) : B.size(2);
  EASEL_CHECK(K == (tb ? B.size(2) : B.size(1)), "matmul: inner dims differ (", A.describe(), " x ", B.describe(), ")");
  Tensor C = Tensor::empty({batch, M, N}, A.dtype(), A.device());
  MacCounter::add(batch * M * N * K);
  const int64_t sa = A.size(0) == 1 ? 0 : A.size(1) * A.size(2), sb = B.size(0) == 1 ? 0 : B.size(1) * B.size(2);
  if (A.device().is_cuda()) {
    dispatch_float(A.dtype(), "matmul", [&](auto zero) {
      using T = decltype(zero);
      cuda::gemm_batched<T>(A.device().index, ta, tb, M, N, K, T(1), A.device_data<T>(), A.size(2), sa,
                            B.device_data<T>(), B.size(2), sb, T(0), C.device_data<T>(), N, M * N, batch);
    });
    return C;
  }
  dispatch_float(A.dtype(), "matmul", [&](auto zero) {
    using T = decltype(zero);
    const T *pa = A.data<T>(), *pb = B.data<T>();
    T* pc = C.data<T>();
    auto one = [&](int64_t i) {
      gemm<T>(ta, tb, M, N, K, T(1), pa + i * sa, A.size(2), pb + i * sb, B.size(2), T(0), pc + i * M * N, N);
    };
    // Many small products: one per thread. Few large ones: let the GEMM use the threads.
    if (batch >= num_threads() && batch > 1) parallel_for(batch, one, M * N * K);
    else for (int64_t i = 0; i < batch; ++i) one(i);
  });
  return C;
}

// The first element of `t` wherever it lives, for gemm_on.
template <class T>
T* first(const Tensor& t) {
  return t.device().is_cuda() ? t.device_data<T>() : t.data<T>();
}

// One row-major GEMM, C = alpha·op(A)·op(B) + beta·C, on `device`: tensor/gemm.h or cuBLAS.
template <class T>
void gemm_on(const Device& device, bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
             int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (device.is_cuda()) cuda::gemm_batched<T>(device.index, ta, tb, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
  else gemm<T>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace

// Y = A·B over broadcast batch dims;  gA = gY·Bᵀ, gB = Aᵀ·gY (each summed back to its input's shape)
Tensor matmul(const Tensor& a, const Tensor& b) {
  EASEL_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: needs tensors of at least 1 dim, got ", a.describe(), " and ",
              b.describe());
  if (a.dim() == 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
  if (b.dim() == 1) return matmul(a, b.unsqueeze(-1)).squeeze(-1);
  EASEL_CHECK(a.dtype() == b.dtype(), "matmul: dtype mismatch, ", a.describe(), " and ", b.describe());
  EASEL_CHECK(a.device() == b.device(), "matmul: the inputs are on different devices, ", a.describe(), " and ",
              b.describe());
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  EASEL_CHECK(b.size(-2) == K, "matmul: ", a.describe(), " x ", b.describe(), ": inner dims ", K, " and ", b.size(-2),
              " differ");
  const Shape ab(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  const Shape batch = broadcast_shapes(ab, bb, "matmul (batch dims)");
  const int64_t nb = shape_numel(batch);
  auto stack = [&](const Tensor& t, const Shape& tb, int64_t r, int64_t c) {
    Shape full = batch;
    full.push_back(r);
    full.push_back(c);
    if (shape_numel(tb) == 1) return dense(t.detach()).reshape({1, r, c});  // shared by every batch entry
    return dense(t.detach().expand(full)).reshape({nb, r, c});
  };
  Tensor A = stack(a, ab, M, K), B = stack(b, bb, K, N);
  Tensor C;
  if (B.size(0) == 1 && A.size(0) > 1)  // [..., M, K] x [K, N]: one tall product
    C = batched_gemm(A.reshape({1, nb * M, K}), false, B, false);
  else
    C = batched_gemm(A, false, B, false);
  Shape out = batch;
  out.push_back(M);
  out.push_back(N);
  Tensor y = C.reshape(out);
  return record(y, "matmul", {a, b}, saved_input(0) | saved_input(1),
                [A, B, nb, M, K, N, as = a.shape(), bs = b.shape()](const Tensor& gy)
                -> std::vector<Tensor> {
    const Tensor G = dense(gy).reshape({nb, M, N});
    Tensor ga = batched_gemm(G, false, B, true);  // [nb, M, K]
    Tensor gb = A.size(0) == 1 && nb > 1 ? batched_gemm(A.expand({nb, M, K}).contiguous(), true, G, false)
                                         : batched_gemm(A, true, G, false);  // [nb, K, N]
    Shape ga_s(gy.shape().begin(), gy.shape().end() - 2), gb_s = ga_s;
    ga_s.push_back(M), ga_s.push_back(K), gb_s.push_back(K), gb_s.push_back(N);
    return {sum_to(ga.reshape(ga_s), as), sum_to(gb.reshape(gb_s), bs)};
  });
}

// y = x·Wᵀ + b, x [..., in], W [out, in], b [out];  gx = gy·W, gW = gyᵀ·x, gb = Σ_rows gy
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  EASEL_CHECK(weight.dim() == 2, "linear: weight must be [out, in], got ", weight.describe());
  const int64_t in = weight.size(1), out = weight.size(0);
  EASEL_CHECK(x.dim() >= 1 && x.size(-1) == in, "linear: input ", x.describe(), " does not end in ", in,
              " features (weight ", weight.describe(), ")");
  EASEL_CHECK(x.dtype() == weight.dtype(), "linear: dtype mismatch, input ", x.describe(), ", weight ", weight.describe());
  EASEL_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == out), "linear: bias must be [", out, "], got ",
              bias.describe());
  EASEL_CHECK(!bias.defined() || bias.dtype() == x.dtype(), "linear: dtype mismatch, input ", x.describe(), ", bias ",
              bias.describe());
  for (const Tensor& t : {weight, bias})
    EASEL_CHECK(!t.defined() || t.device() == x.device(), "linear: the input is ", x.describe(), " but a parameter is ",
                t.describe(), "; move the module with .to(device)");
  const Tensor X = dense(x), W = dense(weight), b = bias.defined() ? dense(bias) : Tensor();
  const int64_t rows = x.numel() / in;
  Shape ys = x.shape();
  ys.back() = out;
  Tensor y = Tensor::empty(ys, x.dtype(), x.device());
  MacCounter::add(rows * in * out);
  const Device dev = x.device();
  // The bias enters as a rank-1 product, y = 1·bᵀ, so one body serves both devices; the GEMM then adds x·Wᵀ.
  const Tensor ones = b.defined() ? Tensor::ones({rows}, x.dtype(), dev) : Tensor();
  dispatch_float(x.dtype(), "linear", [&](auto zero) {
    using T = decltype(zero);
    if (b.defined()) gemm_on<T>(dev, false, false, rows, out, 1, T(1), first<T>(ones), 1, first<T>(b), out, T(0),
                                first<T>(y), out);
    gemm_on<T>(dev, false, true, rows, out, in, T(1), first<T>(X), in, first<T>(W), in, T(b.defined() ? 1 : 0),
               first<T>(y), out);
  });
  const Saved saved = saved_input(0) | saved_input(1) | (ones.defined() ? kSavedComputed : kSavedNothing);
  return record(y, "linear", {x, weight, bias}, saved, [X, W, ones, rows, in, out, dev](const Tensor& gy_in)
                -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    Tensor gx = Tensor::empty(X.shape(), X.dtype(), dev), gw = Tensor::empty(W.shape(), W.dtype(), dev);
    Tensor gb = ones.defined() ? Tensor::empty({out}, X.dtype(), dev) : Tensor();
    dispatch_float(X.dtype(), "linear backward", [&](auto zero) {
      using T = decltype(zero);
      const T* g = first<T>(gy);
      gemm_on<T>(dev, false, false, rows, in, out, T(1), g, out, first<T>(W), in, T(0), first<T>(gx), in);
      gemm_on<T>(dev, true, false, out, in, rows, T(1), g, out, first<T>(X), in, T(0), first<T>(gw), in);
      if (gb.defined())  // gb = gyᵀ·1
        gemm_on<T>(dev, true, false, out, 1, rows, T(1), g, out, first<T>(ones), 1, T(0), first<T>(gb), 1);
    });
    return {gx, gw, gb};
  });
}

}  // namespace easel
