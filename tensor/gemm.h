// The one matrix-multiply entry point of the CPU backend. Convolution, linear, matmul and LSTM
// all end up here, so a faster GEMM speeds up everything at once.
//
// f64 goes through Eigen. f32 goes through Easel's own packed, cache-blocked GEMM
// (tensor/gemm_blocked.cpp) with the micro-kernel for the CPU found at run time — AVX-512, AVX2 +
// FMA, or portable loops — and Eigen stays beside it as the reference the tests hold it against.
// Skinny f32 products (M or N under 32) also go to Eigen, which does them better.
// EASEL_GEMM=eigen|avx512|avx2|portable in the environment, or set_gemm_path(), forces one.
#pragma once
#include <cstdint>

namespace easel {

// Row-major C[M×N] = alpha · op(A) · op(B) + beta · C, op(X) = X or Xᵀ.
// lda/ldb/ldc are row strides (elements between consecutive rows as stored). With beta = 0, C is
// only written (it may hold anything, NaN included). Multi-threaded unless called from inside a
// parallel region.
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

enum class GemmPath { automatic, eigen, avx512, avx2, portable };
GemmPath gemm_path();                  // the f32 path in use (never automatic)
void set_gemm_path(GemmPath p);        // automatic: the best this CPU runs; a path the CPU lacks is an error
const char* gemm_path_name(GemmPath p);  // "avx512", ...
GemmPath detect_gemm_path();           // the best kernel this CPU runs

// The blocked f32 GEMM with one kernel (not eigen, not automatic); gemm() calls it.
void gemm_blocked(GemmPath kernel, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace easel
