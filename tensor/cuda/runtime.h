// The CUDA runtime as the rest of Easel sees it: what was built, which devices exist, device
// memory and copies. Three implementations, chosen by CMake (EASEL_CUDA):
//   runtime_cuda.cu   the real one (nvcc, cudart, cuBLAS, cuDNN)
//   runtime_sim.cpp   the simulation (EASEL_CUDA=SIM): two "devices" whose memory is host memory,
//                     so that every CUDA code path runs, under the sanitizers too, without a GPU
//   runtime_none.cpp  no backend: no devices; allocating on one is a clear error
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace easel::cuda {

enum class Backend { none, simulated, cuda };
Backend backend();
const char* backend_description();  // one line for `easel info`
int device_count();                 // devices that ops can run on (0 without a GPU or a driver)
std::string device_name(int device);  // "" when there is no such device
std::string versions();             // runtime / cuBLAS / cuDNN versions, or why there are none
void check_device(int device);      // throws, naming the device and how many there are, unless it exists

// ---- memory (a caching allocator per device, tensor/cuda/block_cache.h) -------------------------
void* allocate(size_t nbytes, int device);  // throws a report of the device's memory when out of memory
void release(void* p, size_t nbytes, int device);

struct MemoryStats {
  size_t in_use = 0;             // bytes held by live tensors (rounded to the allocator's sizes)
  size_t cached = 0;             // bytes kept free for reuse
  size_t peak_in_use = 0;
  int64_t device_allocations = 0;  // calls that reached the device allocator (cudaMalloc)
  int64_t reuses = 0;              // allocations served from the cache
};
MemoryStats memory_stats(int device);
std::string memory_report(int device);  // one line: in use, cached, peak, allocations
void empty_cache(int device);           // hands every cached block back to the device

// ---- copies (host <-> device wait for the device; device -> device is ordered on its stream) ----
void copy_to_device(void* dst, const void* src, size_t nbytes, int device);
void copy_to_host(void* dst, const void* src, size_t nbytes, int device);
void copy_on_device(void* dst, const void* src, size_t nbytes, int device);
void synchronize(int device);

}  // namespace easel::cuda
