// A caching allocator for one device: freed blocks are kept by size and handed out again, so a
// training step (which allocates the same sizes every time) does not call cudaMalloc / cudaFree —
// both synchronise the whole device. Sizes are rounded (512 B steps below 1 MiB, 2 MiB steps above)
// so that nearby sizes share blocks. When the device is out of memory, the cache is emptied and the
// allocation tried once more before it fails with a report.
//
// One stream per device for now: a block freed by the host is reused by later work on the same
// stream, which runs after the work that used it. That ordering is what makes reuse safe.
#pragma once
#include <cstddef>
#include <map>
#include <mutex>

#include "tensor/cuda/runtime.h"

namespace easel::cuda {

class BlockCache {
 public:
  using RawAllocate = void* (*)(size_t nbytes, int device);  // nullptr when out of memory
  using RawFree = void (*)(void* p, int device);
  using Hook = void (*)(void* p, size_t nbytes);  // the simulation poisons cached blocks with these
  BlockCache(int device, RawAllocate raw_allocate, RawFree raw_free, Hook on_cache = nullptr, Hook on_reuse = nullptr)
      : device_(device), raw_allocate_(raw_allocate), raw_free_(raw_free), on_cache_(on_cache), on_reuse_(on_reuse) {}
  ~BlockCache() { empty(); }

  static size_t rounded(size_t nbytes);
  void* allocate(size_t nbytes);  // throws easel::Error with the memory report when out of memory
  void release(void* p, size_t nbytes);
  void empty();
  MemoryStats stats() const;

 private:
  int device_;
  RawAllocate raw_allocate_;
  RawFree raw_free_;
  Hook on_cache_, on_reuse_;
  mutable std::mutex mutex_;
  std::multimap<size_t, void*> free_;  // rounded size -> block
  MemoryStats stats_;
};

std::string describe(const MemoryStats& s);  // "in use 1.5 MiB, cached 4.0 MiB, peak ..., N cudaMalloc"

}  // namespace easel::cuda
