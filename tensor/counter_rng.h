// A counter-based random stream: the i-th number of stream `key` is a pure function of (key, i),
// so any thread on any device draws element i without a shared state — how dropout draws its
// mask where the tensor lives and still gets the same mask on the CPU and on a GPU.
// The mixing function is SplitMix64's (Steele, Lea & Flood, "Fast splittable pseudorandom number
// generators", 2014) applied to key + (i + 1)·γ, γ the 64-bit golden ratio.
#pragma once
#include <cstdint>

#include "tensor/cuda/host_device.h"

namespace easel::math {

EASEL_HD inline uint64_t counter_u64(uint64_t key, uint64_t i) {
  uint64_t z = key + (i + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) from the top 53 bits.
EASEL_HD inline double counter_uniform(uint64_t key, uint64_t i) {
  return double(counter_u64(key, i) >> 11) * (1.0 / 9007199254740992.0);
}

// Element i of a keep mask: `scale` with probability `keep`, else 0.
EASEL_HD inline double keep_mask_at(uint64_t key, uint64_t i, double keep, double scale) {
  return counter_uniform(key, i) < keep ? scale : 0.0;
}

}  // namespace easel::math
