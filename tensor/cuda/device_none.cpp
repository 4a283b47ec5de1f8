#include "tensor/cuda/device.h"

namespace easel {

bool cuda_compiled() { return false; }
int cuda_device_count() { return 0; }
std::string cuda_device_name(int) { return ""; }
std::string cuda_versions() { return "CUDA backend not built (nvcc or cuDNN not found at configure time)"; }

}  // namespace easel
