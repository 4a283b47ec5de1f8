// NCCL: device memory summed across the ranks of a distributed run, GPU to GPU (tensor/comm.h
// sends everything else through MPI). One of three implementations is compiled, as for the
// runtime: nccl_cuda.cu (libnccl opened at run time, tensor/cuda/libraries.h), nccl_sim.cpp (the
// simulated device, whose memory is host memory: MPI sums it in place) and nccl_none.cpp.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tensor/dtype.h"

namespace easel::cuda {

class DeviceComm {
 public:
  virtual ~DeviceComm() = default;
  // In place, in the memory of the device the communicator was opened on, f32 or f64; ordered with
  // Easel's kernels on that device's stream.
  virtual void all_reduce_sum(void* data, int64_t n, DType dtype) = 0;
};

bool nccl_usable();        // this build and machine can open one (a GPU build whose libnccl loads; the simulation)
std::string nccl_status();  // for `easel info`: the version and file, or why not

// Called by every rank at once. `share(bytes, n)` must give every rank rank 0's bytes (an MPI
// broadcast): that is how the ranks find each other.
std::unique_ptr<DeviceComm> open_nccl(int device, int rank, int ranks, const std::function<void(void*, int64_t)>& share);

}  // namespace easel::cuda
