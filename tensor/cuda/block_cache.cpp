#include "tensor/cuda/block_cache.h"

#include <cstdio>

#include "tensor/error.h"

namespace easel::cuda {

size_t BlockCache::rounded(size_t nbytes) {
  constexpr size_t kSmall = 512, kLarge = size_t(2) << 20, kSmallLimit = size_t(1) << 20;
  if (nbytes == 0) nbytes = 1;
  const size_t step = nbytes < kSmallLimit ? kSmall : kLarge;
  return (nbytes + step - 1) / step * step;
}

void* BlockCache::allocate(size_t nbytes) {
  const size_t size = rounded(nbytes);
  std::lock_guard<std::mutex> lock(mutex_);
  void* p = nullptr;
  if (auto it = free_.find(size); it != free_.end()) {
    p = it->second;
    free_.erase(it);
    stats_.cached -= size;
    ++stats_.reuses;
    if (on_reuse_) on_reuse_(p, size);
  } else {
    p = raw_allocate_(size, device_);
    if (!p && !free_.empty()) {  // out of memory: give the cache back and try once more
      for (auto& [s, q] : free_) {
        if (on_reuse_) on_reuse_(q, s);
        raw_free_(q, device_);
      }
      free_.clear();
      stats_.cached = 0;
      p = raw_allocate_(size, device_);
    }
    EASEL_CHECK(p, "out of memory on cuda:", device_, ": cannot allocate ", double(size) / double(1 << 20),
                " MiB (", describe(stats_), ")");
    ++stats_.device_allocations;
  }
  stats_.in_use += size;
  if (stats_.in_use > stats_.peak_in_use) stats_.peak_in_use = stats_.in_use;
  return p;
}

void BlockCache::release(void* p, size_t nbytes) {
  if (!p) return;
  const size_t size = rounded(nbytes);
  if (on_cache_) on_cache_(p, size);
  std::lock_guard<std::mutex> lock(mutex_);
  free_.emplace(size, p);
  stats_.in_use -= size;
  stats_.cached += size;
}

void BlockCache::empty() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [s, p] : free_) {
    if (on_reuse_) on_reuse_(p, s);
    raw_free_(p, device_);
  }
  free_.clear();
  stats_.cached = 0;
}

MemoryStats BlockCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

std::string describe(const MemoryStats& s) {
  auto mib = [](size_t b) { return double(b) / double(1 << 20); };
  char line[200];
  std::snprintf(line, sizeof line, "in use %.1f MiB, cached %.1f MiB, peak %.1f MiB, %lld device allocations, %lld reuses",
                mib(s.in_use), mib(s.cached), mib(s.peak_in_use), (long long)s.device_allocations, (long long)s.reuses);
  return line;
}

}  // namespace easel::cuda
