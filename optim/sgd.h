// Stochastic gradient descent (the full optimizer family — Adam, AdamW, schedulers — comes with
// the training pipeline).   v ← μ·v + (g + λ·p);   p ← p - lr·v   (μ = 0: plain SGD)
#pragma once
#include <vector>

#include "tensor/tensor.h"

namespace easel {

class SGD {
 public:
  SGD(std::vector<Tensor> params, double lr, double momentum = 0.0, double weight_decay = 0.0);
  void step();       // parameters without a gradient are left alone
  void zero_grad();  // clears every parameter's .grad
  double lr;

 private:
  std::vector<Tensor> params_, velocity_;
  double momentum_, weight_decay_;
};

}  // namespace easel
