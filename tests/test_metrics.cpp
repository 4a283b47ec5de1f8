// Metrics against hand computations (the numbers scikit-learn gives for the same inputs).
#include "apps/analysis/metrics.h"
#include "helpers.h"

using easel::test::error_of;

using namespace easel;

TEST_CASE("precision, recall, F1, confusion matrix by hand") {
  // true:  0 0 0 1 1 2 ; predicted: 0 0 1 1 2 2
  const std::vector<int64_t> y = {0, 0, 0, 1, 1, 2};
  const std::vector<std::vector<double>> p = {{.8, .1, .1}, {.6, .3, .1}, {.3, .5, .2},
                                              {.2, .7, .1}, {.1, .3, .6}, {.2, .2, .6}};
  const Metrics m = compute_metrics(p, y);
  CHECK(m.confusion == std::vector<std::vector<int64_t>>{{2, 1, 0}, {0, 1, 1}, {0, 0, 1}});
  CHECK(m.accuracy == doctest::Approx(4.0 / 6));
  // class 0: P 2/2, R 2/3; class 1: P 1/2, R 1/2; class 2: P 1/2, R 1/1
  CHECK(m.precision[0] == doctest::Approx(1.0));
  CHECK(m.recall[0] == doctest::Approx(2.0 / 3));
  CHECK(m.f1[0] == doctest::Approx(0.8));
  CHECK(m.f1[1] == doctest::Approx(0.5));
  CHECK(m.f1[2] == doctest::Approx(2.0 / 3));
  CHECK(m.macro_f1 == doctest::Approx((0.8 + 0.5 + 2.0 / 3) / 3));     // sklearn f1_score(average="macro")
  CHECK(m.weighted_f1 == doctest::Approx((3 * 0.8 + 2 * 0.5 + 2.0 / 3) / 6));  // average="weighted"
  CHECK(m.macro_precision == doctest::Approx(2.0 / 3));
  CHECK(m.log_loss == doctest::Approx(-(std::log(.8) + std::log(.6) + std::log(.3) + std::log(.7) + std::log(.3) +
                                        std::log(.6)) / 6));
  CHECK(m.top5 == 1.0);
  CHECK(top_k_accuracy(p, y, 2) == doctest::Approx(6.0 / 6));
  CHECK(top_k_accuracy(p, y, 1) == doctest::Approx(4.0 / 6));
  // The printed table: class names on both axes of the confusion matrix, nothing after the counts,
  // no top-5 with 5 classes or fewer (it is always 100 % there).
  const std::string text = format_metrics(m, {"abstract", "figurative", "other"});
  CHECK(text.find("top-5") == std::string::npos);
  CHECK(text.find("\n             abstract figurative      other\n") != std::string::npos);
  CHECK(text.find("\n  abstract          2          1          0\n") != std::string::npos);
  std::vector<std::vector<double>> six(6, std::vector<double>(6, 0.1));
  for (int i = 0; i < 6; ++i) six[size_t(i)][size_t(i)] = 0.5;
  CHECK(format_metrics(compute_metrics(six, {0, 1, 2, 3, 4, 5}), {"a", "b", "c", "d", "e", "f"}).find("top-5 100.00%") !=
        std::string::npos);
}

TEST_CASE("a class never seen nor predicted scores 0 and counts in the macro average") {
  const Metrics m = compute_metrics({{.9, .1, 0}, {.2, .8, 0}}, {0, 1});
  CHECK(m.f1[2] == 0);
  CHECK(m.macro_f1 == doctest::Approx(2.0 / 3));
  CHECK(std::isnan(m.roc[2].auc));
  CHECK(m.auc_macro == doctest::Approx(1.0));
}

TEST_CASE("ROC curve and AUC by hand, with ties") {
  // sklearn: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75
  const RocCurve r = roc_curve({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1});
  CHECK(r.auc == doctest::Approx(0.75));
  CHECK(r.fpr == std::vector<double>{0, 0, 0.5, 0.5, 1});
  CHECK(r.tpr == std::vector<double>{0, 0.5, 0.5, 1, 1});
  // a tie between a positive and a negative counts one half: roc_auc_score([0, 1], [0.5, 0.5]) = 0.5
  CHECK(roc_curve({0.5, 0.5}, {0, 1}).auc == doctest::Approx(0.5));
  CHECK(std::isnan(roc_curve({0.1, 0.2}, {1, 1}).auc));
}

TEST_CASE("micro and macro AUC over classes") {
  const std::vector<int64_t> y = {0, 1, 2, 2};
  const std::vector<std::vector<double>> p = {{.7, .2, .1}, {.3, .4, .3}, {.2, .3, .5}, {.4, .1, .5}};
  const Metrics m = compute_metrics(p, y);
  // per class (one-vs-rest): class 0 AUC 1, class 1 AUC 1, class 2: pos {.5, .5} vs neg {.1, .3} -> 1
  CHECK(m.roc[0].auc == doctest::Approx(1.0));
  CHECK(m.auc_macro == doctest::Approx(1.0));
  // micro: positives {.7, .4, .5, .5}, negatives {.2, .1, .3, .3, .2, .3, .4, .1}: pairs won 31.5 of 32
  CHECK(m.roc_micro.auc == doctest::Approx(31.5 / 32));
  CHECK(m.to_json().find("\"macro_f1\": ") != std::string::npos);
  CHECK(m.json()["auc_macro_curve"].num() == m.roc_macro.auc);
  CHECK(error_of([] { compute_metrics({{1.0, 0.0}}, {2}); }).find("label 2 at row 0") != std::string::npos);
}

TEST_CASE("zero-shot: source-class probabilities pooled onto target classes, rows renormalised") {
  // 5 source classes; target 0 = {0, 1}, target 1 = {3}; source classes 2 and 4 belong to no target.
  const auto q = pool_class_probabilities({{0.1, 0.2, 0.3, 0.3, 0.1}, {0, 0, 1, 0, 0}}, {{0, 1}, {3}});
  REQUIRE(q.size() == 2);
  CHECK(q[0][0] == doctest::Approx(0.3 / 0.6));
  CHECK(q[0][1] == doctest::Approx(0.3 / 0.6));
  CHECK(q[1] == std::vector<double>{0.5, 0.5});  // no mass on any target: uniform
  CHECK_THROWS_WITH_AS(pool_class_probabilities({{1.0}}, {{3}}), doctest::Contains("source class 3 outside the net's 1 classes"), Error);
}

TEST_CASE("macro-average ROC curve and per-class top-5") {
  // 7 classes, 14 samples: labels 0..6 twice; scores favour the label with some confusions.
  std::vector<std::vector<double>> p;
  std::vector<int64_t> y;
  Generator g(4);
  for (int i = 0; i < 14; ++i) {
    std::vector<double> row(7);
    double sum = 0;
    for (double& v : row) sum += (v = g.uniform());
    row[size_t(i % 7)] += i < 10 ? 1.0 : 0.0;  // the last four are scored at random
    sum += i < 10 ? 1.0 : 0.0;
    for (double& v : row) v /= sum;
    p.push_back(row);
    y.push_back(i % 7);
  }
  const Metrics m = compute_metrics(p, y);
  CHECK(m.roc_macro.tpr.back() == doctest::Approx(1.0));
  REQUIRE(m.top5_per_class.size() == 7);
  double weighted = 0;
  for (size_t c = 0; c < 7; ++c) weighted += m.top5_per_class[c] * double(m.support[c]) / 14.0;
  CHECK(weighted == doctest::Approx(m.top5));
  CHECK(m.top5_per_class[0] == 1.0);  // both class-0 images (0 and 7) score their label highest
  const std::string table = format_metrics(m, {"a", "b", "c", "d", "e", "f", "g"});
  CHECK(table.find("support     top-5\n") != std::string::npos);
}

TEST_CASE("macro-average ROC curve: numpy.interp of each class's curve on the union of their FPRs") {
  // Per-class curves (sklearn's roc_curve, no dropping): class 0 and 1 fpr {0, 0, .25, .5, .75, 1},
  // tpr {0, .5, .5, 1, 1, 1}; class 2 fpr {0, .25, .25, .75, 1}, tpr {0, 0, 1, 1, 1}. The macro curve
  // (the sklearn ROC example's all_fpr / mean_tpr, computed with numpy) and its trapezoidal area:
  const Metrics m = compute_metrics({{.7, .2, .1}, {.3, .4, .3}, {.2, .5, .3}, {.1, .3, .6}, {.5, .1, .4}, {.3, .3, .4}},
                                    {0, 0, 1, 1, 2, 2});
  CHECK(m.roc_macro.fpr == std::vector<double>{0, 0.25, 0.5, 0.75, 1});
  REQUIRE(m.roc_macro.tpr.size() == 5);
  const double want[5] = {1.0 / 3, 2.0 / 3, 1, 1, 1};
  for (size_t i = 0; i < 5; ++i) CHECK(m.roc_macro.tpr[i] == doctest::Approx(want[i]).epsilon(1e-12));
  CHECK(m.roc_macro.auc == doctest::Approx(0.8333333333333333).epsilon(1e-12));
  CHECK(m.auc_macro == doctest::Approx((0.8125 + 0.8125 + 0.75) / 3));  // roc_auc_score(average="macro") differs
}
