// Fill and strided copy / cast kernels: what Tensor::copy_, contiguous(), clone(), to(dtype) and the
// factories run on a CUDA device. One thread per element, grid-stride.
#include "tensor/cuda/copy.h"
#include "tensor/counter_rng.h"
#include "tensor/cuda/strided.h"
#include "tensor/strided.h"

namespace easel::cuda {

namespace {

// out[off(i)] = value
template <class T>
__global__ void fill_kernel(T* out, StridedIndex<1> ix, int64_t n, T value) {
  EASEL_GRID_STRIDE_LOOP(i, n) {
    int64_t off[1];
    ix.offsets(i, off);
    out[off[0]] = value;
  }
}

// out[i] = scale with probability keep, else 0 (counter_rng.h)
template <class T>
__global__ void keep_mask_kernel(T* out, int64_t n, uint64_t key, double keep, double scale) {
  EASEL_GRID_STRIDE_LOOP(i, n) out[i] = T(math::keep_mask_at(key, uint64_t(i), keep, scale));
}

// dst[off0(i)] = To(src[off1(i)])
template <class To, class From>
__global__ void copy_kernel(To* dst, const From* src, StridedIndex<2> ix, int64_t n) {
  EASEL_GRID_STRIDE_LOOP(i, n) {
    int64_t off[2];
    ix.offsets(i, off);
    dst[off[0]] = static_cast<To>(src[off[1]]);
  }
}

// Calls f(T{}) for the compute and index dtypes the kernels are built for.
template <class F>
void dispatch_copyable(DType dt, const char* op, F&& f) {
  if (dt == DType::f32) return f(float{});
  if (dt == DType::f64) return f(double{});
  if (dt == DType::i64) return f(int64_t{});
  throw Error(std::string(op) + " on cuda: no kernel for " + dtype_name(dt) + " tensors yet");
}

}  // namespace

void fill(const Tensor& out, double value) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const auto ix = strided_index<1>(out.shape(), {out.strides()}, "fill");
  dispatch_copyable(out.dtype(), "fill", [&](auto zero) {
    using T = decltype(zero);
    launch("fill", out.device().index, grid_for(n), fill_kernel<T>, out.device_data<T>(), ix, n, T(value));
  });
}

void fill_keep_mask(const Tensor& out, uint64_t key, double keep, double scale) {
  EASEL_CHECK(out.is_contiguous(), "keep_mask on cuda: needs a dense tensor, got ", out.describe());
  const int64_t n = out.numel();
  if (n == 0) return;
  auto run = [&](auto zero) {
    using T = decltype(zero);
    launch("keep_mask", out.device().index, grid_for(n), keep_mask_kernel<T>, out.device_data<T>(), n, key, keep, scale);
  };
  if (out.dtype() == DType::f32) run(float{});
  else if (out.dtype() == DType::f64) run(double{});
  else throw Error(std::string("keep_mask on cuda: f32 or f64, got ") + dtype_name(out.dtype()));
}

void copy(const Tensor& dst, const Tensor& src) {
  EASEL_CHECK(dst.device() == src.device(), "copy on cuda: ", dst.device().str(), " and ", src.device().str());
  const int64_t n = dst.numel();
  if (n == 0) return;
  const auto ix = strided_index<2>(dst.shape(), {dst.strides(), broadcast_strides(src, dst.shape())}, "copy");
  dispatch_copyable(dst.dtype(), "copy", [&](auto to) {
    dispatch_copyable(src.dtype(), "copy", [&](auto from) {
      using To = decltype(to);
      using From = decltype(from);
      launch("copy", dst.device().index, grid_for(n), copy_kernel<To, From>, dst.device_data<To>(),
             src.device_data<From>(), ix, n);
    });
  });
}

}  // namespace easel::cuda
