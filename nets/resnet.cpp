// ResNet 18/34 (BasicBlock) and 50/101 (Bottleneck, v1.5: stride on the 3×3), as torchvision:
// conv1 7×7/2, bn1, relu, maxpool 3×3/2, layer1..4, avgpool, fc.
#include "layers/init.h"
#include "nets/net.h"

namespace easel {

namespace {

struct ResNetSpec {
  bool bottleneck;
  int blocks[4];
};

ResNetSpec spec(int depth) {
  switch (depth) {
    case 18: return {false, {2, 2, 2, 2}};
    case 34: return {false, {3, 4, 6, 3}};
    case 50: return {true, {3, 4, 6, 3}};
    case 101: return {true, {3, 4, 23, 3}};
  }
  throw Error("ResNet depth must be 18, 34, 50 or 101, got " + std::to_string(depth));
}

}  // namespace

// Members are registered on the owner passed in, so that keys are "conv1.weight", "layer1.0...".
static void build_resnet(Module& owner, int depth, std::function<void(const std::string&, std::shared_ptr<Module>)> add,
                         int64_t* out_features) {
  const ResNetSpec s = spec(depth);
  add("conv1", std::make_shared<Conv2d>(3, 64, 7, 2, 3, 1, 1, false));
  add("bn1", std::make_shared<BatchNorm>(64));
  add("relu", make_relu());
  MaxPool2dOptions p;
  p.kernel = 3, p.stride = Hw(2), p.padding = 1;
  add("maxpool", std::make_shared<MaxPool2d>(p));
  int64_t in = 64;
  for (int l = 0; l < 4; ++l) {
    auto layer = std::make_shared<Sequential>();
    const int64_t planes = 64 << l;
    for (int b = 0; b < s.blocks[l]; ++b) {
      const int64_t stride = b == 0 && l > 0 ? 2 : 1;
      if (s.bottleneck) {
        layer->push(std::make_shared<Bottleneck>(in, planes, stride));
        in = planes * Bottleneck::expansion;
      } else {
        layer->push(std::make_shared<BasicBlock>(in, planes, stride));
        in = planes;
      }
    }
    add("layer" + std::to_string(l + 1), layer);
  }
  add("avgpool", std::make_shared<AdaptiveAvgPool2d>(1));
  *out_features = in;
  // torchvision's init: conv kaiming_normal(fan_out), BN weight 1 / bias 0 (already the defaults).
  for (auto& [name, m] : owner.named_modules())
    if (auto* c = dynamic_cast<Conv2d*>(m)) init::kaiming_normal_fan_out_(c->weight);
}

// stem, layer1..4, global pool, flattened — on any module built by build_resnet.
static Tensor run_trunk(const Module& m, const Tensor& x) {
  Tensor h = m.at("maxpool")(m.at("relu")(m.at("bn1")(m.at("conv1")(x))));
  for (const char* l : {"layer1", "layer2", "layer3", "layer4"}) h = m.at(l)(h);
  return m.at("avgpool")(h).flatten(1);
}

ResNetTrunk::ResNetTrunk(int depth) : Module("ResNetTrunk") {
  build_resnet(*this, depth, [this](const std::string& n, std::shared_ptr<Module> m) { add_module(n, m); },
               &out_features);
}

Tensor ResNetTrunk::forward(const Tensor& x) { return run_trunk(*this, x); }

namespace {

class ResNet : public Net {
 public:
  ResNet(int depth, int64_t classes) : Net("ResNet" + std::to_string(depth), classes) {
    build_resnet(*this, depth, [this](const std::string& n, std::shared_ptr<Module> m) { add_module(n, m); },
                 &embedding_size);
    add_module("fc", std::make_shared<Linear>(embedding_size, classes));
    head_path = "fc";
    last_conv_path = "layer4";
  }
  Tensor embed(const Tensor& x) override { return run_trunk(*this, x); }
};

}  // namespace

std::shared_ptr<Net> make_resnet(int depth, int64_t classes) { return std::make_shared<ResNet>(depth, classes); }

}  // namespace easel
