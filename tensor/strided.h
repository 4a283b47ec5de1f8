// Walking strided, broadcast tensors without copying them.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "tensor/parallel.h"
#include "tensor/tensor.h"

namespace easel {

// NumPy broadcasting: align shapes on the right; each dim must match or be 1. Errors name `op`.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Strides that read `t` as if it had shape `out` (broadcast dims get stride 0).
Shape broadcast_strides(const Tensor& t, const Shape& out);

// Visits every element of an `out`-shaped iteration space for K operands with the given
// strides (in elements). f(offsets) receives the K element offsets. The innermost dimension
// runs as a tight loop; the outer rows are split across threads.
template <size_t K, class F>
void for_each_strided(const Shape& out, const std::array<const int64_t*, K>& strides, F&& f) {
  const int64_t nd = int64_t(out.size());
  if (nd == 0) {
    std::array<int64_t, K> off{};
    f(off);
    return;
  }
  const int64_t inner = out[nd - 1];
  const int64_t rows = inner == 0 ? 0 : shape_numel(out) / inner;
  parallel_for(rows, [&](int64_t row) {
    std::array<int64_t, K> off{};
    int64_t r = row;
    for (int64_t d = nd - 2; d >= 0; --d) {  // unravel the row index over the outer dims
      const int64_t i = r % out[d];
      r /= out[d];
      for (size_t k = 0; k < K; ++k) off[k] += i * strides[k][d];
    }
    std::array<int64_t, K> step;
    for (size_t k = 0; k < K; ++k) step[k] = strides[k][nd - 1];
    for (int64_t j = 0; j < inner; ++j) {
      f(off);
      for (size_t k = 0; k < K; ++k) off[k] += step[k];
    }
  }, inner);
}

}  // namespace easel

namespace easel {
// `t` itself when contiguous, else a contiguous copy; never recorded on the tape. Kernels use it
// to read their inputs as flat arrays.
Tensor dense(const Tensor& t);
}  // namespace easel
