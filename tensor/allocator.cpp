#include "tensor/allocator.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define EASEL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EASEL_ASAN 1
#endif
#endif

namespace easel {

namespace {

constexpr size_t kCachedMin = size_t(64) << 10;  // below this, glibc's own free lists do well
constexpr size_t kPage = 4096;

size_t cache_cap() {
#ifdef EASEL_ASAN
  return 0;
#else
  const char* e = std::getenv("EASEL_CPU_CACHE_MB");
  char* end = nullptr;
  const long long mb = e ? std::strtoll(e, &end, 10) : 2048;
  return e && (end == e || mb < 0) ? size_t(2048) << 20 : size_t(mb) << 20;
#endif
}

struct Cache {
  std::mutex mutex;
  std::map<size_t, std::vector<void*>> free_blocks;  // rounded size -> blocks
  std::unordered_map<void*, size_t> lent;             // a block handed out for a smaller request -> its size
  size_t free_bytes = 0;
  size_t system_bytes = 0;
  const size_t cap = cache_cap();
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: storages may be freed during static destruction
  return *c;
}

size_t rounded(size_t nbytes) { return (nbytes + kPage - 1) / kPage * kPage; }

}  // namespace

void* cpu_allocate(size_t nbytes) {
  if (nbytes < kCachedMin) return std::aligned_alloc(64, (nbytes + 63) / 64 * 64);
  const size_t size = rounded(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    // The smallest free block that fits, up to twice the size: a layer's output can reuse a larger
    // one freed earlier instead of adding its own to the process (inference frees most blocks it
    // takes, each size once per step).
    for (auto it = c.free_blocks.lower_bound(size); it != c.free_blocks.end() && it->first <= 2 * size; ++it) {
      if (it->second.empty()) continue;
      void* p = it->second.back();
      it->second.pop_back();
      c.free_bytes -= it->first;
      if (it->first != size) c.lent[p] = it->first;
      return p;
    }
  }
  void* p = std::aligned_alloc(kPage, size);
  if (!p) {  // out of memory: give the cache back and try once more
    cpu_empty_cache();
    p = std::aligned_alloc(kPage, size);
  }
  if (p) {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.system_bytes += size;
  }
  return p;
}

void cpu_release(void* p, size_t nbytes) {
  if (!p) return;
  if (nbytes < kCachedMin) {
    std::free(p);
    return;
  }
  size_t size = rounded(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (auto it = c.lent.find(p); it != c.lent.end()) {
      size = it->second;
      c.lent.erase(it);
    }
    if (c.free_bytes + size <= c.cap) {
      c.free_blocks[size].push_back(p);
      c.free_bytes += size;
      return;
    }
    c.system_bytes -= size;
  }
  std::free(p);
}

size_t cpu_system_bytes() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  return cache().system_bytes;
}

size_t cpu_cached_bytes() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  return cache().free_bytes;
}

void cpu_empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [size, blocks] : c.free_blocks)
    for (void* p : blocks) {
      std::free(p);
      c.system_bytes -= size;
    }
  c.free_blocks.clear();
  c.free_bytes = 0;
}

}  // namespace easel
