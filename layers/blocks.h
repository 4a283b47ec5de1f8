// The building blocks of the model zoo, each with torchvision's / timm's member names so that
// their parameters get the same state_dict keys.
#pragma once
#include "layers/basic.h"

namespace easel {

// torchvision's Conv2dNormActivation: Sequential(0: Conv2d (no bias), 1: BatchNorm2d, 2: activation),
// padding (k-1)/2 ("same" for odd k). activation "" leaves out the third module.
std::shared_ptr<Sequential> conv_norm_act(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t groups = 1,
                                          const std::string& activation = "relu", double bn_eps = 1e-5);

// x · σ(fc2(act(fc1(avgpool(x)))))  — fc1/fc2 are 1×1 convolutions with bias.
class SqueezeExcitation : public Module {
 public:
  SqueezeExcitation(int64_t channels, int64_t squeeze, const std::string& activation = "relu");
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Conv2d> fc1, fc2;
  std::shared_ptr<Module> activation;
};

// ResNet's two 3×3 convs (expansion 1); downsample = 1×1 conv + BN when the shape changes.
class BasicBlock : public Module {
 public:
  BasicBlock(int64_t in, int64_t planes, int64_t stride);
  Tensor forward(const Tensor& x) override;
  static constexpr int64_t expansion = 1;
  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<BatchNorm> bn1, bn2;
  std::shared_ptr<Sequential> downsample;  // null when the identity fits
};

// ResNet v1.5 bottleneck: 1×1 → 3×3 (stride here) → 1×1 ×4.
class Bottleneck : public Module {
 public:
  Bottleneck(int64_t in, int64_t planes, int64_t stride);
  Tensor forward(const Tensor& x) override;
  static constexpr int64_t expansion = 4;
  std::shared_ptr<Conv2d> conv1, conv2, conv3;
  std::shared_ptr<BatchNorm> bn1, bn2, bn3;
  std::shared_ptr<Sequential> downsample;
};

// The residual shape shared by MBConv and FusedMBConv: y = block(x), plus x through stochastic
// depth when stride 1 and in == out. The subclasses only fill `block`.
class InvertedResidual : public Module {
 public:
  InvertedResidual(std::string type, int64_t in, int64_t out, int64_t stride, double sd_prob);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Sequential> block;
  std::shared_ptr<StochasticDepth> stochastic_depth;
  bool use_res;
};

// EfficientNet's inverted residual: [1×1 expand] → k×k depthwise → SE → 1×1 project, SiLU.
class MBConv : public InvertedResidual {
 public:
  MBConv(int64_t in, int64_t out, int64_t expand_ratio, int64_t kernel, int64_t stride, double sd_prob,
         double bn_eps);
};

// EfficientNetV2's fused block: k×k expand conv (→ 1×1 project when expanded).
class FusedMBConv : public InvertedResidual {
 public:
  FusedMBConv(int64_t in, int64_t out, int64_t expand_ratio, int64_t kernel, int64_t stride, double sd_prob,
              double bn_eps);
};

// Xception's separable convolution: depthwise k×k ("conv1") then pointwise 1×1, both without bias.
class SeparableConv2d : public Module {
 public:
  SeparableConv2d(int64_t in, int64_t out, int64_t k = 3, int64_t stride = 1, int64_t padding = 1);
  Tensor forward(const Tensor& x) override { return (*pointwise)((*conv1)(x)); }
  std::shared_ptr<Conv2d> conv1, pointwise;
};

// Xception's block (timm legacy_xception): rep = [ReLU, SepConv, BN] × reps (+ 3×3/2 max-pool when
// strided), plus a skip path (1×1 strided conv + BN when the shape changes).
class XceptionBlock : public Module {
 public:
  XceptionBlock(int64_t in, int64_t out, int64_t reps, int64_t stride, bool start_with_relu, bool grow_first);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Sequential> rep;
  std::shared_ptr<Conv2d> skip;
  std::shared_ptr<BatchNorm> skipbn;
};

}  // namespace easel
