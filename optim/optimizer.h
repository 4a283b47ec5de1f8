// Optimizers, with PyTorch's exact update rules (checked against torch.optim in tests/parity).
//
//   SGD:   g ← g + λp;  b ← μb + (1-τ)g (b = g on the first step);  g ← g + μb (Nesterov) or b;  p ← p - ηg
//   Adam:  g ← g + λp;  m ← β₁m + (1-β₁)g;  v ← β₂v + (1-β₂)g²;  p ← p - η·(m/(1-β₁ᵗ)) / (√(v/(1-β₂ᵗ)) + ε)
//   AdamW: p ← p(1 - ηλ) (decoupled weight decay, Loshchilov & Hutter), then Adam with λ = 0
//
// Parameters come in groups, each with its own learning rate and weight decay (per-layer learning
// rates, frozen backbones). Parameters without a gradient are skipped.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tensor/named.h"

namespace easel {

struct ParamGroup {
  std::vector<std::string> names;  // for messages and checkpoints
  std::vector<Tensor> params;
  double lr = 1e-3, weight_decay = 0;
  double initial_lr = 0;  // the lr schedulers scale from (the group's lr when added)
  double momentum = -1;   // SGD momentum or Adam β₁; -1: the optimizer's default (OneCycle cycles it)
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  void add_group(ParamGroup g);
  virtual void step() = 0;
  void zero_grad();
  std::vector<ParamGroup>& groups() { return groups_; }
  const std::vector<ParamGroup>& groups() const { return groups_; }
  int64_t steps() const { return steps_; }
  // Per-parameter state ("state.<group>.<param name>.<slot>"), group lr / momentum and the step
  // count, for checkpoints.
  NamedTensors state_dict() const;
  void load_state_dict(const NamedTensors& sd);

 protected:
  explicit Optimizer(double default_momentum) : default_momentum_(default_momentum) {}
  // Counts a step and calls f(group, index, parameter, dense gradient) for every parameter that has a gradient.
  void for_each_param(const char* who, const std::function<void(size_t, size_t, Tensor&, const Tensor&)>& f);
  // Slot `name` (e.g. "momentum_buffer") of parameter i of group g, created as zeros like `like`.
  Tensor& slot(size_t g, size_t i, const std::string& name, const Tensor& like);
  std::vector<ParamGroup> groups_;
  int64_t steps_ = 0;

 private:
  double default_momentum_;
  std::vector<std::vector<std::map<std::string, Tensor>>> state_;  // [group][param] -> slots (stable references)
};

class SGD : public Optimizer {
 public:
  explicit SGD(double momentum = 0, bool nesterov = false, double dampening = 0)
      : Optimizer(momentum), nesterov(nesterov), dampening(dampening) {}
  void step() override;
  bool nesterov;
  double dampening;
};

class Adam : public Optimizer {
 public:
  explicit Adam(double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, bool decoupled_decay = false)
      : Optimizer(beta1), beta2(beta2), eps(eps), decoupled(decoupled_decay) {}
  void step() override;
  double beta2, eps;
  bool decoupled;  // true: AdamW
};

// "sgd" (momentum 0.9), "nesterov", "adam", "adamw" — with no groups yet.
std::unique_ptr<Optimizer> make_optimizer(const std::string& name);

// Rescales all gradients so that their global L2 norm is at most max_norm; returns the norm before.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

}  // namespace easel
