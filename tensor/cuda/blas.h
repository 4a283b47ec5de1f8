// Matrix products on a CUDA device: the device twin of tensor/gemm.h, with the same row-major
// arguments. Pointers are device pointers on `device`. The row-major call is turned into cuBLAS's
// column-major one here (blas.cpp), once, for both runtimes: cuBLAS on a GPU, and in the
// simulation a reference that takes the very same column-major arguments (cublas_sim.cpp).
#pragma once
#include <cstdint>

namespace easel::cuda {

// For b in [0, batch): C_b[M×N] = alpha · op(A_b) · op(B_b) + beta · C_b, row-major, where
// X_b = X + b · stride_x (a stride of 0 reuses one matrix). lda/ldb/ldc are row strides.
template <class T>
void gemm_batched(int device, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                  int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta, T* C, int64_t ldc,
                  int64_t stride_c, int64_t batch);

// TF32 for f32 products: on Ampere and later GPUs the tensor cores then read each f32 input cut to
// 10 mantissa bits (rounded or truncated: NVIDIA does not document which cuBLAS does) and add in
// f32 — several times faster, about 1e-3 relative error. Off unless asked: set_tf32(true), or EASEL_TF32=1 in the environment (read once). f64
// products and Easel's own kernels are never affected. The simulation's cuBLAS rounds the same way.
void set_tf32(bool on);
bool tf32_enabled();

// x rounded to TF32 as cvt.rna.tf32.f32 does: the 23-bit mantissa rounded to 10 bits, to nearest
// with ties away from zero; infinities and NaN unchanged. The simulation's cuBLAS reads inputs so.
float round_to_tf32(float x);

// cuBLAS's own call (cublas<T>gemmStridedBatched), column-major: C = alpha·op(A)·op(B) + beta·C
// with op(A) m×k, op(B) k×n, C m×n. Implemented by the runtime: cuBLAS, or the simulation's reference.
template <class T>
void cublas_gemm_strided_batched(int device, bool trans_a, bool trans_b, int m, int n, int k, T alpha, const T* A,
                                 int lda, int64_t stride_a, const T* B, int ldb, int64_t stride_b, T beta, T* C, int ldc,
                                 int64_t stride_c, int batch);

}  // namespace easel::cuda
