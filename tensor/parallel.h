// Small helpers every kernel uses: OpenMP loops and dtype dispatch.
#pragma once
#include <cstdint>
#include <omp.h>

#include "tensor/dtype.h"
#include "tensor/error.h"

namespace easel {

// Below this many elements a loop is not worth waking threads for.
constexpr int64_t kParallelGrain = 32768;

// for (i in [0, n)) f(i), split over OpenMP threads when the work is large enough.
// `cost` is a rough per-iteration weight (e.g. the row length of a row-wise loop).
template <class F>
void parallel_for(int64_t n, F&& f, int64_t cost = 1) {
  if (n * cost < kParallelGrain || omp_in_parallel()) {
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) f(i);
}

int num_threads();              // threads Easel uses (OMP_NUM_THREADS or the core count)
void set_num_threads(int n);

// Calls f(T{}) with T = float or double for the given dtype; anything else is an error naming `op`.
template <class F>
decltype(auto) dispatch_float(DType dt, const char* op, F&& f) {
  if (dt == DType::f32) return f(float{});
  if (dt == DType::f64) return f(double{});
  throw Error(std::string(op) + ": expected an f32 or f64 tensor, got " + dtype_name(dt));
}

}  // namespace easel
