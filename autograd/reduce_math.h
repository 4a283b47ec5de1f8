// Per-row math of the reductions, written once for both devices (autograd/reduce.cpp and
// autograd/cuda/reduce.cu).
#pragma once
#include <cstdint>

#include "tensor/cuda/host_device.h"  // EASEL_HD

namespace easel::math {

// The index of the first maximal element of row[0, R) (R ≥ 1); a NaN beats any number.
template <class T>
EASEL_HD int64_t row_argmax(const T* row, int64_t R) {
  int64_t best = 0;
  for (int64_t j = 1; j < R; ++j)
    if (row[j] > row[best] || (row[j] != row[j] && row[best] == row[best])) best = j;
  return best;
}

}  // namespace easel::math
