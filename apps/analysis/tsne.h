// t-SNE (van der Maaten & Hinton 2008), exact O(N²) version: fine for the few thousand embeddings
// a report shows.
//   p_j|i ∝ exp(-β_i |x_i - x_j|²), β_i chosen so that 2^H(P_i) = perplexity;  p_ij = (p_j|i + p_i|j) / 2N
//   q_ij ∝ (1 + |y_i - y_j|²)⁻¹;   ∂KL/∂y_i = 4 Σ_j (p_ij - q_ij)(y_i - y_j)(1 + |y_i - y_j|²)⁻¹
// Optimised by gradient descent with momentum and per-coordinate gains, early exaggeration 12 for
// the first 250 iterations, learning rate max(N / 48, 50); inputs wider than 50 are PCA-reduced first.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace easel {

struct TsneOptions {
  double perplexity = 30;
  int iterations = 1000;
  uint64_t seed = 0;
  int64_t pca_dims = 50;
};

struct TsneResult {
  Tensor y;          // [N, 2]
  double kl = 0;     // final KL(P || Q)
};

TsneResult tsne(const Tensor& x, const TsneOptions& opt = {});

// The conditional affinities p_j|i (rows sum to 1), exposed for tests: [N, N].
Tensor tsne_conditional_affinities(const Tensor& x, double perplexity);

// The t-SNE map of x [N, D] for a chart: at most `max_points` rows, the same fraction from every
// class (deterministic for o.seed).
struct TsneMap {
  std::vector<double> x, y;     // one point per kept row
  std::vector<int64_t> labels;  // of the kept rows
  std::vector<size_t> rows;     // which input row each point is
  int64_t input_dims = 0;
  double perplexity = 0, kl = 0;
};
TsneMap tsne_map(const Tensor& x, const std::vector<int64_t>& labels, const TsneOptions& o, size_t max_points);

}  // namespace easel
