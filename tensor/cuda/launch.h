// Writing and launching kernels once, for two compilers.
//
// Every kernel of the CUDA backend is plain CUDA C++ (`__global__`, `threadIdx`, `blockIdx`,
// `blockDim`, `gridDim`, `__shared__`, `__syncthreads`) in a `.cu` file. nvcc compiles it for the
// GPU. Without a GPU (CI, most of our machines) the same file is compiled by g++ with this header
// standing in for CUDA: the qualifiers vanish, the built-in indices become thread-local variables,
// and `launch` runs the grid on the CPU (launch_sim.cpp) — blocks in a shuffled order on several
// OS threads at once, a block's threads in a shuffled order, so a kernel that silently depends on
// execution order, or races between blocks, fails its tests. That is the simulation build
// (-DEASEL_CUDA=SIM); tensor/cuda/runtime.h gives it device memory.
//
// Threads that share memory: `__shared__` becomes `static thread_local` (one copy per OS thread,
// and a block runs on one OS thread), `__syncthreads()` a barrier. A kernel that meets at barriers
// is launched with Grid::barriers set (block_per_row does): the simulation then runs each of the
// block's threads on a stack of its own (a ucontext fiber) and switches between them at every
// barrier; threads returning while others wait at one is an error. Without the flag its threads
// run one after another as plain calls, which is far cheaper, and a __syncthreads there is an
// error that names the fix. Unlike a GPU's, simulated shared memory starts as zeros (then keeps
// the last block's values), and AddressSanitizer does not bound-check it. No kernel uses atomics: the
// sums are trees in a fixed order, so a rerun gives the same bits.
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
#define __shared__ static thread_local
#define __syncthreads() ::easel::cuda::sim::sync_threads()
namespace easel::cuda::sim {
void sync_threads();  // the barrier of the running block (launch_sim.cpp)
}  // namespace easel::cuda::sim
#endif

namespace easel::cuda {

// A 1-D launch shape: `blocks` × `threads`. Kernels loop grid-stride (or, with block_per_row,
// block-stride over rows), so any shape covers any n.
// `barriers`: the kernel's threads meet at __syncthreads (nvcc ignores it; the simulation needs it,
// and then wants a power of two up to kMaxBlockThreads threads, as block_sum does).
struct Grid {
  unsigned blocks = 1, threads = 256;
  bool barriers = false;
};

// The most threads a block of ours has; a kernel's __shared__ arrays are this long.
constexpr unsigned kMaxBlockThreads = 256;

// Enough blocks for one element per thread, capped (a grid-stride loop does the rest).
inline Grid grid_for(int64_t n, unsigned threads = 256) {
  const int64_t blocks = (n + threads - 1) / threads;
  return Grid{unsigned(blocks < 1 ? 1 : blocks > 65535 ? 65535 : blocks), threads};
}

// A block per row of `rows` rows of `length` values (block-stride beyond 65,535 rows), for kernels
// that reduce a row with block_sum: a power of two from 32 to kMaxBlockThreads threads, enough for
// each to add about 8 values before the tree (a short row leaves no thread idle for long).
inline Grid block_per_row(int64_t rows, int64_t length) {
  unsigned threads = 32;
  while (threads < kMaxBlockThreads && int64_t(threads) * 8 < length) threads *= 2;
  return Grid{unsigned(rows < 1 ? 1 : rows > 65535 ? 65535 : rows), threads, true};
}

// The first index this thread handles and the stride between its indices.
#define EASEL_GRID_STRIDE_LOOP(i, n)                                                           \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < int64_t(n);            \
       i += int64_t(blockDim.x) * gridDim.x)

// Σ of every thread's v in this block, returned to each thread: a tree over threadIdx in a fixed
// order (the same bits on every run). blockDim.x a power of two ≤ kMaxBlockThreads; `partial` a
// __shared__ double[kMaxBlockThreads]. Every thread of the block must call it (it holds barriers).
__device__ inline double block_sum(double v, double* partial) {
  const unsigned t = threadIdx.x;
  partial[t] = v;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (t < half) partial[t] += partial[t + half];
    __syncthreads();
  }
  const double total = partial[0];
  __syncthreads();  // all have read partial[0] before anyone writes partial again
  return total;
}

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
// Runs body() once per (block, thread) of grid `g`, with the built-in indices set for each; throws
// what a thread threw (the first, when several did) once the grid is done.
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
