// Where a tensor's storage lives: the CPU, or CUDA device i (`Device::cuda(i)`).
//
// Every op runs on the device of its inputs; inputs on different devices are an error that names
// both (a 0-d CPU tensor, such as the scalar in `x * 2.0`, may join a device tensor, as in PyTorch).
#pragma once
#include <cstdint>
#include <string>

namespace easel {

struct Device {
  enum class Kind : uint8_t { cpu, cuda };
  Kind kind = Kind::cpu;
  int index = 0;  // which CUDA device; 0 for the CPU

  static constexpr Device cpu() { return Device{}; }
  static constexpr Device cuda(int i = 0) { return Device{Kind::cuda, i}; }
  constexpr bool is_cpu() const { return kind == Kind::cpu; }
  constexpr bool is_cuda() const { return kind == Kind::cuda; }
  constexpr bool operator==(const Device& o) const { return kind == o.kind && index == o.index; }
  constexpr bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const;  // "cpu", "cuda:0"
};

// "cpu", "cuda" (= cuda:0) or "cuda:N"; anything else is an error that quotes the text.
Device parse_device(const std::string& text);

}  // namespace easel
