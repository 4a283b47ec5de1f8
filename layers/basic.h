// The basic layers. Each is a thin Module over an op in autograd/ops.h: it owns the parameters,
// PyTorch's names and default initialisation, and nothing else.
#pragma once
#include <functional>
#include <optional>

#include "autograd/ops.h"
#include "layers/module.h"

namespace easel {

class Conv2d : public Module {
 public:
  Role role() const override { return Role::weights; }
  Conv2d(int64_t in, int64_t out, Hw kernel, Hw stride = 1, Hw padding = 0, Hw dilation = 1, int64_t groups = 1,
         bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  Tensor weight, bias;  // [out, in/groups, kh, kw], [out] or undefined
  Conv2dOptions opt;
  void add_zero_bias();  // a bias of zeros where there was none (a batch norm folded in)
};

class Linear : public Module {
 public:
  Role role() const override { return Role::weights; }
  Linear(int64_t in, int64_t out, bool bias = true);
  Tensor forward(const Tensor& x) override { return linear(x, weight, bias); }
  std::string describe() const override;
  Tensor weight, bias;  // [out, in], [out]
};

// BatchNorm1d ([N, C] or [N, C, L]) and BatchNorm2d ([N, C, H, W]) differ only in their name.
class BatchNorm : public Module {
 public:
  Role role() const override { return Role::norm; }
  BatchNorm(int64_t channels, int dims = 2, double eps = 1e-5, double momentum = 0.1, bool affine = true);
  Tensor forward(const Tensor& x) override;
  // relu((*this)(x)), fused into one op (batch_norm_relu) unless this module's output is being
  // captured (Grad-CAM reads it before the ReLU), it is folded, or it syncs across ranks.
  Tensor forward_relu(const Tensor& x);
  std::string describe() const override;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  double eps, momentum;
  bool sync = false;  // training statistics over every rank of a distributed run (sync_batch_norm)
  // A frozen layer (--freeze) normalises with its running statistics and leaves them alone, also in
  // training mode: what Keras does for a non-trainable layer and PyTorch users do with bn.eval().
  bool frozen = false;
  // Folded into the convolution before it (layers/surgery.h fold_batch_norms): the identity, with
  // no parameters or buffers, for inference only.
  bool folded = false;
  void fold_away();

 private:
  Tensor normalise(const Tensor& x, bool with_relu);
};

// A parameter-free function as a module: ReLU, ReLU6, SiLU, Sigmoid, Tanh, GELU, Hardswish, ...
class Activation : public Module {
 public:
  Activation(std::string name, std::function<Tensor(const Tensor&)> f) : Module(std::move(name)), f_(std::move(f)) {}
  Tensor forward(const Tensor& x) override { return f_(x); }

 private:
  std::function<Tensor(const Tensor&)> f_;
};
std::shared_ptr<Activation> make_relu();
std::shared_ptr<Activation> make_silu();
std::shared_ptr<Activation> make_sigmoid();
std::shared_ptr<Activation> make_activation(const std::string& name);  // "relu", "relu6", "silu", ...

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(MaxPool2dOptions o) : Module("MaxPool2d"), opt(o) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, opt); }
  MaxPool2dOptions opt;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(AvgPool2dOptions o) : Module("AvgPool2d"), opt(o) {}
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, opt); }
  AvgPool2dOptions opt;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Hw out) : Module("AdaptiveAvgPool2d"), out(out) {}
  Tensor forward(const Tensor& x) override { return adaptive_avg_pool2d(x, out); }
  std::string describe() const override;
  Hw out;
};

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5) : Module("Dropout"), p(p) {}
  Tensor forward(const Tensor& x) override { return dropout(x, p, training()); }
  std::string describe() const override;
  double p;
};

// Drops whole residual branches per sample (torchvision's StochasticDepth, mode "row"): in training
// each sample's branch is zeroed with probability p and the survivors scaled by 1/(1-p).
class StochasticDepth : public Module {
 public:
  explicit StochasticDepth(double p) : Module("StochasticDepth"), p(p) {}
  Tensor forward(const Tensor& x) override;
  double p;
};

class Flatten : public Module {
 public:
  Flatten() : Module("Flatten") {}
  Tensor forward(const Tensor& x) override { return x.flatten(1); }
};

class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& x) override { return x; }
};

}  // namespace easel
