// The simulation's cuBLAS: cublas<T>gemmStridedBatched's column-major contract, computed on the
// CPU with Eigen column-major maps of the same pointers, leading dimensions and strides — so the
// row-major → column-major translation in blas.cpp is tested exactly as a GPU would use it. With
// TF32 on, f32 inputs are rounded to TF32 (blas.h round_to_tf32).
#include <Eigen/Core>
#include <algorithm>
#include <type_traits>

#include "tensor/cuda/blas.h"
#include "tensor/cuda/runtime.h"
#include "tensor/error.h"

namespace easel::cuda {

template <class T>
void cublas_gemm_strided_batched(int device, bool trans_a, bool trans_b, int m, int n, int k, T alpha, const T* A,
                                 int lda, int64_t stride_a, const T* B, int ldb, int64_t stride_b, T beta, T* C, int ldc,
                                 int64_t stride_c, int batch) {
  check_device(device);
  // cuBLAS's own argument rules: it returns CUBLAS_STATUS_INVALID_VALUE where these fail.
  EASEL_CHECK(m >= 0 && n >= 0 && k >= 0 && batch >= 0 && lda >= std::max(1, trans_a ? k : m) &&
                  ldb >= std::max(1, trans_b ? n : k) && ldc >= std::max(1, m),
              "cuBLAS gemmStridedBatched would reject m ", m, " n ", n, " k ", k, " lda ", lda, " ldb ", ldb, " ldc ", ldc,
              " (transposes ", trans_a, ", ", trans_b, ")");
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
  using Stride = Eigen::OuterStride<>;
  for (int b = 0; b < batch; ++b) {
    // Stored: A is m×k (k×m when transposed), B is k×n (n×k), C is m×n; all column-major.
    Mat a = Eigen::Map<const Mat, 0, Stride>(A + b * stride_a, trans_a ? k : m, trans_a ? m : k, Stride(lda));
    Mat bm = Eigen::Map<const Mat, 0, Stride>(B + b * stride_b, trans_b ? n : k, trans_b ? k : n, Stride(ldb));
    if constexpr (std::is_same_v<T, float>) {
      if (tf32_enabled()) {
        a = a.unaryExpr(&round_to_tf32);
        bm = bm.unaryExpr(&round_to_tf32);
      }
    }
    Eigen::Map<Mat, 0, Stride> c(C + b * stride_c, m, n, Stride(ldc));
    Mat product = trans_a ? (trans_b ? Mat(a.transpose() * bm.transpose()) : Mat(a.transpose() * bm))
                          : (trans_b ? Mat(a * bm.transpose()) : Mat(a * bm));
    if (beta == T(0)) c = alpha * product;  // cuBLAS does not read C when beta is 0
    else c = beta * c + alpha * product;
  }
}

template void cublas_gemm_strided_batched<float>(int, bool, bool, int, int, int, float, const float*, int, int64_t,
                                                 const float*, int, int64_t, float, float*, int, int64_t, int);
template void cublas_gemm_strided_batched<double>(int, bool, bool, int, int, int, double, const double*, int, int64_t,
                                                  const double*, int, int64_t, double, double*, int, int64_t, int);

}  // namespace easel::cuda
