// The SVM head: libsvm's one-vs-rest machines on known geometry, the cross-validated grid, save/reload.
#include <unistd.h>

#include <filesystem>

#include "apps/analysis/svm.h"
#include "helpers.h"

using namespace easel;
using namespace easel::test;

namespace {

// Two noisy concentric rings (radius 1 and 2.5): no line separates them, an RBF kernel of the
// rings' scale does.
void rings(int64_t n, uint64_t seed, Tensor* X, std::vector<int64_t>* y) {
  Generator g(seed);
  std::vector<double> x;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % 2;
    const double r = (c ? 2.5 : 1.0) + 0.15 * g.normal(), t = 6.283185307 * g.uniform();
    x.push_back(r * std::cos(t)), x.push_back(r * std::sin(t));
    y->push_back(c);
  }
  *X = Tensor::from(x, {n, 2}, DType::f64);
}

void blobs(int64_t n, int64_t C, int64_t D, uint64_t seed, Tensor* X, std::vector<int64_t>* y) {
  Generator g(seed), gc(99);
  const Tensor centres = Tensor::normal({C, D}, 0, 1.5, DType::f64, &gc);
  std::vector<double> x;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % C;
    for (int64_t j = 0; j < D; ++j) x.push_back(centres.at({c, j}) + g.normal());
    y->push_back(c);
  }
  *X = Tensor::from(x, {n, D}, DType::f64);
}

}  // namespace

TEST_CASE("svm: a linear machine on two points has the textbook decision function") {
  // x = -1 (class 0) and x = +1 (class 1); standardised they stay ±1. Hard margin: w = 1, b = 0,
  // so class 1's decision value at x is x and class 0's is -x.
  const Tensor X = Tensor::from({-1, 1}, {2, 1}, DType::f64);
  OneVsRestSvm m;
  SvmParams p;
  p.kernel = "linear", p.C = 1000;
  m.fit(X, {0, 1}, 2, p);
  const auto d = m.decision(Tensor::from({0.5, -2, 0}, {3, 1}, DType::f64));
  CHECK(d[0][1] == doctest::Approx(0.5).epsilon(1e-3));
  CHECK(d[0][0] == doctest::Approx(-0.5).epsilon(1e-3));
  CHECK(d[1][1] == doctest::Approx(-2).epsilon(1e-3));
  CHECK(std::abs(d[2][0]) < 1e-3);
  CHECK(m.support_vectors() == 4);  // both points, in each of the two machines
}

TEST_CASE("svm: --no-standardize fits the raw features (the seed's gamma = 1e-4 on raw VGG features)") {
  // Points at 0 and 100: raw, an RBF of γ = 1e-4 sees k(0, 100) = e^-1; standardised (±1) it would see
  // e^-0.0004 and give other decision values.
  const Tensor X = Tensor::from({0, 100, 10, 90}, {4, 1}, DType::f64);
  SvmParams p;
  p.kernel = "rbf", p.C = 10, p.gamma = 1e-4, p.standardize = false;
  OneVsRestSvm raw, standard;
  raw.fit(X, {0, 1, 0, 1}, 2, p);
  p.standardize = true;
  standard.fit(X, {0, 1, 0, 1}, 2, p);
  const Tensor probe = Tensor::from({30, 70}, {2, 1}, DType::f64);
  const auto dr = raw.decision(probe), ds = standard.decision(probe);
  CHECK(dr[0][0] > 0);  // 30 is nearer the class-0 points
  CHECK(dr[1][1] > 0);
  CHECK(std::abs(dr[0][0] - ds[0][0]) > 1e-3);
  const std::string dir = "/tmp/easel_svm_raw_" + std::to_string(getpid());
  raw.save(dir, Json::object());
  Json meta;
  const OneVsRestSvm back = OneVsRestSvm::load(dir, &meta);
  CHECK(!meta["standardize"].boolean());
  CHECK(!back.params().standardize);
  CHECK(back.decision(probe)[0][0] == doctest::Approx(dr[0][0]).epsilon(1e-12));
  std::filesystem::remove_all(dir);
}

TEST_CASE("svm: the cross-validated grid finds the kernel width of the rings") {
  Tensor X;
  std::vector<int64_t> y;
  rings(240, 1, &X, &y);
  // γ = 0.001 is nearly linear (cannot separate rings), γ = 1000 memorises single points (does
  // not generalise across folds); γ = 1 is the known width. Both C reach 100 % there, and a tie
  // goes to the smaller C.
  SvmParams p;
  const GridResult g = grid_search(X, y, 2, p, {0.001, 10}, {0.001, 1, 1000}, 3);
  for (const GridCell& c : g.cells) MESSAGE("C " << c.C << " gamma " << c.gamma << ": cv accuracy " << c.accuracy);
  CHECK(g.best.gamma == 1);
  CHECK(g.best.C == 0.001);
  CHECK(g.best_accuracy > 0.97);
  for (const GridCell& c : g.cells)
    if (c.gamma != 1) CHECK(c.accuracy < g.best_accuracy - 0.1);
  // A linear kernel cannot do it: cross-validated accuracy near chance.
  p.kernel = "linear";
  CHECK(cross_validate(X, y, 2, p, 3) < 0.7);
}

TEST_CASE("svm: one-vs-rest on 4 classes, held-out accuracy, save and reload give the same decisions") {
  Tensor X, Xt;
  std::vector<int64_t> y, yt;
  blobs(200, 4, 16, 1, &X, &y);
  blobs(200, 4, 16, 2, &Xt, &yt);
  for (const std::string kernel : {"rbf", "sigmoid", "linear", "poly"}) {
    OneVsRestSvm m;
    SvmParams p;
    p.kernel = kernel, p.C = 1, p.coef0 = kernel == "poly" ? 1 : 0;
    m.fit(X, y, 4, p);
    const std::vector<int64_t> pred = m.predict(Xt);
    int64_t right = 0;
    for (size_t i = 0; i < pred.size(); ++i) right += pred[i] == yt[i];
    MESSAGE(kernel << ": held-out accuracy " << double(right) / 200);
    CHECK(right >= 180);
  }
  OneVsRestSvm m;
  m.fit(X, y, 4, SvmParams{});
  const std::string dir = std::filesystem::temp_directory_path() / ("easel_svm_" + std::to_string(getpid()));
  Json extra = Json::object();
  extra.set("note", "test");
  m.save(dir, extra);
  Json meta;
  const OneVsRestSvm r = OneVsRestSvm::load(dir, &meta);
  CHECK(meta["note"].str() == "test");
  CHECK(meta["gamma"].num() == doctest::Approx(1.0 / 16));
  CHECK(r.classes() == 4);
  const auto a = m.decision(Xt), b = r.decision(Xt);
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t c = 0; c < 4; ++c) worst = std::max(worst, std::abs(a[i][c] - b[i][c]));
  CHECK(worst < 1e-6);  // libsvm writes support vectors with 8 significant digits
  std::filesystem::remove_all(dir);
}

TEST_CASE("svm: bad input is named") {
  Tensor X;
  std::vector<int64_t> y;
  blobs(12, 3, 4, 1, &X, &y);
  OneVsRestSvm m;
  CHECK_THROWS_WITH(m.fit(X, y, 4, SvmParams{}), doctest::Contains("class 3 has no training samples"));
  SvmParams bad;
  bad.kernel = "cubic";
  CHECK_THROWS_WITH(m.fit(X, y, 3, bad), doctest::Contains("unknown kernel 'cubic'"));
  m.fit(X, y, 3, SvmParams{});
  CHECK_THROWS_WITH(m.decision(Tensor::zeros({2, 5}, DType::f64)), doctest::Contains("4-dimensional"));
  CHECK_THROWS_WITH(cross_validate(X, y, 3, SvmParams{}, 5), doctest::Contains("fewer than the 5"));
}
