// From a decoded image to a network input: geometry (resize + crop or pad), augmentations, and the
// preprocessing preset the weights expect.
//
// Presets:  imagenet  RGB in [0, 1], minus mean (0.485, 0.456, 0.406), over std (0.229, 0.224, 0.225)
//           caffe     BGR in [0, 255] minus (103.939, 116.779, 123.68) (Keras VGG16 / ResNet50)
//           tf        RGB scaled to [-1, 1] (Keras Xception)
// Augmentations, written "hflip,crop,rotate=10,noise=0.1,blur=7:2,sharpen=1,contrast=0.2,
// brightness=0.2,saturation=0.2":
//   hflip       mirror with probability 1/2            crop        random resized crop, area 50–100 %
//   crop=LO-HI[:RLO-RHI]  random resized crop, area in [LO, HI], aspect w/h in [RLO, RHI] (3/4–4/3)
//   rotate=D    uniform angle in [-D, D] degrees        noise=S     Gaussian noise σ = S (on [0, 1])
//   blur=K:S    Gaussian blur, kernel K, σ = S          sharpen=A   unsharp mask of amount A, p = 1/2
//   contrast=X, brightness=X, saturation=X              factor uniform in [1 - X, 1 + X]
//   hue=X       hue turned by a uniform share in [-X, X] of a full turn (X <= 0.5)
//   jitter=X or jitter=B:C:S[:H]   torchvision's ColorJitter(B, C, S, H): factors uniform in
//               [max(0, 1 - X), 1 + X] (hue: a shift in [-H, H]), in a random order; jitter=X sets
//               brightness, contrast and saturation to X (as timm's color_jitter), hue 0
// Noise and blur are the ones that also make sense at evaluation time (--eval-aug).
#pragma once
#include <string>

#include "tensor/tensor.h"

namespace easel {

class Generator;

struct Augment {
  bool hflip = false, crop = false;
  double crop_lo = 0.5, crop_hi = 1, ratio_lo = 3.0 / 4, ratio_hi = 4.0 / 3;  // with crop
  double rotate = 0, noise = 0, sharpen = 0, contrast = 0, brightness = 0, saturation = 0, hue = 0;
  double jitter[4] = {0, 0, 0, 0};  // ColorJitter's brightness, contrast, saturation, hue
  int64_t blur_kernel = 0;
  double blur_sigma = 0;
  static Augment parse(const std::string& spec);  // "" = none; errors name the bad item
  std::string str() const;
  bool any() const;
};

struct Preprocess {
  std::string preset = "imagenet";  // imagenet | caffe | tf | unit ([0, 1] as decoded)
  int64_t size = 224;
  bool pad = false;  // true: pad to square then resize; false: resize the shorter side, centre crop
  bool grayscale = false;  // luminance (0.299 R + 0.587 G + 0.114 B, as PIL's "L") in all three channels
};

Tensor normalize(const Tensor& img, const std::string& preset);  // [3, H, W] in [0, 1] -> network input
Tensor to_grayscale(const Tensor& img);  // [3, H, W] -> [3, H, W], each channel the luminance
Tensor denormalize(const Tensor& x, const std::string& preset);  // back to [0, 1] RGB, for pictures

// ColorJitter: amount = {brightness, contrast, saturation, hue}, in a random order.
Tensor color_jitter(const Tensor& img, const double amount[4], Generator& g);

// Geometry, then (when `aug` is given) augmentations drawn from `g`, then the preset.
Tensor prepare_image(const Tensor& img, const Preprocess& pre, const Augment* aug, Generator& g);

}  // namespace easel
