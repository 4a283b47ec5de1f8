#include "nets/net.h"

namespace easel {

const std::vector<NetInfo>& net_registry() {
  static const std::vector<NetInfo> reg = {
      {"vgg16", "VGG-16 (torchvision)", [](int64_t c) { return make_vgg(16, false, c); }},
      {"vgg16_bn", "VGG-16 with batch norm (torchvision)", [](int64_t c) { return make_vgg(16, true, c); }},
      {"vgg19", "VGG-19 (torchvision)", [](int64_t c) { return make_vgg(19, false, c); }},
      {"vgg19_bn", "VGG-19 with batch norm (torchvision)", [](int64_t c) { return make_vgg(19, true, c); }},
      {"vgg16_gap", "VGG-16 features, global average pooling + one Linear (pose seed)",
       [](int64_t c) { return make_vgg(16, false, c, true); }},
      {"vgg19_gap", "VGG-19 features, global average pooling + one Linear", [](int64_t c) { return make_vgg(19, false, c, true); }},
      {"resnet18", "ResNet-18 (torchvision)", [](int64_t c) { return make_resnet(18, c); }},
      {"resnet34", "ResNet-34 (torchvision)", [](int64_t c) { return make_resnet(34, c); }},
      {"resnet50", "ResNet-50 v1.5 (torchvision)", [](int64_t c) { return make_resnet(50, c); }},
      {"resnet101", "ResNet-101 v1.5 (torchvision)", [](int64_t c) { return make_resnet(101, c); }},
      {"efficientnet_b0", "EfficientNet-B0 (torchvision)", [](int64_t c) { return make_efficientnet_b0(c); }},
      {"efficientnet_v2_s", "EfficientNetV2-S (torchvision)", [](int64_t c) { return make_efficientnet_v2_s(c); }},
      {"xception", "Xception (timm legacy_xception / Keras)", [](int64_t c) { return make_xception(c); }},
      {"recurrent_cnn", "conv + BiLSTM RecurrentCNN (style seed)", [](int64_t c) { return make_recurrent_cnn(c); }},
      {"effnet_lstm", "EfficientNet-B0 + 2-layer BiLSTM (style seed)", [](int64_t c) { return make_effnet_lstm(c); }},
      {"two_branch_resnet50", "global + central-patch ResNet50, concatenated (abstract seed)",
       [](int64_t c) { return make_two_branch_resnet50(c, false); }},
      {"two_branch_resnet50_fusion", "two-branch ResNet50 with a dense fusion head (abstract seed)",
       [](int64_t c) { return make_two_branch_resnet50(c, true); }},
  };
  return reg;
}

std::shared_ptr<Net> create_net(const std::string& name, int64_t num_classes) {
  EASEL_CHECK(num_classes > 0, "create_net(", name, "): num_classes must be positive, got ", num_classes);
  std::string names;
  for (const NetInfo& n : net_registry()) {
    if (n.name == name) return n.create(num_classes);
    names += " " + n.name;
  }
  throw Error("unknown model '" + name + "'; available:" + names);
}

}  // namespace easel
