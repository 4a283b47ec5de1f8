#include "layers/basic.h"

#include <sstream>

#include "autograd/node.h"
#include "layers/init.h"
#include "tensor/comm.h"

namespace easel {

Conv2d::Conv2d(int64_t in, int64_t out, Hw k, Hw stride, Hw padding, Hw dilation, int64_t groups, bool with_bias)
    : Module("Conv2d") {
  EASEL_CHECK(groups > 0 && in % groups == 0 && out % groups == 0, "Conv2d(", in, ", ", out, "): groups=", groups,
              " must divide both channel counts");
  opt.stride = stride, opt.padding = padding, opt.dilation = dilation, opt.groups = groups;
  weight = Tensor::empty({out, in / groups, k.h, k.w});
  init::default_uniform_(weight, init::fan_in(weight));
  weight = add_parameter("weight", weight);
  if (with_bias) {
    bias = Tensor::empty({out});
    init::default_uniform_(bias, init::fan_in(weight));
    bias = add_parameter("bias", bias);
  }
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight, bias, opt); }

void Conv2d::add_zero_bias() {
  if (!bias.defined()) bias = add_parameter("bias", Tensor::zeros({weight.size(0)}, weight.dtype(), weight.device()));
}

std::string Conv2d::describe() const {
  std::ostringstream os;
  os << "Conv2d(" << weight.size(1) * opt.groups << ", " << weight.size(0) << ", k=" << weight.size(2) << "x"
     << weight.size(3) << ", s=" << opt.stride.h << ", p=" << opt.padding.h;
  if (opt.dilation.h != 1) os << ", d=" << opt.dilation.h;
  if (opt.groups != 1) os << ", groups=" << opt.groups;
  if (!bias.defined()) os << ", no bias";
  return os.str() + ")";
}

Linear::Linear(int64_t in, int64_t out, bool with_bias) : Module("Linear") {
  weight = Tensor::empty({out, in});
  init::default_uniform_(weight, in);
  weight = add_parameter("weight", weight);
  if (with_bias) {
    bias = Tensor::empty({out});
    init::default_uniform_(bias, in);
    bias = add_parameter("bias", bias);
  }
}

std::string Linear::describe() const {
  return "Linear(" + std::to_string(weight.size(1)) + ", " + std::to_string(weight.size(0)) + ")";
}

BatchNorm::BatchNorm(int64_t c, int dims, double eps_, double momentum_, bool affine)
    : Module(dims == 1 ? "BatchNorm1d" : "BatchNorm2d"), eps(eps_), momentum(momentum_) {
  if (affine) {
    weight = add_parameter("weight", Tensor::ones({c}));
    bias = add_parameter("bias", Tensor::zeros({c}));
  }
  running_mean = add_buffer("running_mean", Tensor::zeros({c}));
  running_var = add_buffer("running_var", Tensor::ones({c}));
  num_batches_tracked = add_buffer("num_batches_tracked", Tensor::zeros({}, DType::i64));
}

Tensor BatchNorm::forward(const Tensor& x) { return normalise(x, false); }

// The ReLU that follows fused in (one pass, one saved tensor). A feature capture that wants this layer's
// own output goes the long way, through the module call that records it. A ModuleObserver (easel
// summary, graph) is told of the fused pass as a call of this module.
Tensor BatchNorm::forward_relu(const Tensor& x) {
  const FeatureCapture* capture = FeatureCapture::active();
  if (capture && capture->wants(this)) return relu((*this)(x));
  ModuleObserver* observer = ModuleObserver::active();
  if (observer) observer->enter(*this);
  Tensor y = normalise(x, true);
  if (observer) observer->exit(*this, y);
  return y;
}

Tensor BatchNorm::normalise(const Tensor& x, bool with_relu) {
  if (folded) {
    EASEL_CHECK(!training(), type(), ": folded into its convolution (export --fold-bn): the net is for inference only");
    return with_relu ? relu(x) : x;
  }
  const bool batch_statistics = training() && !frozen;
  if (batch_statistics) num_batches_tracked.set({}, num_batches_tracked.item() + 1);
  if (sync && batch_statistics && world().size() > 1) {
    Tensor y = sync_batch_norm(x, running_mean, running_var, weight, bias, momentum, eps);
    return with_relu ? relu(y) : y;
  }
  if (with_relu) return batch_norm_relu(x, running_mean, running_var, weight, bias, batch_statistics, momentum, eps);
  return batch_norm(x, running_mean, running_var, weight, bias, batch_statistics, momentum, eps);
}

std::string BatchNorm::describe() const {
  std::ostringstream os;
  if (folded) return type() + "(folded)";
  os << type() << "(" << running_mean.size(0) << ", eps=" << eps << ")";
  return os.str();
}

void BatchNorm::fold_away() {
  folded = true;
  weight = bias = running_mean = running_var = num_batches_tracked = Tensor();
  drop_state();
}

std::shared_ptr<Activation> make_activation(const std::string& name) {
  using F = Tensor (*)(const Tensor&);
  static const std::vector<std::tuple<const char*, const char*, F>> table = {
      {"relu", "ReLU", relu},          {"relu6", "ReLU6", relu6},       {"silu", "SiLU", silu},
      {"sigmoid", "Sigmoid", sigmoid}, {"tanh", "Tanh", tanh},          {"gelu", "GELU", gelu},
      {"hardswish", "Hardswish", hardswish}, {"hardsigmoid", "Hardsigmoid", hardsigmoid}};
  for (const auto& [key, type, f] : table)
    if (name == key) return std::make_shared<Activation>(type, f);
  throw Error("unknown activation '" + name + "' (relu, relu6, silu, sigmoid, tanh, gelu, hardswish, hardsigmoid)");
}
std::shared_ptr<Activation> make_relu() { return make_activation("relu"); }
std::shared_ptr<Activation> make_silu() { return make_activation("silu"); }
std::shared_ptr<Activation> make_sigmoid() { return make_activation("sigmoid"); }

std::string AdaptiveAvgPool2d::describe() const {
  return "AdaptiveAvgPool2d(" + std::to_string(out.h) + ", " + std::to_string(out.w) + ")";
}

std::string Dropout::describe() const {
  std::ostringstream os;
  os << "Dropout(p=" << p << ")";
  return os.str();
}

Tensor StochasticDepth::forward(const Tensor& x) {
  if (!training() || p == 0) return x;
  Shape s(size_t(x.dim()), 1);
  s[0] = x.size(0);
  return x * Tensor::keep_mask(s, 1 - p, p == 1 ? 0.0 : 1.0 / (1 - p), x.dtype(), x.device());  // as dropout
}

}  // namespace easel
