// cuBLAS and cuDNN, opened at run time (dlopen) rather than linked: the binary starts, and runs on
// the CPU, on a machine without them. The CUDA runtime itself is linked statically (it opens the
// driver, libcuda.so.1, at run time the same way). GPU builds only.
#pragma once
#include <cublas_v2.h>
#include <cudnn.h>

#include <string>

namespace easel::cuda {

// The cuBLAS entry points Easel calls (names as the library exports them).
struct CublasApi {
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasGetProperty) get_property = nullptr;
  decltype(&cublasGetStatusString) status_string = nullptr;
  decltype(&cublasSetMathMode) set_math_mode = nullptr;
  decltype(&cublasSgemmStridedBatched) sgemm_strided_batched = nullptr;
  decltype(&cublasDgemmStridedBatched) dgemm_strided_batched = nullptr;
};
struct CudnnApi {
  decltype(&cudnnGetVersion) get_version = nullptr;
};

// Opened on first use; throws an Error naming the library file and the loader's message when it
// cannot be opened or lacks an entry point.
const CublasApi& cublas();
const CudnnApi& cudnn();

// A line per library for `easel info` (after the first, indented by two): its version and file, or
// why it could not be loaded.
std::string library_report();

}  // namespace easel::cuda
