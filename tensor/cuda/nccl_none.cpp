// A build without the CUDA backend has no NCCL.
#include "tensor/cuda/nccl.h"

#include "tensor/error.h"

namespace easel::cuda {

bool nccl_usable() { return false; }
std::string nccl_status() { return "none (no CUDA backend in this build)"; }
std::unique_ptr<DeviceComm> open_nccl(int, int, int, const std::function<void(void*, int64_t)>&) {
  throw Error("NCCL: this build has no CUDA backend");
}

}  // namespace easel::cuda
