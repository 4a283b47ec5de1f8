// Xception (Chollet 2017) with timm's legacy_xception structure and keys (the Keras port):
// entry conv 3→32 /2 (no padding), conv 32→64 (no padding), blocks 1–3 (128, 256, 728, each /2),
// middle blocks 4–11 (728, three separable convs each), block 12 (728→1024 /2), separable convs to
// 1536 and 2048, global average pool, fc.
#include <cmath>

#include "layers/init.h"
#include "nets/net.h"

namespace easel {

namespace {

class Xception : public Net {
 public:
  explicit Xception(int64_t classes) : Net("Xception", classes) {
    add_module("conv1", std::make_shared<Conv2d>(3, 32, 3, 2, 0, 1, 1, false));
    add_module("bn1", std::make_shared<BatchNorm>(32));
    add_module("conv2", std::make_shared<Conv2d>(32, 64, 3, 1, 0, 1, 1, false));
    add_module("bn2", std::make_shared<BatchNorm>(64));
    add_module("block1", std::make_shared<XceptionBlock>(64, 128, 2, 2, false, true));
    add_module("block2", std::make_shared<XceptionBlock>(128, 256, 2, 2, true, true));
    add_module("block3", std::make_shared<XceptionBlock>(256, 728, 2, 2, true, true));
    for (int i = 4; i <= 11; ++i)
      add_module("block" + std::to_string(i), std::make_shared<XceptionBlock>(728, 728, 3, 1, true, true));
    add_module("block12", std::make_shared<XceptionBlock>(728, 1024, 2, 2, true, false));
    add_module("conv3", std::make_shared<SeparableConv2d>(1024, 1536, 3, 1, 1));
    add_module("bn3", std::make_shared<BatchNorm>(1536));
    add_module("conv4", std::make_shared<SeparableConv2d>(1536, 2048, 3, 1, 1));
    add_module("bn4", std::make_shared<BatchNorm>(2048));
    add_module("fc", std::make_shared<Linear>(2048, classes));
    // timm's init: conv kaiming_normal(fan_out, relu); BN 1 / 0.
    for (auto& [name, m] : named_modules())
      if (auto* c = dynamic_cast<Conv2d*>(m)) init::kaiming_normal_fan_out_(c->weight);
    head_path = "fc";
    last_conv_path = "bn4";
    embedding_size = 2048;
  }
  Tensor embed(const Tensor& x) override {
    auto bn_relu = [this](const char* bn, const Tensor& t) { return dynamic_cast<BatchNorm&>(at(bn)).forward_relu(t); };
    Tensor h = bn_relu("bn1", at("conv1")(x));
    h = bn_relu("bn2", at("conv2")(h));
    for (int i = 1; i <= 12; ++i) h = at("block" + std::to_string(i))(h);
    h = bn_relu("bn3", at("conv3")(h));
    h = bn_relu("bn4", at("conv4")(h));
    return adaptive_avg_pool2d(h, 1).flatten(1);
  }
};

}  // namespace

std::shared_ptr<Net> make_xception(int64_t classes) { return std::make_shared<Xception>(classes); }

}  // namespace easel
