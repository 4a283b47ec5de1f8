// LSTM, multi-layer and optionally bidirectional, with PyTorch's gate order (i, f, g, o) and keys
// (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, and "_reverse" for the backward
// direction). Per layer and direction, for t = 1..T:
//   [i f g o] = x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh
//   c_t = σ(f)·c_{t-1} + σ(i)·tanh(g),   h_t = σ(o)·tanh(c_t)
// The input projection of all time steps is one GEMM; the recurrence is built from ops, so its
// backward (through time) comes from the tape.
#pragma once
#include "layers/module.h"

namespace easel {

struct LSTMOutput {
  Tensor output;  // [B, T, D·H] (batch_first) or [T, B, D·H]
  Tensor h_n;     // [L·D, B, H]
  Tensor c_n;     // [L·D, B, H]
};

class LSTM : public Module {
 public:
  Role role() const override { return Role::weights; }
  LSTM(int64_t input_size, int64_t hidden_size, int64_t num_layers = 1, bool batch_first = false,
       bool bidirectional = false, double dropout = 0.0);
  LSTMOutput run(const Tensor& x);  // zero initial state
  Tensor forward(const Tensor& x) override { return run(x).output; }
  std::string describe() const override;
  int64_t input_size, hidden_size, num_layers;
  bool batch_first, bidirectional;
  double dropout;

 private:
  struct Weights {
    Tensor w_ih, w_hh, b_ih, b_hh;
  };
  std::vector<Weights> w_;  // layer-major: [l0 fwd, l0 rev, l1 fwd, ...]
};

}  // namespace easel
