// VGG 16/19 with and without batch norm, as torchvision: features (conv 3×3 p1 [+BN] + ReLU,
// max-pool 2×2 between stages), avgpool to 7×7, classifier 25088 → 4096 → 4096 → classes.
// The GAP head (the pose seed's Keras VGG16: GlobalAveragePooling2D + one Dense layer) replaces
// avgpool + classifier by the mean over the last feature map and fc = Linear(512, classes).
#include "layers/init.h"
#include "nets/net.h"

namespace easel {

namespace {

class VGG : public Net {
 public:
  VGG(int depth, bool bn, bool gap, int64_t classes) : Net(bn ? "VGG-BN" : "VGG", classes) {
    const int convs_per_stage[2][5] = {{2, 2, 3, 3, 3}, {2, 2, 4, 4, 4}};  // VGG16 (D), VGG19 (E)
    const int64_t widths[5] = {64, 128, 256, 512, 512};
    features = add_module("features", std::make_shared<Sequential>());
    int64_t in = 3;
    for (int s = 0; s < 5; ++s) {
      for (int i = 0; i < convs_per_stage[depth == 19][s]; ++i) {
        auto conv = features->push(std::make_shared<Conv2d>(in, widths[s], 3, 1, 1));
        init::kaiming_normal_fan_out_(conv->weight);
        init::constant_(conv->bias, 0);
        if (bn) features->push(std::make_shared<BatchNorm>(widths[s]));
        features->push(make_relu());
        last_conv_path = "features." + std::to_string(features->size() - 1);  // the ReLU after the last conv
        in = widths[s];
      }
      MaxPool2dOptions p;
      p.kernel = 2;
      features->push(std::make_shared<MaxPool2d>(p));
    }
    if (gap) {
      add_module("fc", std::make_shared<Linear>(512, classes));
      head_path = "fc";
      embedding_size = 512;
      return;
    }
    avgpool = add_module("avgpool", std::make_shared<AdaptiveAvgPool2d>(7));
    classifier = add_module("classifier", std::make_shared<Sequential>());
    auto fc = [&](int64_t in_f, int64_t out_f) {  // torchvision's init: N(0, 0.01), bias 0
      auto l = classifier->push(std::make_shared<Linear>(in_f, out_f));
      init::normal_(l->weight, 0, 0.01);
      init::constant_(l->bias, 0);
    };
    fc(512 * 7 * 7, 4096);
    classifier->push(make_relu());
    classifier->push(std::make_shared<Dropout>(0.5));
    fc(4096, 4096);
    classifier->push(make_relu());
    classifier->push(std::make_shared<Dropout>(0.5));
    fc(4096, classes);
    head_path = "classifier.6";
    embedding_size = 4096;
  }
  Tensor embed(const Tensor& x) override {
    if (!classifier) return mean((*features)(x), {2, 3});  // global average pooling: [N, 512]
    return classifier->forward_range((*avgpool)((*features)(x)).flatten(1), 0, 6);
  }
  std::shared_ptr<Sequential> features, classifier;
  std::shared_ptr<AdaptiveAvgPool2d> avgpool;
};

}  // namespace

std::shared_ptr<Net> make_vgg(int depth, bool bn, int64_t classes, bool gap_head) {
  EASEL_CHECK(depth == 16 || depth == 19, "VGG depth must be 16 or 19, got ", depth);
  return std::make_shared<VGG>(depth, bn, gap_head, classes);
}

}  // namespace easel
