#include "tensor/gemm.h"

#include <Eigen/Core>

namespace easel {

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
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

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                          float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
                           int64_t, double, double*, int64_t);


}  // namespace easel
