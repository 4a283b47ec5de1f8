// What each branch of a two-branch net (global image + central patch, nets/two_branch.cpp)
// contributes, measured three ways on a set of images:
//   ablation      accuracy with the other branch's features zeroed before the head (and with both)
//   feature norm  mean L2 norm of each branch's 2048 pooled features
//   weight norm   Frobenius norm of the head's first Linear restricted to each branch's input columns;
//                 per class too when that Linear is the classifier (row c: ‖W_c,global‖, ‖W_c,patch‖)
#pragma once
#include <string>
#include <vector>

#include "io/json.h"
#include "io/loader.h"
#include "nets/net.h"

namespace easel {

struct BranchStats {
  int64_t images = 0;
  double accuracy_both = 0, accuracy_global_only = 0, accuracy_patch_only = 0;
  double feature_norm_global = 0, feature_norm_patch = 0;
  double weight_norm_global = 0, weight_norm_patch = 0;
  std::vector<double> class_weight_norm_global, class_weight_norm_patch;  // empty with a fusion head
  Json to_json() const;
};

bool is_two_branch(const Net& net);  // has global_branch and patch_branch

class BranchAnalysis {
 public:
  explicit BranchAnalysis(Net& net);  // errors unless is_two_branch(net)
  void add(const Tensor& images, const std::vector<int64_t>& labels);  // one batch, eval mode, no grad
  void add(DataLoader& loader);                                        // every batch it yields
  BranchStats result() const;

 private:
  Net& net_;
  Module* head_;
  BranchStats sums_;
};

}  // namespace easel
