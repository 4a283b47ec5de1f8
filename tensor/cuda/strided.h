// Strided, broadcast operands on the device: a kernel gets the iteration shape and each operand's
// strides by value (no device allocation) and turns a flat index into K element offsets.
#pragma once
#include <array>

#include "tensor/cuda/launch.h"
#include "tensor/tensor.h"

namespace easel::cuda {

constexpr int kMaxDims = 8;

template <int K>
struct StridedIndex {
  int nd = 0;
  int64_t size[kMaxDims] = {};
  int64_t stride[K][kMaxDims] = {};

  // off[k] = Σ_d index_d · stride[k][d], with index the row-major unravelling of i over `size`.
  EASEL_HD void offsets(int64_t i, int64_t (&off)[K]) const {
    for (int k = 0; k < K; ++k) off[k] = 0;
    for (int d = nd - 1; d >= 0; --d) {
      const int64_t idx = i % size[d];
      i /= size[d];
      for (int k = 0; k < K; ++k) off[k] += idx * stride[k][d];
    }
  }
};

// The index over `shape` for K operands; `op` names the op when there are too many dims.
template <int K>
StridedIndex<K> strided_index(const Shape& shape, const std::array<Shape, K>& strides, const char* op) {
  EASEL_CHECK(shape.size() <= size_t(kMaxDims), op, " on cuda: ", shape.size(), " dims (", shape_str(shape),
              "); CUDA kernels take at most ", kMaxDims);
  StridedIndex<K> ix;
  ix.nd = int(shape.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    ix.size[d] = shape[d];
    for (int k = 0; k < K; ++k) ix.stride[k][d] = strides[size_t(k)][d];
  }
  return ix;
}

}  // namespace easel::cuda
