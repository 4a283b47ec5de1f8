// Row-major products as cuBLAS's column-major ones. A row-major M×N matrix with row stride ld is,
// read column-major, its N×M transpose with leading dimension ld. So C = op(A)·op(B) (row-major)
// is Cᵀ = op(B)ᵀ·op(A)ᵀ (column-major): swap the operands, keep each one's transpose flag, and
// swap M and N.
#include "tensor/cuda/blas.h"

#include <atomic>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tensor/error.h"

namespace easel::cuda {

namespace {
std::atomic<bool>& tf32_flag() {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("EASEL_TF32");
    return v && std::string(v) == "1";
  }()};
  return on;
}
}  // namespace

void set_tf32(bool on) { tf32_flag() = on; }
bool tf32_enabled() { return tf32_flag(); }

float round_to_tf32(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  if ((bits & 0x7F800000u) == 0x7F800000u) return x;  // inf, NaN
  bits = (bits + 0x1000u) & 0xFFFFE000u;               // half of the last kept bit, then cut 13 bits
  std::memcpy(&x, &bits, sizeof bits);
  return x;
}

template <class T>
void gemm_batched(int device, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                  int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta, T* C, int64_t ldc,
                  int64_t stride_c, int64_t batch) {
  if (M == 0 || N == 0 || batch == 0) return;
  for (int64_t v : {M, N, K, lda, ldb, ldc, batch})
    EASEL_CHECK(v <= INT_MAX, "matrix product on cuda: dimension ", v, " exceeds cuBLAS's 32-bit sizes (M ", M, ", N ",
                N, ", K ", K, ", batch ", batch, ")");
  // cuBLAS wants every leading dimension >= 1, even when K = 0 makes a row stride 0.
  auto ld = [](int64_t v) { return int(v < 1 ? 1 : v); };
  cublas_gemm_strided_batched<T>(device, trans_b, trans_a, int(N), int(M), int(K), alpha, B, ld(ldb), stride_b, A,
                                 ld(lda), stride_a, beta, C, ld(ldc), stride_c, int(batch));
}

template void gemm_batched<float>(int, bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t,
                                  const float*, int64_t, int64_t, float, float*, int64_t, int64_t, int64_t);
template void gemm_batched<double>(int, bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, int64_t,
                                   const double*, int64_t, int64_t, double, double*, int64_t, int64_t, int64_t);

}  // namespace easel::cuda
