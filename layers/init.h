// Weight initialisations, as PyTorch defines them (drawn from Easel's seeded global generator).
#pragma once
#include "tensor/tensor.h"

namespace easel::init {

// While one is alive (on this thread) uniform_ and normal_ draw nothing and leave the tensor as it
// is: for a net whose every weight is loaded from a file next (load_run), the draws are wasted —
// a third of `easel predict`'s start-up on resnet18. The global generator is not advanced.
struct SkipRandomInit {
  SkipRandomInit();
  ~SkipRandomInit();
  SkipRandomInit(const SkipRandomInit&) = delete;
  SkipRandomInit& operator=(const SkipRandomInit&) = delete;

 private:
  bool previous_;
};

int64_t fan_in(const Tensor& w);   // in_features, or in_channels/groups · kh · kw
int64_t fan_out(const Tensor& w);  // out_features, or out_channels · kh · kw
void uniform_(Tensor& t, double lo, double hi);
void normal_(Tensor& t, double mean, double std);
void constant_(Tensor& t, double v);
// nn.Conv2d / nn.Linear default: U(±1/√fan_in) (kaiming_uniform with a = √5).
void default_uniform_(Tensor& w, int64_t fan_in);
// kaiming_normal_(mode="fan_out", nonlinearity="relu"): N(0, √(2/fan_out)), as torchvision's ResNet/VGG.
void kaiming_normal_fan_out_(Tensor& w);

}  // namespace easel::init
