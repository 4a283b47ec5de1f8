// The simulation's launch shim itself (tensor/cuda/launch.h, launch_sim.cpp): shared memory and
// barriers behave as on a GPU, blocks really run at once, and the misuses a GPU would punish with a
// hang or garbage are errors here. Built in the simulation build only (kernels in a .cpp).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "tensor/cuda/launch.h"
#include "tensor/tensor.h"

namespace easel::cuda {

namespace {

const Device kDev = Device::cuda(0);

// out[b·T + t] = in[b·T + (T - 1 - t)]: each thread publishes its value in shared memory and, after
// the barrier, reads its mirror's — wrong wherever a thread reads before its mirror has written.
__global__ void reverse_in_block_kernel(double* out, const double* in) {
  __shared__ double staged[kMaxBlockThreads];
  const unsigned T = blockDim.x, t = threadIdx.x, base = blockIdx.x * T;
  staged[t] = in[base + t];
  __syncthreads();
  out[base + t] = staged[T - 1 - t];
}

// sums[b] = Σ_t in[b·T + t] by block_sum; every thread checks it got the same total.
__global__ void block_sums_kernel(double* sums, int64_t* disagreements, const double* in) {
  __shared__ double partial[kMaxBlockThreads];
  const double total = block_sum(in[blockIdx.x * blockDim.x + threadIdx.x], partial);
  if (threadIdx.x == 0) sums[blockIdx.x] = total;
  __syncthreads();
  if (total != sums[blockIdx.x]) disagreements[blockIdx.x] = 1;
}

// For each of `rows` rows of T values (more rows than blocks: a block takes every gridDim-th),
// moments[2r] = Σ x, moments[2r + 1] = Σ x² — two block_sums in a row on one shared array.
__global__ void row_moments_kernel(double* moments, const double* x, int64_t rows) {
  __shared__ double partial[kMaxBlockThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const double v = x[r * blockDim.x + threadIdx.x];
    const double s = block_sum(v, partial), s2 = block_sum(v * v, partial);
    if (threadIdx.x == 0) moments[2 * r] = s, moments[2 * r + 1] = s2;
  }
}

// Thread 5 of block 1 throws before the barrier; the others wait there.
__global__ void throwing_kernel(double* out) {
  if (blockIdx.x == 1 && threadIdx.x == 5) throw Error("thread 5 of block 1 gives up");
  __syncthreads();
  out[threadIdx.x] = 1;
}

// Only the lower half of each block reaches the barrier.
__global__ void half_block_barrier_kernel(double* out) {
  if (threadIdx.x >= blockDim.x / 2) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

// Each block arrives, then waits (up to 30 s) until every block has: met[b] = 1 when all did.
// Blocks run one after another would never meet.
__global__ void rendezvous_kernel(int64_t* met, std::atomic<unsigned>* arrived, unsigned blocks) {
  if (threadIdx.x != 0) return;
  arrived->fetch_add(1);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (arrived->load() < blocks && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  met[blockIdx.x] = arrived->load() == blocks;
}

}  // namespace

TEST_CASE("simulation: threads of a block share __shared__ memory and meet at __syncthreads") {
  const unsigned blocks = 37, threads = 64;
  const Tensor in = Tensor::arange(blocks * threads, DType::f64).to(kDev);
  const Tensor out = Tensor::empty({int64_t(blocks * threads)}, DType::f64, kDev);
  launch("reverse in block", 0, Grid{blocks, threads, true}, reverse_in_block_kernel,
               out.device_data<double>(), in.device_data<double>());
  const std::vector<double> got = out.to_vector();
  int wrong = 0;
  for (unsigned b = 0; b < blocks; ++b)
    for (unsigned t = 0; t < threads; ++t) wrong += got[b * threads + t] != double(b * threads + threads - 1 - t);
  CHECK(wrong == 0);
}

TEST_CASE("simulation: block_sum adds a block's values exactly and gives every thread the total") {
  for (unsigned threads : {32u, 128u, 256u}) {
    CAPTURE(threads);
    const unsigned blocks = 9;
    const Tensor in = Tensor::arange(blocks * threads, DType::f64).to(kDev);  // integers: exact sums
    const Tensor sums = Tensor::empty({int64_t(blocks)}, DType::f64, kDev);
    const Tensor disagreements = Tensor::zeros({int64_t(blocks)}, DType::i64, kDev);
    launch("block sums", 0, Grid{blocks, threads, true}, block_sums_kernel, sums.device_data<double>(),
                 disagreements.device_data<int64_t>(), in.device_data<double>());
    const std::vector<double> got = sums.to_vector(), disagree = disagreements.to_vector();
    for (unsigned b = 0; b < blocks; ++b) {
      const double first = double(b * threads), last = first + threads - 1;
      CHECK(got[b] == (first + last) * threads / 2);
      CHECK(disagree[b] == 0);
    }
  }
}

TEST_CASE("simulation: block_sum twice per row, over more rows than blocks, gives each row's sums") {
  const int64_t rows = 5, threads = 64;
  const Tensor x = Tensor::arange(rows * threads, DType::f64).to(kDev);
  const Tensor moments = Tensor::empty({2 * rows}, DType::f64, kDev);
  launch("row moments", 0, Grid{2, unsigned(threads), true}, row_moments_kernel, moments.device_data<double>(),
         x.device_data<double>(), rows);
  const std::vector<double> got = moments.to_vector();
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0, s2 = 0;
    for (int64_t t = 0; t < threads; ++t) s += double(r * threads + t), s2 += double(r * threads + t) * double(r * threads + t);
    CHECK(got[2 * r] == s);
    CHECK(got[2 * r + 1] == s2);
  }
}

TEST_CASE("simulation: what a thread throws in a launch with barriers reaches the caller") {
  const Tensor out = Tensor::zeros({64}, DType::f64, kDev);
  CHECK_THROWS_WITH_AS(launch("throwing", 0, Grid{3, 64, true}, throwing_kernel, out.device_data<double>()),
                       doctest::Contains("thread 5 of block 1 gives up"), Error);
  CHECK_THROWS_WITH_AS(launch("96 threads", 0, Grid{1, 96, true}, throwing_kernel, out.device_data<double>()),
                       doctest::Contains("want a power of two"), Error);
}

TEST_CASE("simulation: a barrier only some threads reach, or one in a launch without barriers, is an error") {
  const Tensor out = Tensor::zeros({64}, DType::f64, kDev);
  CHECK_THROWS_WITH_AS(launch("half barrier", 0, Grid{3, 64, true}, half_block_barrier_kernel,
                                    out.device_data<double>()),
                       doctest::Contains("32 of its 64 threads returned while the others wait at __syncthreads"),
                       Error);
  CHECK_THROWS_WITH_AS(launch("no barriers", 0, Grid{1, 64, false}, reverse_in_block_kernel,
                                    out.device_data<double>(), out.device_data<double>()),
                       doctest::Contains("launched without Grid::barriers"), Error);
  // The shim is fine afterwards: the next launch with barriers works.
  const Tensor in = Tensor::arange(64, DType::f64).to(kDev);
  launch("reverse in block", 0, Grid{1, 64, true}, reverse_in_block_kernel, out.device_data<double>(),
               in.device_data<double>());
  CHECK(out.to_vector()[0] == 63);
}

TEST_CASE("simulation: the blocks of a grid run at once on several OS threads") {
  const unsigned blocks = 2;
  std::atomic<unsigned> arrived{0};
  const Tensor met = Tensor::zeros({int64_t(blocks)}, DType::i64, kDev);
  launch("rendezvous", 0, Grid{blocks, 32}, rendezvous_kernel, met.device_data<int64_t>(), &arrived, blocks);
  CHECK(met.to_vector() == std::vector<double>{1, 1});
}

}  // namespace easel::cuda
