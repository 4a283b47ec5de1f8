// Outlier scores: Mahalanobis against NumPy, and each method's AUROC at finding injected wrong labels.
#include "apps/analysis/metrics.h"
#include "apps/analysis/outliers.h"
#include "helpers.h"

using namespace easel;
using namespace easel::test;

TEST_CASE("Mahalanobis distance with a shared shrunk covariance matches NumPy") {
  // numpy: mu per class; R = X - mu[y]; S = RᵀR/(n-k); S = 0.9 S + 0.1 tr(S)/d I; sqrt(rᵀ S⁻¹ r)
  const Tensor X = Tensor::from({0, 0, 1, 0.5, 2, 1, 0.5, 2, 5, 5, 6, 5.5, 5.5, 7, 4, 6}, {8, 2}, DType::f64);
  const std::vector<double> d = mahalanobis_distances(X, {0, 0, 0, 0, 1, 1, 1, 1}, 0.1);
  const std::vector<double> numpy = {1.3799076338, 0.4795236242, 1.3175104557, 1.4385708726,
                                     1.0255232634, 1.1617693103, 1.3523683065, 1.3476012667};
  for (size_t i = 0; i < 8; ++i) CHECK(d[i] == doctest::Approx(numpy[i]).epsilon(1e-9));
}

TEST_CASE("injected wrong labels are found: AUROC of each method") {
  // 3 Gaussian clusters in 8-d, 300 samples; 10 % of the labels moved to another class. The
  // "classifier" probabilities come from distances to the true centres (what a net would learn).
  Generator g(7);
  const int64_t n = 300, D = 8, C = 3;
  Tensor centres = Tensor::normal({C, D}, 0, 3, DType::f64, &g);
  std::vector<double> emb;
  std::vector<int64_t> truth, given;
  std::vector<int> flipped;
  std::vector<std::vector<double>> probs;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % C;
    std::vector<double> logits(C);
    std::vector<double> x(static_cast<size_t>(D));
    for (int64_t j = 0; j < D; ++j) x[size_t(j)] = centres.at({c, j}) + g.normal();
    for (int64_t k = 0; k < C; ++k) {
      double d2 = 0;
      for (int64_t j = 0; j < D; ++j) d2 += std::pow(x[size_t(j)] - centres.at({k, j}), 2);
      logits[size_t(k)] = -0.5 * d2;
    }
    const double mx = *std::max_element(logits.begin(), logits.end());
    double z = 0;
    for (double& l : logits) z += (l = std::exp(l - mx));
    for (double& l : logits) l /= z;
    probs.push_back(logits);
    emb.insert(emb.end(), x.begin(), x.end());
    const bool flip = g.uniform() < 0.1;
    flipped.push_back(flip);
    given.push_back(flip ? (c + 1 + g.randint(C - 1)) % C : c);
  }
  const OutlierScores s = outlier_scores(Tensor::from(emb, {n, D}, DType::f64), probs, given);
  const double auc_conf = roc_curve(s.confidence, flipped).auc, auc_cent = roc_curve(s.centroid, flipped).auc,
               auc_maha = roc_curve(s.mahalanobis, flipped).auc;
  MESSAGE("AUROC at finding the flipped labels: confidence " << auc_conf << ", centroid " << auc_cent
                                                              << ", Mahalanobis " << auc_maha);
  CHECK(auc_conf > 0.95);
  CHECK(auc_cent > 0.9);
  CHECK(auc_maha > 0.9);
  CHECK(std::count(s.low_confidence.begin(), s.low_confidence.end(), true) < n / 5);
}

TEST_CASE("flags against known outliers: accuracy, precision, recall, F1 and AUROC by hand") {
  // 6 rows; known outliers 0 and 3; flagged 0, 1, 2 (the top half by score).
  const std::vector<double> score = {0.9, 0.8, 0.7, 0.6, 0.2, 0.1};
  const std::vector<int> known = {1, 0, 0, 1, 0, 0};
  const std::vector<bool> flags = flag_top_fraction(score, 0.5);
  CHECK(flags == std::vector<bool>{true, true, true, false, false, false});
  const FlagQuality q = flag_quality(score, flags, known);
  CHECK(q.flagged == 3);
  CHECK(q.hits == 1);
  CHECK(q.precision == doctest::Approx(1.0 / 3));
  CHECK(q.recall == doctest::Approx(0.5));
  CHECK(q.accuracy == doctest::Approx(3.0 / 6));  // right: 0 (hit), 4, 5 (clear); wrong: 1, 2 flagged, 3 missed
  CHECK(q.f1 == doctest::Approx(0.4));
  CHECK(q.auroc == doctest::Approx(6.0 / 8));  // of the 8 (outlier, inlier) pairs, 6 are ordered rightly
  CHECK(flag_top_fraction(score, 0.01) == std::vector<bool>{true, false, false, false, false, false});  // at least one
}
