// cuBLAS, cuDNN and NCCL, opened at run time (dlopen) rather than linked: the binary starts, and runs on
// the CPU, on a machine without them. The CUDA runtime itself is linked statically (it opens the
// driver, libcuda.so.1, at run time the same way). GPU builds only.
#pragma once
#include <cublas_v2.h>
#include <cudnn.h>
#include <nccl.h>

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

struct NcclApi {  // distributed runs' GPU-to-GPU sums (tensor/cuda/nccl.h)
  decltype(&ncclGetVersion) get_version = nullptr;
  decltype(&ncclGetErrorString) error_string = nullptr;
  decltype(&ncclGetUniqueId) get_unique_id = nullptr;
  decltype(&ncclCommInitRank) comm_init_rank = nullptr;
  decltype(&ncclCommDestroy) comm_destroy = nullptr;
  decltype(&ncclAllReduce) all_reduce = nullptr;
};

// Opened on first use; throws an Error naming the library file and the loader's message when it
// cannot be opened or lacks an entry point.
const CublasApi& cublas();
const CudnnApi& cudnn();
const NcclApi& nccl();
std::string nccl_report();  // its version and file, or why it could not be loaded

// A line per library for `easel info` (after the first, indented by two): its version and file, or
// why it could not be loaded.
std::string library_report();

}  // namespace easel::cuda
