#include "apps/analysis/branches.h"

#include <algorithm>
#include <cmath>

#include "autograd/node.h"

namespace easel {

bool is_two_branch(const Net& net) { return net.find("global_branch") && net.find("patch_branch"); }

BranchAnalysis::BranchAnalysis(Net& net) : net_(net) {
  EASEL_CHECK(is_two_branch(net), "branches: the ", net.type(), " net has no global_branch / patch_branch");
  head_ = net.find("head") ? net.find("head") : net.find("fc");
  EASEL_CHECK(head_, "branches: the net has neither a `head` nor an `fc` module");
  // The first Linear that reads the concatenated [global, patch] features.
  const Module* first = net.find("head") ? net.find("head.0") : head_;
  Tensor w;
  for (const auto& [name, t] : first->named_parameters())
    if (name == "weight") w = t;  // [out, 2 · F]
  EASEL_CHECK(w.defined() && w.dim() == 2, "branches: the head's first layer has no [out, in] weight");
  const int64_t F = w.size(1) / 2;
  NoGradGuard ng;
  sums_.weight_norm_global = std::sqrt(sum(w.slice(1, 0, F) * w.slice(1, 0, F)).item());
  sums_.weight_norm_patch = std::sqrt(sum(w.slice(1, F, 2 * F) * w.slice(1, F, 2 * F)).item());
  if (first == head_)  // the classifier itself: its rows are the classes
    for (int64_t c = 0; c < w.size(0); ++c) {
      const Tensor row = w.select(0, c);
      sums_.class_weight_norm_global.push_back(std::sqrt(sum(row.slice(0, 0, F) * row.slice(0, 0, F)).item()));
      sums_.class_weight_norm_patch.push_back(std::sqrt(sum(row.slice(0, F, 2 * F) * row.slice(0, F, 2 * F)).item()));
    }
}

void BranchAnalysis::add(const Tensor& images, const std::vector<int64_t>& labels) {
  net_.eval();
  NoGradGuard ng;
  FeatureCapture cap(net_, {"global_branch", "patch_branch"});
  net_(images);
  const Tensor g = cap.get("global_branch"), p = cap.get("patch_branch");
  auto accuracy = [&](const Tensor& gg, const Tensor& pp) {
    const std::vector<double> z = (*head_)(concat({gg, pp}, 1)).to_vector();
    const size_t C = z.size() / labels.size();
    int64_t right = 0;
    for (size_t i = 0; i < labels.size(); ++i)
      right += int64_t(std::max_element(z.begin() + long(i * C), z.begin() + long((i + 1) * C)) - z.begin() - long(i * C)) == labels[i];
    return double(right);
  };
  sums_.accuracy_both += accuracy(g, p);
  sums_.accuracy_global_only += accuracy(g, p * 0.0);
  sums_.accuracy_patch_only += accuracy(g * 0.0, p);
  sums_.feature_norm_global += sum(sqrt(sum(g * g, {1}))).item();
  sums_.feature_norm_patch += sum(sqrt(sum(p * p, {1}))).item();
  sums_.images += int64_t(labels.size());
}

void BranchAnalysis::add(DataLoader& loader) {
  loader.start_epoch(0);
  for (Batch b; loader.next(&b);) {
    std::vector<int64_t> labels;
    for (double v : b.labels.to_vector()) labels.push_back(int64_t(v));
    add(b.images, labels);
  }
}

BranchStats BranchAnalysis::result() const {
  BranchStats r = sums_;
  const double n = double(std::max<int64_t>(r.images, 1));
  r.accuracy_both /= n, r.accuracy_global_only /= n, r.accuracy_patch_only /= n;
  r.feature_norm_global /= n, r.feature_norm_patch /= n;
  return r;
}

Json BranchStats::to_json() const {
  Json j = Json::object();
  j.set("images", images);
  j.set("accuracy_both", accuracy_both);
  j.set("accuracy_global_only", accuracy_global_only);
  j.set("accuracy_patch_only", accuracy_patch_only);
  j.set("feature_norm_global", feature_norm_global);
  j.set("feature_norm_patch", feature_norm_patch);
  j.set("weight_norm_global", weight_norm_global);
  j.set("weight_norm_patch", weight_norm_patch);
  Json g = Json::array(), p = Json::array();
  for (double v : class_weight_norm_global) g.push(v);
  for (double v : class_weight_norm_patch) p.push(v);
  j.set("class_weight_norm_global", g);
  j.set("class_weight_norm_patch", p);
  return j;
}

}  // namespace easel
