#include "apps/analysis/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tensor/error.h"

namespace easel {

std::vector<std::vector<double>> softmax_rows(const std::vector<std::vector<double>>& logits, double t) {
  std::vector<std::vector<double>> out;
  for (const auto& row : logits) {
    const double mx = *std::max_element(row.begin(), row.end());
    std::vector<double> p(row.size());
    double z = 0;
    for (size_t c = 0; c < row.size(); ++c) z += p[c] = std::exp((row[c] - mx) / t);
    for (double& v : p) v /= z;
    out.push_back(std::move(p));
  }
  return out;
}

static double nll(const std::vector<std::vector<double>>& logits, const std::vector<int64_t>& labels, double t) {
  double s = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const auto& row = logits[i];
    const double mx = *std::max_element(row.begin(), row.end()) / t;
    double z = 0;
    for (double v : row) z += std::exp(v / t - mx);
    s -= row[size_t(labels[i])] / t - mx - std::log(z);
  }
  return s / double(logits.size());
}

double fit_temperature(const std::vector<std::vector<double>>& logits, const std::vector<int64_t>& labels) {
  EASEL_CHECK(!logits.empty() && logits.size() == labels.size(), "fit_temperature: ", logits.size(), " logit rows for ",
              labels.size(), " labels");
  // The NLL is unimodal in log T: golden-section search.
  double a = std::log(0.01), b = std::log(100.0);
  const double r = (std::sqrt(5.0) - 1) / 2;
  double c = b - r * (b - a), d = a + r * (b - a);
  double fc = nll(logits, labels, std::exp(c)), fd = nll(logits, labels, std::exp(d));
  for (int it = 0; it < 100 && b - a > 1e-7; ++it) {
    if (fc < fd) b = d, d = c, fd = fc, c = b - r * (b - a), fc = nll(logits, labels, std::exp(c));
    else a = c, c = d, fc = fd, d = a + r * (b - a), fd = nll(logits, labels, std::exp(d));
  }
  return std::exp((a + b) / 2);
}

TemperatureFit fit_temperature_checked(const std::vector<std::vector<double>>& logits, const std::vector<int64_t>& labels,
                                       size_t min_images) {
  EASEL_CHECK(logits.size() == labels.size(), "fit_temperature: ", logits.size(), " logit rows for ", labels.size(), " labels");
  TemperatureFit fit;
  size_t wrong = 0;
  for (size_t i = 0; i < logits.size(); ++i)
    wrong += size_t(std::max_element(logits[i].begin(), logits[i].end()) - logits[i].begin()) != size_t(labels[i]);
  if (logits.size() < min_images)
    fit.warning = "the validation split has " + std::to_string(logits.size()) + " images (fewer than " + std::to_string(min_images) +
                  "): too few for a meaningful temperature, T = 1 kept";
  else if (wrong == 0)
    fit.warning = "the net classifies all " + std::to_string(logits.size()) +
                  " validation images correctly: no temperature can be fitted there, T = 1 kept";
  else
    fit.temperature = fit_temperature(logits, labels);
  return fit;
}

Reliability reliability(const std::vector<std::vector<double>>& probs, const std::vector<int64_t>& labels, int bins) {
  std::vector<double> conf(size_t(bins), 0), acc(size_t(bins), 0);
  std::vector<int64_t> n(size_t(bins), 0);
  for (size_t i = 0; i < probs.size(); ++i) {
    const auto& p = probs[i];
    const size_t pred = size_t(std::max_element(p.begin(), p.end()) - p.begin());
    const int b = std::min(bins - 1, int(p[pred] * bins));
    conf[size_t(b)] += p[pred];
    acc[size_t(b)] += int64_t(pred) == labels[i];
    n[size_t(b)]++;
  }
  Reliability r;
  for (int b = 0; b < bins; ++b) {
    if (!n[size_t(b)]) continue;
    const double cb = conf[size_t(b)] / double(n[size_t(b)]), ab = acc[size_t(b)] / double(n[size_t(b)]);
    r.confidence.push_back(cb), r.accuracy.push_back(ab), r.count.push_back(n[size_t(b)]);
    r.ece += double(n[size_t(b)]) / double(probs.size()) * std::abs(ab - cb);
  }
  return r;
}


}  // namespace easel
