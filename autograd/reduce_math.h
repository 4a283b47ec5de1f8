// Per-row math of the reductions, written once for both devices (autograd/reduce.cpp and
// autograd/cuda/reduce.cu).
#pragma once
#include <cstdint>

#include "tensor/cuda/host_device.h"  // EASEL_HD

namespace easel::math {

// The device's sums split a row of R values into P interleaved slices — slice p holds j = p, p + P,
// p + 2P, ... — summed by P threads at once (neighbouring threads read neighbouring values), then
// add the P slice sums in order: a deterministic two-pass reduction with no shared memory. P is as
// many slices as keep a GPU busy while each still sums ≥ 256 values (1 for short rows).
EASEL_HD inline int64_t reduction_slices(int64_t R) {
  const int64_t p = R / 256;
  return p < 1 ? 1 : p > 1024 ? 1024 : p;
}

// The index of the first maximal element of row[0, R) (R ≥ 1); a NaN beats any number.
template <class T>
EASEL_HD int64_t row_argmax(const T* row, int64_t R) {
  int64_t best = 0;
  for (int64_t j = 1; j < R; ++j)
    if (row[j] > row[best] || (row[j] != row[j] && row[best] == row[best])) best = j;
  return best;
}

}  // namespace easel::math
