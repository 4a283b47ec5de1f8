// Counting multiply-adds: while a MacCounter lives (per thread), conv2d, linear and matmul add the
// multiply-accumulates they perform. `easel models` uses it for the cost of a 224×224 forward pass.
#pragma once
#include <cstdint>

namespace easel {

class MacCounter {
 public:
  MacCounter();
  ~MacCounter();
  MacCounter(const MacCounter&) = delete;
  MacCounter& operator=(const MacCounter&) = delete;
  int64_t macs = 0;
  static void add(int64_t n);  // called by the ops; no-op without a live counter

 private:
  MacCounter* prev_;
};

}  // namespace easel
