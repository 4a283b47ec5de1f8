// The simulation's launcher (tensor/cuda/launch.h): every (block, thread) of a grid, run on this
// CPU thread in a shuffled order that changes from launch to launch.
#include <atomic>
#include <numeric>
#include <vector>

#include "tensor/cuda/launch.h"

thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace easel::cuda::sim {

namespace {
// A permutation of [0, n) from a cheap LCG-driven Fisher-Yates shuffle.
std::vector<unsigned> shuffled(unsigned n, uint64_t& state) {
  std::vector<unsigned> order(n);
  std::iota(order.begin(), order.end(), 0u);
  for (unsigned i = n; i > 1; --i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    std::swap(order[i - 1], order[unsigned((state >> 33) % i)]);
  }
  return order;
}
std::atomic<uint64_t> launches{0};
}  // namespace

void run(Grid g, void (*body)(void*), void* context) {
  uint64_t state = 0x9e3779b97f4a7c15ULL * (launches.fetch_add(1) + 1);
  gridDim = dim3{g.blocks, 1, 1};
  blockDim = dim3{g.threads, 1, 1};
  const std::vector<unsigned> blocks = shuffled(g.blocks, state), threads = shuffled(g.threads, state);
  for (unsigned b : blocks) {
    blockIdx = dim3{b, 0, 0};
    for (unsigned t : threads) {
      threadIdx = dim3{t, 0, 0};
      body(context);
    }
  }
}

}  // namespace easel::cuda::sim
