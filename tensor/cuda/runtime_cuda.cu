#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

#include "tensor/cuda/device.h"

namespace easel {

bool cuda_compiled() { return true; }

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return n;
}

std::string cuda_device_name(int i) {
  cudaDeviceProp prop;
  if (i < 0 || i >= cuda_device_count() || cudaGetDeviceProperties(&prop, i) != cudaSuccess) return "";
  return prop.name;
}

std::string cuda_versions() {
  int rt = 0;
  cudaRuntimeGetVersion(&rt);
  return "CUDA runtime " + std::to_string(rt / 1000) + "." + std::to_string(rt % 1000 / 10) + ", cuBLAS " +
         std::to_string(CUBLAS_VER_MAJOR) + "." + std::to_string(CUBLAS_VER_MINOR) + ", cuDNN " +
         std::to_string(cudnnGetVersion());
}

}  // namespace easel
