// Classification metrics with scikit-learn's definitions. Classes are 0..C-1; a class that never
// occurs and is never predicted gets precision = recall = F1 = 0 (sklearn's zero_division=0) and
// still counts in the macro average (as sklearn with labels=range(C)).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/json.h"

namespace easel {

struct RocCurve {
  std::vector<double> fpr, tpr, thresholds;  // from (0, 0) upward, as sklearn.metrics.roc_curve (no dropping)
  double auc = 0;                            // trapezoidal area; NaN when only one class is present
};

struct Metrics {
  int64_t n = 0, classes = 0;
  double accuracy = 0, top5 = 0, log_loss = 0;
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
  std::vector<double> precision, recall, f1;
  std::vector<int64_t> support;
  std::vector<double> top5_per_class;  // share of class c's images whose label is among the 5 highest scores
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;
  double weighted_precision = 0, weighted_recall = 0, weighted_f1 = 0;
  std::vector<RocCurve> roc;  // one-vs-rest, per class
  RocCurve roc_micro;          // over every (image, class) pair
  RocCurve roc_macro;          // sklearn's macro curve: each defined class's TPR interpolated on the
                               // union of their FPRs, averaged; its auc is that curve's area
  double auc_macro = 0;       // mean of the per-class AUCs that are defined
  Json json() const;            // every field; undefined values (NaN) as null
  std::string to_json() const;  // json().dump()
};

// probs: n rows of C class probabilities (rows summing to 1); labels in [0, C).
Metrics compute_metrics(const std::vector<std::vector<double>>& probs, const std::vector<int64_t>& labels);

// The summary line, the per-class table and the confusion matrix, as `easel eval` prints them.
std::string format_metrics(const Metrics& m, const std::vector<std::string>& classes);

double top_k_accuracy(const std::vector<std::vector<double>>& scores, const std::vector<int64_t>& labels, int k);

// Zero-shot scores of a task from a net trained on other classes (the VGG19 seed's ImageNet-head
// baseline): target class c gets the sum of the probabilities of its source classes sources[c],
//   q_c = Σ_{s ∈ sources[c]} p_s / Σ_c' Σ_{s ∈ sources[c']} p_s     (rows renormalised over the targets)
// A row whose mapped mass is 0 gets the uniform distribution.
std::vector<std::vector<double>> pool_class_probabilities(const std::vector<std::vector<double>>& probs,
                                                          const std::vector<std::vector<int64_t>>& sources);
// Binary ROC: scores for the positive class, truth 1/0.
RocCurve roc_curve(const std::vector<double>& scores, const std::vector<int>& positive);

}  // namespace easel
