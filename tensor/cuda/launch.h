// Writing and launching kernels once, for two compilers.
//
// Every kernel of the CUDA backend is plain CUDA C++ (`__global__`, `threadIdx`, `blockIdx`,
// `blockDim`, `gridDim`) in a `.cu` file. nvcc compiles it for the GPU. Without a GPU (CI, most of
// our machines) the same file is compiled by g++ with this header standing in for CUDA: the
// qualifiers vanish, the built-in indices become thread-local variables, and `launch` runs every
// (block, thread) pair on the CPU — blocks and the threads within a block in a shuffled order, so
// a kernel that silently depends on execution order fails its tests. That is the simulation build
// (-DEASEL_CUDA=SIM); tensor/cuda/runtime.h gives it device memory.
//
// The simulation runs a block's threads one after another, so it has no `__syncthreads` and no
// `__shared__` memory yet: the kernels written so far are grid-stride loops that need neither.
// A kernel that uses them does not compile in the simulation build (on purpose).
#pragma once
#include <cstdint>

#include "tensor/error.h"

#include "tensor/cuda/host_device.h"

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#else
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};
extern thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;
#endif

namespace easel::cuda {

// A 1-D launch shape: `blocks` × `threads`. Kernels loop grid-stride, so any shape covers any n.
struct Grid {
  unsigned blocks = 1, threads = 256;
};

// Enough blocks for one element per thread, capped (a grid-stride loop does the rest).
inline Grid grid_for(int64_t n, unsigned threads = 256) {
  const int64_t blocks = (n + threads - 1) / threads;
  return Grid{unsigned(blocks < 1 ? 1 : blocks > 65535 ? 65535 : blocks), threads};
}

// The first index this thread handles and the stride between its indices.
#define EASEL_GRID_STRIDE_LOOP(i, n)                                                           \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < int64_t(n);            \
       i += int64_t(blockDim.x) * gridDim.x)

void set_device(int device);  // makes `device` current for this thread (runtime_*.cpp)

#if defined(__CUDACC__)
void check_launch(const char* what);  // throws naming `what` when the last launch failed (EASEL_CUDA_SYNC=1: waits for it)

// kernel<<<grid>>>(args...) on `device`'s stream; `what` names the op in errors.
template <class... KernelArgs, class... Args>
void launch(const char* what, int device, Grid g, void (*kernel)(KernelArgs...), Args&&... args) {
  set_device(device);
  kernel<<<g.blocks, g.threads>>>(static_cast<KernelArgs>(args)...);
  check_launch(what);
}
#else
namespace sim {
// Runs body() once per (block, thread) of grid `g`, with the built-in indices set for each.
void run(Grid g, void (*body)(void*), void* context);
}  // namespace sim

template <class... KernelArgs, class... Args>
void launch(const char* /*what*/, int device, Grid g, void (*kernel)(KernelArgs...), Args&&... args) {
  set_device(device);
  auto call = [&] { kernel(static_cast<KernelArgs>(args)...); };
  sim::run(g, [](void* c) { (*static_cast<decltype(call)*>(c))(); }, &call);
}
#endif

}  // namespace easel::cuda
