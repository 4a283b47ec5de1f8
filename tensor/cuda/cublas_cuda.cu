// cuBLAS on a GPU: one handle per device, on the default stream, default math mode (no TF32:
// f32 products stay f32) unless TF32 is switched on (blas.h set_tf32). The library is opened at run time
// (libraries.h).
#include <memory>
#include <mutex>
#include <vector>

#include "tensor/cuda/blas.h"
#include "tensor/cuda/launch.h"
#include "tensor/cuda/libraries.h"
#include "tensor/cuda/runtime.h"

namespace easel::cuda {

namespace {

void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) throw Error(std::string(what) + ": " + cublas().status_string(s));
}

cublasHandle_t handle(int device) {
  static std::vector<cublasHandle_t> handles;
  static std::mutex mutex;
  check_device(device);
  std::lock_guard<std::mutex> lock(mutex);
  if (handles.empty()) handles.assign(size_t(device_count()), nullptr);
  cublasHandle_t& h = handles[size_t(device)];
  if (!h) {
    set_device(device);
    check(cublas().create(&h), "cublasCreate");
  }
  return h;
}

cublasOperation_t op(bool t) { return t ? CUBLAS_OP_T : CUBLAS_OP_N; }

}  // namespace

template <>
void cublas_gemm_strided_batched<float>(int device, bool ta, bool tb, int m, int n, int k, float alpha, const float* A,
                                        int lda, int64_t sa, const float* B, int ldb, int64_t sb, float beta, float* C,
                                        int ldc, int64_t sc, int batch) {
  set_device(device);
  cublasHandle_t h = handle(device);
  check(cublas().set_math_mode(h, tf32_enabled() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
        "cublasSetMathMode");
  check(cublas().sgemm_strided_batched(h, op(ta), op(tb), m, n, k, &alpha, A, lda, sa, B, ldb, sb, &beta, C,
                                  ldc, sc, batch),
        "cublasSgemmStridedBatched");
}

template <>
void cublas_gemm_strided_batched<double>(int device, bool ta, bool tb, int m, int n, int k, double alpha,
                                         const double* A, int lda, int64_t sa, const double* B, int ldb, int64_t sb,
                                         double beta, double* C, int ldc, int64_t sc, int batch) {
  set_device(device);
  check(cublas().dgemm_strided_batched(handle(device), op(ta), op(tb), m, n, k, &alpha, A, lda, sa, B, ldb, sb, &beta, C,
                                  ldc, sc, batch),
        "cublasDgemmStridedBatched");
}

}  // namespace easel::cuda
