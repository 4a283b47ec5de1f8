// The simulation's launcher (tensor/cuda/launch.h). A grid's blocks, in a shuffled order that
// changes from launch to launch, go to several OpenMP threads, each taking the next block when its
// last one is done; a block's threads run in a shuffled order on the OS thread that took it.
//
// A plain launch calls the body once per thread. A launch with Grid::barriers runs each thread of
// a block as a fiber (ucontext) on a stack of its own: __syncthreads marks the thread as waiting
// and switches back to the block's scheduler, which resumes the next ready thread. A phase ends
// when no thread is ready; then either all have returned (the block is done), all wait at the
// barrier (all are made ready again, in a new order), or some returned while others wait — a
// barrier not every thread reaches, which is an error (it hangs or misbehaves on a GPU).
#include <sys/mman.h>
#include <ucontext.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include <omp.h>

#include "tensor/cuda/launch.h"

#if defined(__SANITIZE_ADDRESS__)
#define EASEL_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EASEL_ASAN_FIBERS 1
#endif
#endif
#ifdef EASEL_ASAN_FIBERS
#include <sanitizer/common_interface_defs.h>
#endif

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

// AddressSanitizer keeps a shadow stack per stack: it is told before each switch which stack runs
// next, and after it where control came from. No-ops without it.
void start_switch(void** fake_stack, const void* bottom, size_t size) {
#ifdef EASEL_ASAN_FIBERS
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
#else
  (void)fake_stack, (void)bottom, (void)size;
#endif
}
void finish_switch(void* fake_stack, const void** old_bottom, size_t* old_size) {
#ifdef EASEL_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(fake_stack, old_bottom, old_size);
#else
  (void)fake_stack, (void)old_bottom, (void)old_size;
#endif
}

// Kernels are a few small frames deep, even with the sanitizer's redzones. Kept small on purpose:
// AddressSanitizer's swapcontext clears the shadow of the whole stack on every switch into a fiber.
constexpr size_t kFiberStack = 64 * 1024;

enum class State { ready, at_barrier, returned };

// A fiber's stack: mapped once per OS thread and reused by every block, with an inaccessible page
// below it, so an overflow faults instead of writing over the heap.
class FiberStack {
 public:
  FiberStack() = default;
  FiberStack(const FiberStack&) = delete;
  FiberStack& operator=(const FiberStack&) = delete;
  ~FiberStack() {
    if (map_) munmap(map_, kGuard + kFiberStack);
  }
  char* get() {
    if (!map_) {
      void* m = mmap(nullptr, kGuard + kFiberStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) throw Error("simulated launch: cannot map a fiber stack of " + std::to_string(kFiberStack) + " bytes");
      mprotect(m, kGuard, PROT_NONE);
      map_ = m;
    }
    return static_cast<char*>(map_) + kGuard;
  }

 private:
  static constexpr size_t kGuard = 4096;
  void* map_ = nullptr;
};

struct Fiber {
  ucontext_t context;
  FiberStack stack;
  State state = State::ready;
  void* fake_stack = nullptr;  // AddressSanitizer's, while the fiber is switched out
};

// The block with barriers that this OS thread runs now.
struct BarrierBlock {
  std::vector<Fiber> fibers = std::vector<Fiber>(kMaxBlockThreads);
  ucontext_t scheduler;
  const void* scheduler_bottom = nullptr;
  size_t scheduler_size = 0;
  void* scheduler_fake_stack = nullptr;
  unsigned current = 0;  // the thread that runs (or last ran)
  void (*body)(void*) = nullptr;
  void* context = nullptr;
  std::exception_ptr error;  // what a thread threw
};
thread_local BarrierBlock* running = nullptr;

// From the running thread back to the scheduler; `returned`: it never resumes.
void to_scheduler(BarrierBlock& b, bool returned) {
  Fiber& f = b.fibers[b.current];
  start_switch(returned ? nullptr : &f.fake_stack, b.scheduler_bottom, b.scheduler_size);
  swapcontext(&f.context, &b.scheduler);
  finish_switch(f.fake_stack, &b.scheduler_bottom, &b.scheduler_size);
}

void fiber_main() {
  BarrierBlock& b = *running;
  finish_switch(nullptr, &b.scheduler_bottom, &b.scheduler_size);
  try {
    b.body(b.context);
  } catch (...) {
    if (!b.error) b.error = std::current_exception();
  }
  b.fibers[b.current].state = State::returned;
  to_scheduler(b, true);
}

void resume(BarrierBlock& b, unsigned t) {
  Fiber& f = b.fibers[t];
  b.current = t;
  threadIdx = dim3{t, 0, 0};
  start_switch(&b.scheduler_fake_stack, f.stack.get(), kFiberStack);
  swapcontext(&b.scheduler, &f.context);
  finish_switch(b.scheduler_fake_stack, nullptr, nullptr);
}

// Runs the block blockIdx of a launch with barriers, phase by phase (see the top of the file).
// On an error the threads still waiting at a barrier are abandoned: their frames are never
// unwound (kernel frames hold nothing to destroy) and their stacks serve the next block.
void run_barrier_block(unsigned threads, void (*body)(void*), void* context, uint64_t state) {
  thread_local BarrierBlock b;
  b.body = body, b.context = context, b.error = nullptr;
  for (unsigned t = 0; t < threads; ++t) {
    Fiber& f = b.fibers[t];
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack.get();
    f.context.uc_stack.ss_size = kFiberStack;
    f.context.uc_link = nullptr;
    makecontext(&f.context, fiber_main, 0);
    f.state = State::ready;
  }
  struct Running {  // `running` set for exactly this block, whatever is thrown
    explicit Running(BarrierBlock& block) { running = &block; }
    ~Running() { running = nullptr; }
  } scope(b);
  unsigned waiting = 0;
  do {
    for (unsigned t : shuffled(threads, state))
      if (b.fibers[t].state == State::ready) resume(b, t);
    waiting = unsigned(std::count_if(b.fibers.begin(), b.fibers.begin() + threads,
                                     [](const Fiber& f) { return f.state == State::at_barrier; }));
    if (b.error || waiting == 0) break;
    if (waiting < threads) {
      b.error = std::make_exception_ptr(Error(
          "simulated kernel, block " + std::to_string(blockIdx.x) + ": " + std::to_string(threads - waiting) + " of its " +
          std::to_string(threads) + " threads returned while the others wait at __syncthreads (every thread of a "
          "block must reach each barrier)"));
      break;
    }
    for (unsigned t = 0; t < threads; ++t) b.fibers[t].state = State::ready;
  } while (true);
  if (b.error) std::rethrow_exception(b.error);
}

}  // namespace

void sync_threads() {
  if (!running)
    throw Error("__syncthreads in a kernel launched without Grid::barriers: the simulation runs that grid's "
                "threads one after another and cannot hold them at a barrier (launch it with block_per_row, or "
                "set Grid::barriers)");
  BarrierBlock& b = *running;
  b.fibers[b.current].state = State::at_barrier;
  to_scheduler(b, false);
}

void run(Grid g, void (*body)(void*), void* context) {
  if (g.blocks == 0 || g.threads == 0) return;
  if (g.barriers && (g.threads > kMaxBlockThreads || (g.threads & (g.threads - 1)) != 0))
    throw Error("simulated launch: " + std::to_string(g.threads) + " threads per block with barriers; block_sum and "
                "the __shared__ arrays want a power of two up to " + std::to_string(kMaxBlockThreads));
  uint64_t state = 0x9e3779b97f4a7c15ULL * (launches.fetch_add(1) + 1);
  const std::vector<unsigned> blocks = shuffled(g.blocks, state), threads = shuffled(g.threads, state);
  const int workers = int(std::min<unsigned>(g.blocks, unsigned(std::clamp(omp_get_max_threads(), 2, 8))));
  std::atomic<unsigned> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
#pragma omp parallel num_threads(workers)
  {
    gridDim = dim3{g.blocks, 1, 1};
    blockDim = dim3{g.threads, 1, 1};
    for (unsigned k; !failed && (k = next.fetch_add(1)) < g.blocks;) {
      blockIdx = dim3{blocks[k], 0, 0};
      try {
        if (g.barriers) {
          run_barrier_block(g.threads, body, context, state + 0x632be59bd9b4e019ULL * (blocks[k] + 1));
        } else {
          for (unsigned t : threads) {
            threadIdx = dim3{t, 0, 0};
            body(context);
          }
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace easel::cuda::sim
