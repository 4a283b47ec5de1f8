// Class activation maps on any named layer of a net (default: its last conv block):
//   gradcam    w_k = mean_ij ∂y_c/∂A_k(i,j);                 map = ReLU(Σ_k w_k A_k)
//   gradcam++  w_k = Σ_ij α_k(i,j)·ReLU(∂y_c/∂A_k(i,j)),  α = g² / (2g² + Σ_ij A_k · g³)  (Chattopadhyay et al.)
//   eigencam   map = projection of the (centred) activations on their first principal component
// Maps are min-max scaled to [0, 1]. On the two-branch nets a layer of `patch_branch` maps onto
// the central crop of the image.
#pragma once
#include <string>
#include <vector>

#include "nets/net.h"

namespace easel {

struct Cam {
  Tensor map;    // [h, w] at the layer's resolution, in [0, 1]
  Tensor image;  // [H, W]: the map placed on the input image (bilinear, patch branch centred)
  int64_t cls = 0;
  double probability = 0;
};

// x: one preprocessed image [1, 3, H, W]. cls < 0: the predicted class.
Cam compute_cam(Net& net, const Tensor& x, const std::string& layer, const std::string& method, int64_t cls = -1);

// The deepest top-level block whose maps are still at least `min_side` pixels on each side (worth looking at).
std::string feature_map_layer(Net& net, const Tensor& x, int64_t min_side = 8);
// The `top` channels of `layer`'s output (default: the last conv block) with the largest mean
// activation, strongest first, each min-max scaled to [0, 1]. x: [1, 3, H, W].
struct FeatureMaps {
  std::string layer;
  int64_t channels = 0, height = 0, width = 0;  // of the layer's output
  std::vector<int64_t> channel;                 // which channels, strongest first
  std::vector<double> strength;                 // their mean activations
  std::vector<Tensor> maps;                     // [h, w] each
};
FeatureMaps strongest_feature_maps(Net& net, const Tensor& x, const std::string& layer = "", int64_t top = 15);

}  // namespace easel
