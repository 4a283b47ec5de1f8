// Temperature scaling (Guo et al. 2017): one scalar T > 0 divides the logits, fitted on validation
// data by minimising the negative log-likelihood; it changes confidence, never the predicted class.
// ECE = Σ_b (n_b / n)·|accuracy_b - confidence_b| over 15 equal-width confidence bins.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace easel {

// logits: n rows of C values. Returns T (searched on log T in [1/100, 100]).
double fit_temperature(const std::vector<std::vector<double>>& logits, const std::vector<int64_t>& labels);
// fit_temperature where the fit means something: at least `min_images` validation images, some of
// them misclassified (on a split the net gets all right, the likelihood keeps rising as T -> 0, so
// the fitted T only says how far the search went). Otherwise T stays 1 and `warning` says why.
struct TemperatureFit {
  double temperature = 1;
  std::string warning;  // empty when T was fitted
};
TemperatureFit fit_temperature_checked(const std::vector<std::vector<double>>& logits, const std::vector<int64_t>& labels,
                                       size_t min_images = 30);
std::vector<std::vector<double>> softmax_rows(const std::vector<std::vector<double>>& logits, double temperature = 1);

struct Reliability {
  std::vector<double> confidence, accuracy;  // per non-empty bin
  std::vector<int64_t> count;
  double ece = 0;
};
Reliability reliability(const std::vector<std::vector<double>>& probs, const std::vector<int64_t>& labels, int bins = 15);

}  // namespace easel
