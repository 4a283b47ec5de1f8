// Finding suspicious samples (likely wrong labels, odd images) from a trained net's outputs:
//   confidence   1 - p(given label); flagged when the max softmax probability < threshold (0.5)
//   centroid     Euclidean distance from the sample's embedding to its labelled class's centroid
//   mahalanobis  √((x - μ_c)ᵀ Σ⁻¹ (x - μ_c)) with one covariance shared by all classes, shrunk
//                towards a multiple of the identity: Σ = (1-λ)·S + λ·(tr S / d)·I
// Higher scores are more suspicious for all three.
#pragma once
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace easel {

struct OutlierScores {
  std::vector<double> confidence, centroid, mahalanobis;
  std::vector<bool> low_confidence;  // max softmax < threshold
};

// embeddings [N, D]; probs: N rows of class probabilities; labels: the given labels.
OutlierScores outlier_scores(const Tensor& embeddings, const std::vector<std::vector<double>>& probs,
                             const std::vector<int64_t>& labels, double threshold = 0.5, double shrinkage = 0.1);

// How well a score's flags find known outliers (e.g. paintings known to be mis-assigned), the
// outlier seed's measure: with flagged rows F and known outliers K over N rows,
//   precision |F∩K|/|F|, recall |F∩K|/|K|, accuracy (|F∩K| + N - |F∪K|)/N, F1; AUROC of the score.
struct FlagQuality {
  int64_t rows = 0, flagged = 0, known = 0, hits = 0;
  double accuracy = 0, precision = 0, recall = 0, f1 = 0, auroc = 0;
};
FlagQuality flag_quality(const std::vector<double>& score, const std::vector<bool>& flagged, const std::vector<int>& known);
// The flags of a distance score: its top `fraction` of rows (at least one).
std::vector<bool> flag_top_fraction(const std::vector<double>& score, double fraction);

// Mahalanobis distances alone (as above), exposed for tests and for the SVM / t-SNE tools.
std::vector<double> mahalanobis_distances(const Tensor& embeddings, const std::vector<int64_t>& labels, double shrinkage);

}  // namespace easel
