// t-SNE, the two-branch analysis, feature-map grids and the chart primitives they draw with.
#include "apps/analysis/branches.h"
#include "apps/analysis/cam.h"
#include "apps/pictures/analysis_charts.h"
#include "apps/pictures/plot.h"
#include "apps/analysis/tsne.h"
#include "helpers.h"
#include "layers/init.h"
#include "nets/net.h"

using namespace easel;
using namespace easel::test;

namespace {

Tensor clusters(int64_t per, int64_t C, int64_t D, std::vector<int64_t>* labels) {
  Generator g(3);
  const Tensor centres = Tensor::normal({C, D}, 0, 4, DType::f64, &g);
  std::vector<double> x;
  for (int64_t i = 0; i < per * C; ++i) {
    for (int64_t j = 0; j < D; ++j) x.push_back(centres.at({i % C, j}) + g.normal());
    labels->push_back(i % C);
  }
  return Tensor::from(x, {per * C, D}, DType::f64);
}

}  // namespace

TEST_CASE("tsne: each row's affinities have the asked perplexity") {
  const Tensor x = rnd({60, 5}, 1, -1, 1, false);
  const Tensor p = tsne_conditional_affinities(x, 12);
  for (int64_t i = 0; i < 60; ++i) {
    double h = 0, s = 0;
    for (int64_t j = 0; j < 60; ++j) {
      const double v = p.at({i, j});
      s += v;
      if (v > 0) h -= v * std::log(v);
    }
    CHECK(s == doctest::Approx(1).epsilon(1e-9));
    CHECK(std::exp(h) == doctest::Approx(12).epsilon(1e-5));
    CHECK(p.at({i, i}) == 0);
  }
}

TEST_CASE("tsne: separated clusters in 30-d stay separated in 2-d, deterministically") {
  std::vector<int64_t> labels;
  const Tensor x = clusters(40, 3, 30, &labels);
  TsneOptions o;
  o.perplexity = 20, o.iterations = 1000;
  const TsneResult r = tsne(x, o);
  const std::vector<double> y = r.y.to_vector();
  const size_t n = labels.size();
  int64_t nn_right = 0;
  double within = 0, between = 0;
  int64_t nw = 0, nb = 0;
  for (size_t i = 0; i < n; ++i) {
    double best = INFINITY;
    size_t arg = 0;
    for (size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      const double d = std::hypot(y[2 * i] - y[2 * j], y[2 * i + 1] - y[2 * j + 1]);
      if (d < best) best = d, arg = j;
      (labels[i] == labels[j] ? within : between) += d;
      (labels[i] == labels[j] ? nw : nb)++;
    }
    nn_right += labels[arg] == labels[i];
  }
  MESSAGE("t-SNE: 1-NN accuracy " << double(nn_right) / double(n) << ", within/between distance "
                                  << (within / double(nw)) / (between / double(nb)) << ", KL " << r.kl);
  CHECK(nn_right == int64_t(n));
  CHECK((within / double(nw)) / (between / double(nb)) < 0.15);
  CHECK(r.kl > 0);
  CHECK(r.kl < 1.0);
  CHECK(tsne(x, o).y.to_vector() == y);
}

TEST_CASE("branches: a head that ignores the patch branch is seen as such") {
  const auto net = create_net("two_branch_resnet50", 2);
  net->eval();
  {
    NoGradGuard ng;
    Tensor w = net->at("fc").named_parameters()[0].second;  // weight [2, 4096]
    REQUIRE(w.size(1) == 4096);
    Tensor patch_cols = w.slice(1, 2048, 4096);  // a view: zeroing it edits the weight
    init::constant_(patch_cols, 0.0);
  }
  const Tensor x = rnd({4, 3, 32, 32}, 5, -1, 1, false).to(DType::f32);
  BranchAnalysis an(*net);
  an.add(x, {0, 1, 0, 1});
  const BranchStats s = an.result();
  CHECK(s.images == 4);
  CHECK(s.weight_norm_patch == 0);
  CHECK(s.weight_norm_global > 0);
  // Per class: each row's global columns; their squares add up to the whole.
  REQUIRE(s.class_weight_norm_global.size() == 2);
  CHECK(s.class_weight_norm_patch == std::vector<double>{0, 0});
  CHECK(std::hypot(s.class_weight_norm_global[0], s.class_weight_norm_global[1]) == doctest::Approx(s.weight_norm_global));
  CHECK(BranchAnalysis(*create_net("two_branch_resnet50_fusion", 2)).result().class_weight_norm_global.empty());
  CHECK(s.accuracy_global_only == s.accuracy_both);
  // The feature norm is the mean L2 norm of the global trunk's pooled output.
  NoGradGuard ng;
  const Tensor g = net->at("global_branch")(x);
  const double expect = mean(sqrt(sum(g * g, {1}))).item();
  CHECK(s.feature_norm_global == doctest::Approx(expect).epsilon(1e-5));
  CHECK(s.feature_norm_patch > 0);
  CHECK_THROWS_WITH(BranchAnalysis(*create_net("resnet18", 2)), doctest::Contains("no global_branch"));
}

TEST_CASE("plot: scatter points, bars and image grids land where they should") {
  const Canvas s = scatter_chart("t", {0, 1}, {0, 1}, {0, 1}, {"a", "b"}, 200).render();
  // 200-px plot: area from (20, 40) of side 160; point (0, 0) at the bottom-left, (1, 1) top-right.
  auto px = [](const Canvas& c, int64_t x, int64_t y) {
    const Tensor& im = c.image();
    return Rgb{float(im.at({0, y, x})), float(im.at({1, y, x})), float(im.at({2, y, x}))};
  };
  const Rgb a = px(s, 20, 200), b = px(s, 180, 40), p0 = palette(0), p1 = palette(1);
  CHECK(std::abs(a.r - p0.r) + std::abs(a.g - p0.g) + std::abs(a.b - p0.b) < 0.5);
  CHECK(std::abs(b.r - p1.r) + std::abs(b.g - p1.g) + std::abs(b.b - p1.b) < 0.5);
  const Figure bar_figure = bar_chart("t", "acc", {"x", "y"}, {{"s", {1.0, 0.5}, {0.0, 0.1}}}, 400, 300, kUnit);
  // The two bars share their bottom (0); the 0.5 bar is half as tall as the 1.0 bar.
  std::vector<Figure::Shape> bar;
  for (const auto& shape : bar_figure.shapes())
    if (shape.kind == Figure::Shape::rect && shape.color.r == p0.r) bar.push_back(shape);
  REQUIRE(bar.size() == 3);  // the legend's swatch, then the bars
  CHECK(bar[1].xy[3] == doctest::Approx(bar[2].xy[3]));
  CHECK(bar[2].xy[3] - bar[2].xy[1] == doctest::Approx((bar[1].xy[3] - bar[1].xy[1]) / 2));
  const Canvas bars = bar_figure.render();
  const double mid_y = (bar[2].xy[1] + bar[2].xy[3]) / 2, x_mid = (bar[2].xy[0] + bar[2].xy[2]) / 2;
  const Rgb mid = px(bars, int64_t(x_mid), int64_t(mid_y)), above = px(bars, int64_t(bar[2].xy[0] + 5), int64_t(bar[2].xy[1] - 12));
  CHECK(mid.r == doctest::Approx(p0.r).epsilon(1e-3));
  CHECK(above.r > 0.8f);  // the 0.5 bar stops lower
  std::vector<Tile> tiles(5, Tile{Tensor::full({3, 8, 8}, 0.0), {"x"}});
  const Canvas grid = image_grid("g", tiles, 3, 32);
  CHECK(grid.image().size(2) == 3 * (32 + 10) + 10);
  CHECK(grid.image().size(1) == 40 + 2 * (32 + 20 + 10) + 10);
  CHECK(px(grid, 10 + 16, 40 + 16).r == 0);  // first tile is black
}

TEST_CASE("feature maps: the grid shows the input and the strongest channels") {
  const auto net = create_net("resnet18", 3);
  const Tensor x = rnd({1, 3, 64, 64}, 2, -1, 1, false).to(DType::f32);
  const Canvas c = feature_map_grid(strongest_feature_maps(*net, x, "layer2", 7), (x.select(0, 0) + 1.0) * 0.5);
  CHECK(c.image().size(2) == 4 * 138 + 10);
  CHECK(c.image().size(1) == 40 + 2 * (128 + 20 + 10) + 10);
  // The second tile (the strongest channel) is not a flat picture.
  const std::vector<double> v = c.image().select(0, 0).slice(0, 60, 160).slice(1, 160, 280).contiguous().to_vector();
  CHECK(*std::max_element(v.begin(), v.end()) - *std::min_element(v.begin(), v.end()) > 0.5);
  CHECK_THROWS_WITH(strongest_feature_maps(*net, x, "fc"), doctest::Contains("pick a layer"));
}
