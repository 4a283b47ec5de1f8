#include "layers/blocks.h"

namespace easel {

std::shared_ptr<Sequential> conv_norm_act(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t groups,
                                          const std::string& activation, double bn_eps) {
  auto s = std::make_shared<Sequential>();
  s->push(std::make_shared<Conv2d>(in, out, k, stride, (k - 1) / 2, 1, groups, false));
  s->push(std::make_shared<BatchNorm>(out, 2, bn_eps));
  if (!activation.empty()) s->push(make_activation(activation));
  return s;
}

SqueezeExcitation::SqueezeExcitation(int64_t c, int64_t squeeze, const std::string& act) : Module("SqueezeExcitation") {
  fc1 = add_module("fc1", std::make_shared<Conv2d>(c, squeeze, 1));
  fc2 = add_module("fc2", std::make_shared<Conv2d>(squeeze, c, 1));
  activation = make_activation(act);
}

Tensor SqueezeExcitation::forward(const Tensor& x) {
  const Tensor s = (*fc2)((*activation)((*fc1)(adaptive_avg_pool2d(x, 1))));
  return x * sigmoid(s);
}

static std::shared_ptr<Sequential> make_downsample(int64_t in, int64_t out, int64_t stride) {
  auto d = std::make_shared<Sequential>();
  d->push(std::make_shared<Conv2d>(in, out, 1, stride, 0, 1, 1, false));
  d->push(std::make_shared<BatchNorm>(out));
  return d;
}

BasicBlock::BasicBlock(int64_t in, int64_t planes, int64_t stride) : Module("BasicBlock") {
  conv1 = add_module("conv1", std::make_shared<Conv2d>(in, planes, 3, stride, 1, 1, 1, false));
  bn1 = add_module("bn1", std::make_shared<BatchNorm>(planes));
  conv2 = add_module("conv2", std::make_shared<Conv2d>(planes, planes, 3, 1, 1, 1, 1, false));
  bn2 = add_module("bn2", std::make_shared<BatchNorm>(planes));
  if (stride != 1 || in != planes) downsample = add_module("downsample", make_downsample(in, planes, stride));
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor y = bn1->forward_relu((*conv1)(x));
  y = (*bn2)((*conv2)(y));
  return relu(y + (downsample ? (*downsample)(x) : x));
}

Bottleneck::Bottleneck(int64_t in, int64_t planes, int64_t stride) : Module("Bottleneck") {
  conv1 = add_module("conv1", std::make_shared<Conv2d>(in, planes, 1, 1, 0, 1, 1, false));
  bn1 = add_module("bn1", std::make_shared<BatchNorm>(planes));
  conv2 = add_module("conv2", std::make_shared<Conv2d>(planes, planes, 3, stride, 1, 1, 1, false));
  bn2 = add_module("bn2", std::make_shared<BatchNorm>(planes));
  conv3 = add_module("conv3", std::make_shared<Conv2d>(planes, planes * expansion, 1, 1, 0, 1, 1, false));
  bn3 = add_module("bn3", std::make_shared<BatchNorm>(planes * expansion));
  if (stride != 1 || in != planes * expansion)
    downsample = add_module("downsample", make_downsample(in, planes * expansion, stride));
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor y = bn1->forward_relu((*conv1)(x));
  y = bn2->forward_relu((*conv2)(y));
  y = (*bn3)((*conv3)(y));
  return relu(y + (downsample ? (*downsample)(x) : x));
}

InvertedResidual::InvertedResidual(std::string type, int64_t in, int64_t out, int64_t stride, double sd_prob)
    : Module(std::move(type)), use_res(stride == 1 && in == out) {
  block = add_module("block", std::make_shared<Sequential>());
  stochastic_depth = add_module("stochastic_depth", std::make_shared<StochasticDepth>(sd_prob));
}

Tensor InvertedResidual::forward(const Tensor& x) {
  const Tensor y = (*block)(x);
  return use_res ? (*stochastic_depth)(y) + x : y;
}

MBConv::MBConv(int64_t in, int64_t out, int64_t expand_ratio, int64_t k, int64_t stride, double sd_prob, double eps)
    : InvertedResidual("MBConv", in, out, stride, sd_prob) {
  const int64_t mid = in * expand_ratio;  // multiples of 8 for every torchvision config
  if (mid != in) block->push(conv_norm_act(in, mid, 1, 1, 1, "silu", eps));
  block->push(conv_norm_act(mid, mid, k, stride, mid, "silu", eps));
  block->push(std::make_shared<SqueezeExcitation>(mid, std::max<int64_t>(1, in / 4), "silu"));
  block->push(conv_norm_act(mid, out, 1, 1, 1, "", eps));
}

FusedMBConv::FusedMBConv(int64_t in, int64_t out, int64_t expand_ratio, int64_t k, int64_t stride, double sd_prob,
                         double eps)
    : InvertedResidual("FusedMBConv", in, out, stride, sd_prob) {
  const int64_t mid = in * expand_ratio;
  if (mid != in) {
    block->push(conv_norm_act(in, mid, k, stride, 1, "silu", eps));
    block->push(conv_norm_act(mid, out, 1, 1, 1, "", eps));
  } else {
    block->push(conv_norm_act(in, out, k, stride, 1, "silu", eps));
  }
}

SeparableConv2d::SeparableConv2d(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding)
    : Module("SeparableConv2d") {
  conv1 = add_module("conv1", std::make_shared<Conv2d>(in, in, k, stride, padding, 1, in, false));
  pointwise = add_module("pointwise", std::make_shared<Conv2d>(in, out, 1, 1, 0, 1, 1, false));
}

XceptionBlock::XceptionBlock(int64_t in, int64_t out, int64_t reps, int64_t stride, bool start_with_relu,
                             bool grow_first)
    : Module("XceptionBlock") {
  rep = add_module("rep", std::make_shared<Sequential>());
  for (int64_t i = 0; i < reps; ++i) {
    const int64_t a = grow_first ? (i == 0 ? in : out) : in;
    const int64_t b = grow_first ? out : (i < reps - 1 ? in : out);
    if (i > 0 || start_with_relu) rep->push(make_relu());
    rep->push(std::make_shared<SeparableConv2d>(a, b, 3, 1, 1));
    rep->push(std::make_shared<BatchNorm>(b));
  }
  if (stride != 1) {
    MaxPool2dOptions p;
    p.kernel = 3, p.stride = Hw(stride), p.padding = 1;
    rep->push(std::make_shared<MaxPool2d>(p));
  }
  if (out != in || stride != 1) {
    skip = add_module("skip", std::make_shared<Conv2d>(in, out, 1, stride, 0, 1, 1, false));
    skipbn = add_module("skipbn", std::make_shared<BatchNorm>(out));
  }
}

Tensor XceptionBlock::forward(const Tensor& x) {
  const Tensor y = (*rep)(x);
  return y + (skip ? (*skipbn)((*skip)(x)) : x);
}

}  // namespace easel
