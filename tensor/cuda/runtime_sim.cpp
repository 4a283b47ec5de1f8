// The simulated CUDA runtime (EASEL_CUDA=SIM): two devices whose memory is host memory. Every
// CUDA code path of Easel runs here — kernels through tensor/cuda/launch.h, allocation through
// the same BlockCache as on a GPU — so CI proves it without a GPU. Fresh device memory is filled
// with 0xFF bytes (NaN in f32 and f64), as cudaMalloc gives garbage: a kernel that reads what it
// never wrote shows NaN in its tests. Cached blocks are refilled so, and poisoned under ASan.
#include <cstdlib>
#include <cstring>
#include <memory>

#include "tensor/cuda/block_cache.h"
#include "tensor/cuda/launch.h"
#include "tensor/cuda/runtime.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define EASEL_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define EASEL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define EASEL_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define EASEL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#endif
#endif
#ifndef EASEL_POISON
#define EASEL_POISON(p, n) ((void)(p), (void)(n))
#define EASEL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace easel::cuda {

namespace {

constexpr int kSimulatedDevices = 2;

void* host_allocate(size_t nbytes, int) {
  void* p = std::aligned_alloc(256, (nbytes + 255) / 256 * 256);  // cudaMalloc aligns to 256 bytes
  if (p) std::memset(p, 0xFF, nbytes);
  return p;
}
void host_free(void* p, int) { std::free(p); }
void poison(void* p, size_t n) {
  std::memset(p, 0xFF, n);
  EASEL_POISON(p, n);
}
void unpoison(void* p, size_t n) { EASEL_UNPOISON(p, n); }

BlockCache& cache(int device) {
  static std::unique_ptr<BlockCache> caches[kSimulatedDevices];
  static std::once_flag once;
  std::call_once(once, [] {
    for (int d = 0; d < kSimulatedDevices; ++d)
      caches[d] = std::make_unique<BlockCache>(d, host_allocate, host_free, poison, unpoison);
  });
  check_device(device);
  return *caches[device];
}

thread_local int current_device = 0;

}  // namespace

Backend backend() { return Backend::simulated; }
const char* backend_description() {
  return "simulated on the CPU (EASEL_CUDA=SIM): kernels run through a launch shim, device memory is host memory";
}
int device_count() { return kSimulatedDevices; }
std::string device_name(int device) {
  return device >= 0 && device < kSimulatedDevices ? "simulated device " + std::to_string(device) : "";
}
std::string versions() { return "no CUDA runtime: the simulation build runs the kernels on the CPU"; }

void check_device(int device) {
  EASEL_CHECK(device >= 0 && device < kSimulatedDevices, "cuda:", device, " does not exist (", kSimulatedDevices,
              " simulated devices)");
}
void set_device(int device) {
  check_device(device);
  current_device = device;
}

void* allocate(size_t nbytes, int device) {
  void* p = cache(device).allocate(nbytes);
  return p;
}
void release(void* p, size_t nbytes, int device) { cache(device).release(p, nbytes); }
MemoryStats memory_stats(int device) { return cache(device).stats(); }
std::string memory_report(int device) { return "cuda:" + std::to_string(device) + ": " + describe(memory_stats(device)); }
void empty_cache(int device) { cache(device).empty(); }

void copy_to_device(void* dst, const void* src, size_t nbytes, int device) {
  check_device(device);
  if (nbytes) std::memcpy(dst, src, nbytes);
}
void copy_to_host(void* dst, const void* src, size_t nbytes, int device) {
  check_device(device);
  if (nbytes) std::memcpy(dst, src, nbytes);
}
void copy_on_device(void* dst, const void* src, size_t nbytes, int device) {
  check_device(device);
  if (nbytes) std::memmove(dst, src, nbytes);
}
void synchronize(int device) { check_device(device); }

}  // namespace easel::cuda
