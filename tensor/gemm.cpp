#include "tensor/gemm.h"

#include <Eigen/Core>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "tensor/error.h"

namespace easel {

namespace {

bool cpu_runs(GemmPath p) {
  const GemmPath best = detect_gemm_path();
  if (p == GemmPath::avx512) return best == GemmPath::avx512;
  if (p == GemmPath::avx2) return best == GemmPath::avx512 || best == GemmPath::avx2;
  return true;
}

std::atomic<GemmPath> g_path{GemmPath::automatic};  // resolved on first use

// EASEL_GEMM, else the best kernel of this CPU. A value that names no path, or a path this CPU
// lacks, is ignored with a warning (gemm runs inside parallel regions, where it cannot throw).
GemmPath initial_path() {
  const char* e = std::getenv("EASEL_GEMM");
  if (!e || !*e) return detect_gemm_path();
  for (GemmPath p : {GemmPath::eigen, GemmPath::avx512, GemmPath::avx2, GemmPath::portable})
    if (std::strcmp(e, gemm_path_name(p)) == 0) {
      if (cpu_runs(p)) return p;
      std::fprintf(stderr, "easel: EASEL_GEMM=%s ignored: this CPU lacks its instructions; using %s\n", e,
                   gemm_path_name(detect_gemm_path()));
      return detect_gemm_path();
    }
  std::fprintf(stderr, "easel: EASEL_GEMM=%s ignored: expected eigen, avx512, avx2 or portable; using %s\n", e,
               gemm_path_name(detect_gemm_path()));
  return detect_gemm_path();
}

}  // namespace

const char* gemm_path_name(GemmPath p) {
  switch (p) {
    case GemmPath::automatic: return "automatic";
    case GemmPath::eigen: return "eigen";
    case GemmPath::avx512: return "avx512";
    case GemmPath::avx2: return "avx2";
    case GemmPath::portable: return "portable";
  }
  return "?";
}

void set_gemm_path(GemmPath p) {
  if (p == GemmPath::automatic) p = detect_gemm_path();
  EASEL_CHECK(cpu_runs(p), "GEMM path ", gemm_path_name(p), ": this CPU lacks the instructions (it runs ",
              gemm_path_name(detect_gemm_path()), ")");
  g_path.store(p);
}

GemmPath gemm_path() {
  const GemmPath p = g_path.load(std::memory_order_relaxed);
  if (p != GemmPath::automatic) return p;
  static const GemmPath initial = initial_path();
  GemmPath expected = GemmPath::automatic;
  g_path.compare_exchange_strong(expected, initial);
  return g_path.load();
}

// The reference: Eigen's GEMM (and the f64 path).
template <class T>
void gemm_eigen(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Stride = Eigen::OuterStride<>;
  using CMap = Eigen::Map<const Mat, 0, Stride>;
  Eigen::Map<Mat, 0, Stride> c(C, M, N, Stride(ldc));
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (beta == T(0)) c.setZero();
    else c *= beta;
    return;
  }
  // Stored shapes: A is M×K (or K×M when transposed), B is K×N (or N×K).
  const CMap a(A, trans_a ? K : M, trans_a ? M : K, Stride(lda));
  const CMap b(B, trans_b ? N : K, trans_b ? K : N, Stride(ldb));
  auto product = [&](const auto& x, const auto& y) {
    if (beta == T(0)) c.noalias() = alpha * (x * y);
    else {
      if (beta != T(1)) c *= beta;
      c.noalias() += alpha * (x * y);
    }
  };
  if (!trans_a && !trans_b) product(a, b);
  else if (trans_a && !trans_b) product(a.transpose(), b);
  else if (!trans_a && trans_b) product(a, b.transpose());
  else product(a.transpose(), b.transpose());
}

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  const GemmPath p = std::is_same<T, float>::value ? gemm_path() : GemmPath::eigen;
  // Skinny products (a few rows through a linear layer or an LSTM, a matrix-vector product, a
  // 16-tile Winograd GEMM) would leave most of a micro-tile empty and spend their time packing the
  // other operand: Eigen's GEMV and small-matrix paths were 1.1-20× faster there on this machine.
  if constexpr (std::is_same<T, float>::value)
    if (p != GemmPath::eigen && M >= 32 && N >= 32)
      return gemm_blocked(p, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  gemm_eigen(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                          float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                           int64_t, double, double*, int64_t);


}  // namespace easel
