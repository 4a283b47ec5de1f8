// The CUDA runtime on a real GPU: device discovery, the caching allocator over cudaMalloc, copies.
// Every CUDA call is checked; errors name what was being done and the library's message.
#include <cuda_runtime.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "tensor/cuda/block_cache.h"
#include "tensor/cuda/launch.h"
#include "tensor/cuda/libraries.h"
#include "tensor/cuda/runtime.h"

namespace easel::cuda {

namespace {

void check(cudaError_t e, const char* what, int device) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so that the next call starts clean
  throw Error(std::string(what) + " on cuda:" + std::to_string(device) + ": " + cudaGetErrorString(e));
}

void* device_allocate(size_t nbytes, int device) {
  set_device(device);
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, nbytes);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    return nullptr;  // the cache empties itself and retries, then reports
  }
  check(e, "cudaMalloc", device);
  return p;
}
void device_free(void* p, int device) {
  // Never throws: it also runs from the caches' destructors at exit, when the runtime may be gone.
  if (cudaSetDevice(device) == cudaSuccess) cudaFree(p);
  cudaGetLastError();
}

BlockCache& cache(int device) {
  static std::vector<std::unique_ptr<BlockCache>> caches;
  static std::mutex mutex;
  check_device(device);
  std::lock_guard<std::mutex> lock(mutex);
  if (caches.empty()) {
    for (int d = 0; d < device_count(); ++d) caches.push_back(std::make_unique<BlockCache>(d, device_allocate, device_free));
  }
  return *caches[size_t(device)];
}

}  // namespace

Backend backend() { return Backend::cuda; }
const char* backend_description() { return "CUDA (nvcc; cuBLAS and cuDNN opened at run time)"; }

int device_count() {
  static const int n = [] {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky "no driver" error
      return 0;
    }
    return count;
  }();
  return n;
}

std::string device_name(int device) {
  cudaDeviceProp prop;
  if (device < 0 || device >= device_count() || cudaGetDeviceProperties(&prop, device) != cudaSuccess) return "";
  return prop.name;
}

std::string versions() {
  int rt = 0;
  cudaRuntimeGetVersion(&rt);
  return "CUDA runtime " + std::to_string(rt / 1000) + "." + std::to_string(rt % 1000 / 10) + " (linked statically)\n  " +
         library_report();
}

void check_device(int device) {
  EASEL_CHECK(device >= 0 && device < device_count(), "cuda:", device, " does not exist (", device_count(),
              " CUDA devices visible)");
}

void set_device(int device) {  // asks the runtime each time: cuDNN, NCCL or the user may have switched
  int current = -1;
  if (cudaGetDevice(&current) == cudaSuccess && current == device) return;
  check_device(device);
  check(cudaSetDevice(device), "cudaSetDevice", device);
}

// EASEL_CUDA_SYNC=1: wait for every kernel as it is launched, so that a fault is reported by the
// op that caused it rather than by a later copy (slow; for debugging).
void check_launch(const char* what) {
  static const bool sync_each = [] {
    const char* v = std::getenv("EASEL_CUDA_SYNC");
    return v && std::string(v) == "1";
  }();
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw Error(std::string("CUDA kernel for ") + what + " failed to launch: " + cudaGetErrorString(e));
  if (!sync_each) return;
  e = cudaDeviceSynchronize();
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw Error(std::string("CUDA kernel for ") + what + " failed (EASEL_CUDA_SYNC=1): " + cudaGetErrorString(e));
  }
}

void* allocate(size_t nbytes, int device) { return cache(device).allocate(nbytes); }
void release(void* p, size_t nbytes, int device) { cache(device).release(p, nbytes); }
MemoryStats memory_stats(int device) { return cache(device).stats(); }
std::string memory_report(int device) { return "cuda:" + std::to_string(device) + ": " + describe(memory_stats(device)); }
void empty_cache(int device) { cache(device).empty(); }

void copy_to_device(void* dst, const void* src, size_t nbytes, int device) {
  set_device(device);
  if (nbytes) check(cudaMemcpy(dst, src, nbytes, cudaMemcpyHostToDevice), "copy to the device", device);
}
void copy_to_host(void* dst, const void* src, size_t nbytes, int device) {
  set_device(device);
  if (nbytes) check(cudaMemcpy(dst, src, nbytes, cudaMemcpyDeviceToHost), "copy to the host", device);
}
void copy_on_device(void* dst, const void* src, size_t nbytes, int device) {
  set_device(device);
  if (nbytes) check(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice), "copy on the device", device);
}
void synchronize(int device) {
  set_device(device);
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize (an earlier kernel failed)", device);
}

}  // namespace easel::cuda
