// Temperature scaling recovers a known over-confidence and lowers the calibration error.
#include "apps/analysis/calibration.h"
#include "apps/pictures/analysis_charts.h"
#include "helpers.h"
#include "tensor/random.h"

using namespace easel;

TEST_CASE("temperature scaling undoes logits made 3x too confident") {
  // Calibrated logits z ~ N(0, 1) per class; labels drawn from softmax(z); the model reports 3z.
  Generator g(9);
  std::vector<std::vector<double>> shown;
  std::vector<int64_t> labels;
  for (int i = 0; i < 4000; ++i) {
    std::vector<double> z(4);
    for (double& v : z) v = 1.5 * g.normal();
    const std::vector<double> p = softmax_rows({z})[0];
    double u = g.uniform(), acc = 0;
    int64_t y = 3;
    for (int64_t c = 0; c < 4; ++c)
      if (u < (acc += p[size_t(c)])) {
        y = c;
        break;
      }
    labels.push_back(y);
    for (double& v : z) v *= 3;
    shown.push_back(z);
  }
  const double T = fit_temperature(shown, labels);
  CHECK(T == doctest::Approx(3.0).epsilon(0.1));
  const Reliability before = reliability(softmax_rows(shown), labels), after = reliability(softmax_rows(shown, T), labels);
  MESSAGE("T = " << T << ", ECE " << before.ece << " -> " << after.ece);
  CHECK(after.ece < before.ece / 3);
  CHECK(after.ece < 0.03);
  const std::string png = "/tmp/easel_rel_" + std::to_string(getpid()) + ".png";
  reliability_chart(before, after).save(png);
  CHECK(std::ifstream(png).good());
  std::remove(png.c_str());
}

TEST_CASE("temperature: kept at 1, with a warning, where a fit means nothing") {
  std::vector<std::vector<double>> logits;
  std::vector<int64_t> labels;
  for (int i = 0; i < 40; ++i) logits.push_back({i % 2 ? -2.0 : 2.0, i % 2 ? 2.0 : -2.0}), labels.push_back(i % 2);
  const TemperatureFit perfect = fit_temperature_checked(logits, labels);
  CHECK(perfect.temperature == 1);
  CHECK(perfect.warning.find("classifies all 40 validation images correctly") != std::string::npos);
  CHECK(fit_temperature(logits, labels) < 0.2);  // what the unchecked fit would have said
  labels[0] = 1, labels[1] = 0;                  // two mistakes: now it fits
  const TemperatureFit fitted = fit_temperature_checked(logits, labels);
  CHECK(fitted.warning.empty());
  CHECK(fitted.temperature == fit_temperature(logits, labels));
  CHECK(fitted.temperature > 1);  // confidently wrong twice: soften
  logits.resize(12), labels.resize(12);
  const TemperatureFit small = fit_temperature_checked(logits, labels);
  CHECK(small.temperature == 1);
  CHECK(small.warning.find("has 12 images (fewer than 30)") != std::string::npos);
}

TEST_CASE("ECE by hand") {
  // two samples at confidence 0.9 (one right), one at 0.6 (right): |0.5-0.9|·2/3 + |1-0.6|·1/3
  const Reliability r = reliability({{0.9, 0.1}, {0.9, 0.1}, {0.4, 0.6}}, {0, 1, 1});
  CHECK(r.ece == doctest::Approx(0.4 * 2 / 3 + 0.4 / 3));
}
