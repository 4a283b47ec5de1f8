// An SVM head on extracted features, on libsvm: one binary C-SVC per class (one-vs-rest, as the
// VGG19+SVM seed did); a sample's class scores are the C decision values, ranked for top-1/top-5.
//   kernels  linear  u·v        poly  (γ u·v + r)^d        rbf  exp(-γ |u - v|²)       sigmoid  tanh(γ u·v + r)
// Features are standardised with the training set's mean and standard deviation first (unless
// `standardize` is off, as the VGG19+SVM seed's raw features with γ = 1e-4), so γ = 1/D (the
// default) is the natural scale. grid_search() runs stratified k-fold cross-validation over
// C × γ (in parallel) and keeps the most accurate pair, ties going to the smaller C, then the smaller γ.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "io/json.h"
#include "apps/analysis/metrics.h"
#include "tensor/tensor.h"

namespace easel {

struct SvmParams {
  std::string kernel = "rbf";  // linear | poly | rbf | sigmoid
  double C = 1;
  double gamma = 0;            // 0: 1 / feature dimension
  double coef0 = 0;            // r for poly and sigmoid
  int degree = 3;
  bool balanced = false;       // weight each binary problem's positives by negatives / positives
  bool standardize = true;     // zero mean, unit variance per feature (the training rows'); off: raw features
};

class OneVsRestSvm {
 public:
  OneVsRestSvm();
  ~OneVsRestSvm();
  OneVsRestSvm(OneVsRestSvm&&) noexcept;
  OneVsRestSvm& operator=(OneVsRestSvm&&) noexcept;

  // X: [N, D] features; labels in [0, classes).
  void fit(const Tensor& X, const std::vector<int64_t>& labels, int64_t classes, const SvmParams& p);
  // [N][classes] decision values: > 0 means "this class" for that class's binary SVM.
  std::vector<std::vector<double>> decision(const Tensor& X) const;
  std::vector<int64_t> predict(const Tensor& X) const;

  // DIR/svm.json (parameters, dimension, `extra`), DIR/scaler.npz, DIR/class_<k>.model (libsvm's text format).
  void save(const std::string& dir, const Json& extra) const;
  static OneVsRestSvm load(const std::string& dir, Json* meta = nullptr);

  const SvmParams& params() const { return params_; }
  int64_t classes() const { return int64_t(models_.size()); }
  int64_t dims() const { return int64_t(mean_.size()); }
  int64_t support_vectors() const;

 private:
  SvmParams params_;
  std::shared_ptr<void> nodes_;  // the training rows: libsvm's freshly trained models point into them
  std::vector<double> mean_, inv_std_;
  std::vector<void*> models_;  // svm_model*, one per class
};

// Metrics of a one-vs-rest head from its decision values: classes by the largest value, top-5 by
// rank, ROC / AUC per class from the raw values; the softmax of the values stands in for
// probabilities (so log loss is reported as NaN: it is not defined for an SVM).
Metrics svm_metrics(const std::vector<std::vector<double>>& decision, const std::vector<int64_t>& labels, int64_t classes);

struct GridCell {
  double C, gamma, accuracy;  // mean accuracy over the folds
};
struct GridResult {
  std::vector<GridCell> cells;
  SvmParams best;
  double best_accuracy = 0;
};
// Stratified `folds`-fold cross-validation of every (C, γ) pair; γ is ignored by the linear kernel.
GridResult grid_search(const Tensor& X, const std::vector<int64_t>& labels, int64_t classes, SvmParams base,
                       const std::vector<double>& Cs, const std::vector<double>& gammas, int folds, uint64_t seed = 0);
double cross_validate(const Tensor& X, const std::vector<int64_t>& labels, int64_t classes, const SvmParams& p,
                      int folds, uint64_t seed = 0);

}  // namespace easel
