// The two-branch ResNet50 of the abstract-vs-figurative seed: a global branch sees the whole image,
// a patch branch the central crop of side H/2 × W/2 (top-left corner at ((H - H/2)/2, (W - W/2)/2),
// no resize); each is a ResNet50 trunk giving 2048 pooled features; the head classifies their
// concatenation [global, patch] (4096). Plain: fc = Linear(4096, classes). Dense fusion:
// head = Linear(4096, 512), ReLU, Dropout 0.5, Linear(512, classes).
#include "nets/net.h"

namespace easel {

namespace {

class TwoBranchResNet50 : public Net {
 public:
  TwoBranchResNet50(int64_t classes, bool fusion) : Net(fusion ? "TwoBranchResNet50Fusion" : "TwoBranchResNet50", classes) {
    global_ = add_module("global_branch", std::make_shared<ResNetTrunk>(50));
    patch_ = add_module("patch_branch", std::make_shared<ResNetTrunk>(50));
    if (fusion) {
      head = add_module("head", std::make_shared<Sequential>());
      head->push(std::make_shared<Linear>(4096, 512));
      head->push(make_relu());
      head->push(std::make_shared<Dropout>(0.5));
      head->push(std::make_shared<Linear>(512, classes));
      head_path = "head.3";
      embedding_size = 512;
    } else {
      add_module("fc", std::make_shared<Linear>(4096, classes));
      head_path = "fc";
      embedding_size = 4096;
    }
    last_conv_path = "global_branch.layer4";
    backbone_paths = {"global_branch", "patch_branch"};
  }
  static Tensor center_crop_half(const Tensor& x) {
    const int64_t H = x.size(2), W = x.size(3), h = H / 2, w = W / 2, top = (H - h) / 2, left = (W - w) / 2;
    return x.slice(2, top, top + h).slice(3, left, left + w);
  }
  Tensor embed(const Tensor& x) override {
    const Tensor both = concat({(*global_)(x), (*patch_)(center_crop_half(x))}, 1);
    return head ? head->forward_range(both, 0, 3) : both;
  }
  std::shared_ptr<ResNetTrunk> global_, patch_;
  std::shared_ptr<Sequential> head;
};

}  // namespace

std::shared_ptr<Net> make_two_branch_resnet50(int64_t classes, bool fusion) {
  return std::make_shared<TwoBranchResNet50>(classes, fusion);
}

}  // namespace easel
