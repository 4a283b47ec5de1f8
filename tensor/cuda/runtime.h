// What the CUDA backend can see. Built from device_cuda.cu when CMake found nvcc and cuDNN
// (EASEL_WITH_CUDA), from device_none.cpp otherwise; the kernels themselves come later.
#pragma once
#include <string>

namespace easel {

bool cuda_compiled();                 // was the CUDA backend built in?
int cuda_device_count();              // 0 without a driver or a GPU
std::string cuda_device_name(int i);  // "" when there is no such device
std::string cuda_versions();          // runtime / cuBLAS / cuDNN versions, or why there are none

}  // namespace easel
