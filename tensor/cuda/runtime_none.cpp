// No CUDA backend in this build (CMake found no nvcc / cuDNN, or EASEL_CUDA=OFF): no devices, and
// any attempt to place a tensor on one says so.
#include "tensor/cuda/launch.h"
#include "tensor/cuda/runtime.h"

namespace easel::cuda {

namespace {
[[noreturn]] void no_backend(int device) {
  throw Error("cuda:" + std::to_string(device) +
              " is not available: this build of Easel has no CUDA backend (configure with nvcc and cuDNN "
              "present, or -DEASEL_CUDA=SIM for the simulation); `easel info` shows what was built");
}
}  // namespace

Backend backend() { return Backend::none; }
const char* backend_description() { return "not built (nvcc or cuDNN not found at configure time, or EASEL_CUDA=OFF)"; }
int device_count() { return 0; }
std::string device_name(int) { return ""; }
std::string versions() { return "no CUDA runtime in this build"; }
void check_device(int device) { no_backend(device); }
void set_device(int device) { no_backend(device); }
void* allocate(size_t, int device) { no_backend(device); }
void release(void*, size_t, int) {}
MemoryStats memory_stats(int) { return {}; }
std::string memory_report(int device) { return "cuda:" + std::to_string(device) + ": no CUDA backend"; }
void empty_cache(int) {}
void copy_to_device(void*, const void*, size_t, int device) { no_backend(device); }
void copy_to_host(void*, const void*, size_t, int device) { no_backend(device); }
void copy_on_device(void*, const void*, size_t, int device) { no_backend(device); }
void synchronize(int device) { no_backend(device); }

}  // namespace easel::cuda

#include "tensor/cuda/blas.h"

namespace easel::cuda {
template <class T>
void cublas_gemm_strided_batched(int device, bool, bool, int, int, int, T, const T*, int, int64_t, const T*, int,
                                 int64_t, T, T*, int, int64_t, int) {
  no_backend(device);
}
template void cublas_gemm_strided_batched<float>(int, bool, bool, int, int, int, float, const float*, int, int64_t,
                                                 const float*, int, int64_t, float, float*, int, int64_t, int);
template void cublas_gemm_strided_batched<double>(int, bool, bool, int, int, int, double, const double*, int, int64_t,
                                                  const double*, int, int64_t, double, double*, int, int64_t, int);
}  // namespace easel::cuda
