// The one matrix-multiply entry point of the CPU backend. Convolution, linear, matmul and LSTM
// all end up here, so a faster GEMM (blocked, fused, our own) speeds up everything at once.
#pragma once
#include <cstdint>

namespace easel {

// Row-major C[M×N] = alpha · op(A) · op(B) + beta · C, op(X) = X or Xᵀ.
// lda/ldb/ldc are row strides (elements between consecutive rows as stored).
// Multi-threaded (Eigen + OpenMP) unless called from inside a parallel region.
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

}  // namespace easel
