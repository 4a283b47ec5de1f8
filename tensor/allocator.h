// The CPU allocator behind every Storage: large blocks are kept for reuse instead of being handed
// back to the system. A training or inference step allocates the same sizes every time; giving
// them back (glibc returns blocks over its mmap threshold with munmap) makes every op pay for page
// faults and zeroed pages again — measured here, resnet50 inference spent 2/3 of its time so.
//
// Blocks of at least kCachedMin bytes are cached by (page-rounded) size, up to a cap on the bytes
// held free (EASEL_CPU_CACHE_MB, default 2048; 0 turns caching off); a request takes the smallest
// free block that fits and is at most twice its size (so the blocks an inference step frees serve
// its later, smaller outputs too: resnet50 batch-16 peak RSS 792 -> 581 MB against exact sizes
// only); smaller ones go straight to aligned_alloc. Thread-safe. Under AddressSanitizer it caches
// nothing, so that ASan still sees every use after free.
#pragma once
#include <cstddef>
#include <algorithm>
#include <new>
#include <omp.h>

namespace easel {

void* cpu_allocate(size_t nbytes);          // 64-byte aligned; nullptr when out of memory
void cpu_release(void* p, size_t nbytes);   // nbytes as given to cpu_allocate
size_t cpu_cached_bytes();                  // bytes held free for reuse
size_t cpu_system_bytes();                  // bytes of cached-size blocks taken from the system: in use + cached
void cpu_empty_cache();                     // hand every cached block back to the system

// A kernel's temporary array of n T's from the allocator above: uninitialised (a std::vector would
// write every element first) and, when large, a reused block instead of fresh pages. Freed on scope exit.
template <class T>
class Scratch {
 public:
  explicit Scratch(size_t n) : n_(n), p_(static_cast<T*>(cpu_allocate(std::max<size_t>(n, 1) * sizeof(T)))) {
    if (!p_) throw std::bad_alloc();
  }
  ~Scratch() { cpu_release(p_, std::max<size_t>(n_, 1) * sizeof(T)); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* data() const { return p_; }
  T& operator[](size_t i) const { return p_[i]; }
  size_t size() const { return n_; }

 private:
  size_t n_;
  T* p_;
};

// One work array of n T's per thread, allocated before a parallel loop (an exception must not leave
// an OpenMP region): mine() is the calling thread's. A loop that runs on its caller alone (small
// work, or nested in another parallel region) gets the first array: one thread uses it at a time.
template <class T>
class PerThread {
 public:
  explicit PerThread(size_t n)
      : each_((n + 15) / 16 * 16), slots_(omp_get_max_threads()), all_(each_ * size_t(slots_)) {}
  T* mine() const {
    const int t = omp_get_thread_num();
    return all_.data() + size_t(t < slots_ ? t : 0) * each_;
  }

 private:
  size_t each_;  // a multiple of 16: every array starts 64-byte aligned
  int slots_;
  Scratch<T> all_;
};

}  // namespace easel
