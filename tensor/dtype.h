// Element types a tensor can have (devices: tensor/device.h).
#pragma once
#include <cstddef>
#include <cstdint>

namespace easel {

// f32/f64 compute (on the CPU and on CUDA devices); i64 holds labels and indices; bf16/f16 are
// storage types reserved for the GPU backend (they can be allocated and converted, not computed with).
enum class DType : uint8_t { f32, f64, i64, bf16, f16 };

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i64: return 8;
    case DType::bf16: return 2;
    case DType::f16: return 2;
  }
  return 0;
}

constexpr const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::i64: return "i64";
    case DType::bf16: return "bf16";
    case DType::f16: return "f16";
  }
  return "?";
}

constexpr bool is_floating(DType t) { return t == DType::f32 || t == DType::f64; }

// The C++ type stored for a dtype (compile-time).
template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }

}  // namespace easel
