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
  save_reliability_png(png, before, after);
  CHECK(std::ifstream(png).good());
  std::remove(png.c_str());
}

TEST_CASE("ECE by hand") {
  // two samples at confidence 0.9 (one right), one at 0.6 (right): |0.5-0.9|·2/3 + |1-0.6|·1/3
  const Reliability r = reliability({{0.9, 0.1}, {0.9, 0.1}, {0.4, 0.6}}, {0, 1, 1});
  CHECK(r.ece == doctest::Approx(0.4 * 2 / 3 + 0.4 / 3));
}
