// Temperature scaling (Guo et al. 2017): one scalar T > 0 divides the logits, fitted on validation
// data by minimising the negative log-likelihood; it changes confidence, never the predicted class.
// ECE = Σ_b (n_b / n)·|accuracy_b - confidence_b| over 15 equal-width confidence bins.
#pragma once
#include <string>
#include <vector>

namespace easel {

// logits: n rows of C values. Returns T (searched on log T in [1/100, 100]).
double fit_temperature(const std::vector<std::vector<double>>& logits, const std::vector<int64_t>& labels);
std::vector<std::vector<double>> softmax_rows(const std::vector<std::vector<double>>& logits, double temperature = 1);

struct Reliability {
  std::vector<double> confidence, accuracy;  // per non-empty bin
  std::vector<int64_t> count;
  double ece = 0;
};
Reliability reliability(const std::vector<std::vector<double>>& probs, const std::vector<int64_t>& labels, int bins = 15);

}  // namespace easel
