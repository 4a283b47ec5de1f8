// EfficientNet-B0 and EfficientNetV2-S, as torchvision: features (stem conv, MBConv / FusedMBConv
// stages, 1×1 head conv to 1280), avgpool, classifier (Dropout 0.2, Linear). Stochastic depth grows
// linearly from 0 to 0.2 over the blocks.
#include <cmath>

#include "layers/init.h"
#include "nets/net.h"

namespace easel {

namespace {

struct Stage {
  bool fused;
  int64_t expand, kernel, stride, in, out, layers;
};

std::shared_ptr<Sequential> build_features(const std::vector<Stage>& stages, int64_t last_channel, double eps) {
  auto f = std::make_shared<Sequential>();
  f->push(conv_norm_act(3, stages[0].in, 3, 2, 1, "silu", eps));
  int64_t total = 0, id = 0;
  for (const Stage& s : stages) total += s.layers;
  for (const Stage& s : stages) {
    auto stage = std::make_shared<Sequential>();
    for (int64_t i = 0; i < s.layers; ++i, ++id) {
      const int64_t in = i == 0 ? s.in : s.out, stride = i == 0 ? s.stride : 1;
      const double sd = 0.2 * double(id) / double(total);
      if (s.fused) stage->push(std::make_shared<FusedMBConv>(in, s.out, s.expand, s.kernel, stride, sd, eps));
      else stage->push(std::make_shared<MBConv>(in, s.out, s.expand, s.kernel, stride, sd, eps));
    }
    f->push(stage);
  }
  f->push(conv_norm_act(stages.back().out, last_channel, 1, 1, 1, "silu", eps));
  // torchvision's init: conv kaiming_normal(fan_out), bias 0; BN 1 / 0.
  for (auto& [name, m] : f->named_modules())
    if (auto* c = dynamic_cast<Conv2d*>(m)) {
      init::kaiming_normal_fan_out_(c->weight);
      if (c->bias.defined()) init::constant_(c->bias, 0);
    }
  return f;
}

const std::vector<Stage> kB0 = {{false, 1, 3, 1, 32, 16, 1},  {false, 6, 3, 2, 16, 24, 2},  {false, 6, 5, 2, 24, 40, 2},
                                {false, 6, 3, 2, 40, 80, 3},  {false, 6, 5, 1, 80, 112, 3}, {false, 6, 5, 2, 112, 192, 4},
                                {false, 6, 3, 1, 192, 320, 1}};
const std::vector<Stage> kV2S = {{true, 1, 3, 1, 24, 24, 2},   {true, 4, 3, 2, 24, 48, 4},     {true, 4, 3, 2, 48, 64, 4},
                                 {false, 4, 3, 2, 64, 128, 6}, {false, 6, 3, 1, 128, 160, 9}, {false, 6, 3, 2, 160, 256, 15}};

class EfficientNet : public Net {
 public:
  EfficientNet(const std::string& type, std::shared_ptr<Sequential> feats, int64_t classes) : Net(type, classes) {
    features = add_module("features", std::move(feats));
    add_module("avgpool", std::make_shared<AdaptiveAvgPool2d>(1));
    classifier = add_module("classifier", std::make_shared<Sequential>());
    classifier->push(std::make_shared<Dropout>(0.2));
    auto fc = classifier->push(std::make_shared<Linear>(1280, classes));
    const double r = 1.0 / std::sqrt(double(classes));  // torchvision: U(±1/√out), bias 0
    init::uniform_(fc->weight, -r, r);
    init::constant_(fc->bias, 0);
    head_path = "classifier.1";
    last_conv_path = "features." + std::to_string(features->size() - 1);
    embedding_size = 1280;
  }
  // The dropout before the head is part of the classifier (applied in forward, not in embed).
  Tensor embed(const Tensor& x) override { return at("avgpool")((*features)(x)).flatten(1); }
  Tensor forward(const Tensor& x) override { return (*classifier)(embed(x)); }
  std::shared_ptr<Sequential> features, classifier;
};

}  // namespace

std::shared_ptr<Sequential> efficientnet_b0_features() { return build_features(kB0, 1280, 1e-5); }

std::shared_ptr<Net> make_efficientnet_b0(int64_t classes) {
  return std::make_shared<EfficientNet>("EfficientNet-B0", efficientnet_b0_features(), classes);
}

std::shared_ptr<Net> make_efficientnet_v2_s(int64_t classes) {
  return std::make_shared<EfficientNet>("EfficientNetV2-S", build_features(kV2S, 1280, 1e-3), classes);
}

}  // namespace easel
