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

// Mahalanobis distances alone (as above), exposed for tests and for the SVM / t-SNE tools.
std::vector<double> mahalanobis_distances(const Tensor& embeddings, const std::vector<int64_t>& labels, double shrinkage);

}  // namespace easel
