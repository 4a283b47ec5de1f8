// Inference over a data loader: what a trained net says about a set of images (eval mode, no grad).
#pragma once
#include <string>
#include <vector>

#include "apps/analysis/metrics.h"
#include "io/loader.h"
#include "nets/net.h"

namespace easel {

struct Outputs {
  Tensor embeddings;                        // [N, D]: the input of the final Linear, or the chosen layer's output
  std::vector<std::vector<double>> logits;  // rows of the final layer's output
  std::vector<std::vector<double>> probs;   // softmax rows
  std::vector<int64_t> labels;
  std::vector<size_t> indices;              // into the dataset
};
// Test-time augmentation. flip: each image and its mirror image both go through the net; the
// probabilities and embeddings are their means, the logits log(mean probability).
enum class Tta { none, flip };
Tta parse_tta(const std::string& spec);  // "none" or "flip"; anything else is an error naming it

// `layer`: take the embeddings from that module's output instead (global-average-pooled when it
// is a [N, C, h, w] map, flattened otherwise).
Outputs collect_outputs(Net& net, DataLoader& loader, const std::string& layer = "", Tta tta = Tta::none);

// Class probabilities for every image the loader yields, scored (eval mode, no grad).
Metrics evaluate(Net& net, DataLoader& loader, std::vector<std::vector<double>>* probs = nullptr,
                 std::vector<int64_t>* labels = nullptr, std::vector<size_t>* indices = nullptr, Tta tta = Tta::none);

}  // namespace easel
