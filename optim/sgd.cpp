#include "optim/sgd.h"

#include "autograd/node.h"
#include "autograd/ops.h"

namespace easel {

SGD::SGD(std::vector<Tensor> params, double lr_, double momentum, double weight_decay)
    : lr(lr_), params_(std::move(params)), velocity_(params_.size()), momentum_(momentum), weight_decay_(weight_decay) {
  for (const Tensor& p : params_)
    EASEL_CHECK(p.is_leaf() && p.requires_grad(), "SGD: parameters must be leaves with requires_grad, got ", p.describe());
}

void SGD::step() {
  NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (weight_decay_ != 0) g = g + p * weight_decay_;
    if (momentum_ != 0) {
      velocity_[i] = velocity_[i].defined() ? velocity_[i] * momentum_ + g : g.clone();
      g = velocity_[i];
    }
    p.copy_(p - g * lr);
  }
}

void SGD::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

}  // namespace easel
