// gradcheck of convolution (every option that changes its backward), pooling, batch norm, dropout.
#include "helpers.h"

using namespace easel;
using namespace easel::test;

using Ts = const std::vector<Tensor>&;

namespace {
void check_conv(const Shape& x, const Shape& w, bool bias, Conv2dOptions opt, uint64_t seed) {
  std::vector<Tensor> in{rnd(x, seed), rnd(w, seed + 1)};
  if (bias) in.push_back(rnd({w[0]}, seed + 2));
  check_grad([opt](Ts v) { return conv2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), opt); }, in);
}
}  // namespace

TEST_CASE("gradcheck: conv2d options") {
  SUBCASE("3x3, padding 1, bias") { check_conv({2, 3, 5, 5}, {4, 3, 3, 3}, true, {1, 1}, 60); }
  SUBCASE("stride 2, no bias") { check_conv({1, 2, 6, 5}, {3, 2, 3, 3}, false, {2, 0}, 61); }
  SUBCASE("dilation 2, padding 2") { check_conv({1, 2, 6, 6}, {2, 2, 3, 3}, true, {1, 2, 2}, 62); }
  SUBCASE("groups 2") { check_conv({2, 4, 4, 4}, {6, 2, 3, 3}, true, {1, 1, 1, 2}, 63); }
  SUBCASE("depthwise (groups = C)") { check_conv({2, 3, 5, 5}, {3, 1, 3, 3}, true, {1, 1, 1, 3}, 64); }
  SUBCASE("depthwise, channel multiplier 2, stride 2") { check_conv({1, 2, 5, 5}, {4, 1, 3, 3}, false, {2, 1, 1, 2}, 65); }
  SUBCASE("1x1 pointwise (no im2col)") { check_conv({3, 4, 3, 3}, {5, 4, 1, 1}, true, {}, 66); }
  SUBCASE("1x1 stride 2 (im2col)") { check_conv({1, 3, 5, 5}, {2, 3, 1, 1}, true, {2}, 67); }
  SUBCASE("rectangular kernel, stride, padding") {
    Conv2dOptions o;
    o.stride = Hw(2, 1);
    o.padding = Hw(0, 2);
    o.dilation = Hw(1, 2);
    check_conv({2, 2, 7, 4}, {3, 2, 3, 2}, true, o, 68);
  }
  SUBCASE("batch larger than the thread count, small maps (chunked wide GEMM)") {
    check_conv({5, 2, 4, 4}, {3, 2, 3, 3}, true, {1, 1}, 69);
  }
  SUBCASE(">= 1024 output pixels per image (per-image GEMMs across threads), groups 2") {
    check_conv({2, 2, 32, 32}, {2, 1, 3, 3}, true, {1, 1, 1, 2}, 59);
  }
  SUBCASE(">= 1024 output pixels, pointwise") { check_conv({2, 2, 32, 32}, {1, 2, 1, 1}, true, {}, 58); }
}

TEST_CASE("gradcheck: max_pool2d") {
  const Tensor x = rnd({2, 2, 7, 6}, 70);
  auto mp = [](Hw k, std::optional<Hw> s, Hw p, Hw d, bool ceil) {
    MaxPool2dOptions o;
    o.kernel = k, o.stride = s, o.padding = p, o.dilation = d, o.ceil_mode = ceil;
    return o;
  };
  for (const MaxPool2dOptions& o : {mp(2, {}, 0, 1, false), mp(3, Hw(2), 1, 1, false), mp(2, Hw(1), 0, 2, false),
                                    mp(3, Hw(2), 1, 1, true), mp(Hw(3, 2), Hw(2, 1), Hw(1, 0), 1, false)})
    check_grad([o](Ts v) { return max_pool2d(v[0], o); }, {x});
}

TEST_CASE("gradcheck: avg_pool2d") {
  const Tensor x = rnd({2, 2, 7, 6}, 71);
  auto ap = [](Hw k, std::optional<Hw> s, Hw p, bool ceil, bool include) {
    AvgPool2dOptions o;
    o.kernel = k, o.stride = s, o.padding = p, o.ceil_mode = ceil, o.count_include_pad = include;
    return o;
  };
  for (const AvgPool2dOptions& o : {ap(2, {}, 0, false, true), ap(3, Hw(2), 1, false, true), ap(3, Hw(2), 1, false, false),
                                    ap(3, Hw(2), 1, true, true), ap(3, Hw(2), 1, true, false)})
    check_grad([o](Ts v) { return avg_pool2d(v[0], o); }, {x});
}

TEST_CASE("gradcheck: adaptive_avg_pool2d, divisible and not") {
  const Tensor x = rnd({2, 3, 5, 7}, 72);
  check_grad([](Ts v) { return adaptive_avg_pool2d(v[0], 1); }, {x});
  check_grad([](Ts v) { return adaptive_avg_pool2d(v[0], Hw(3, 4)); }, {x});  // overlapping bins
  check_grad([](Ts v) { return adaptive_avg_pool2d(v[0], Hw(5, 7)); }, {x});
  check_grad([](Ts v) { return adaptive_avg_pool2d(v[0], Hw(6, 9)); }, {x});  // larger than the input
}

TEST_CASE("gradcheck: batch_norm, training and eval, with and without affine") {
  const Tensor x = rnd({3, 2, 3, 2}, 73), w = rnd({2}, 74, 0.5, 1.5), b = rnd({2}, 75);
  const Tensor rm = rnd({2}, 76, -0.2, 0.2, false), rv = rnd({2}, 77, 0.5, 1.5, false);
  check_grad([&](Ts v) { return batch_norm(v[0], rm.clone(), rv.clone(), v[1], v[2], true); }, {x, w, b});
  check_grad([&](Ts v) { return batch_norm(v[0], Tensor(), Tensor(), Tensor(), Tensor(), true); }, {x});
  check_grad([&](Ts v) { return batch_norm(v[0], rm, rv, v[1], v[2], false); }, {x, w, b});
  check_grad([&](Ts v) { return batch_norm(v[0], Tensor(), Tensor(), v[1], v[2], true); },
             {rnd({4, 3}, 78), rnd({3}, 79), rnd({3}, 80)});  // BatchNorm1d layout [N, C]
}

TEST_CASE("gradcheck: batch_norm_relu; it equals relu(batch_norm) exactly, values, statistics and gradients") {
  const Tensor x = rnd({3, 2, 3, 2}, 173), w = rnd({2}, 174, 0.5, 1.5), b = rnd({2}, 175);
  const Tensor rm = rnd({2}, 176, -0.2, 0.2, false), rv = rnd({2}, 177, 0.5, 1.5, false);
  check_grad([&](Ts v) { return batch_norm_relu(v[0], rm.clone(), rv.clone(), v[1], v[2], true); }, {x, w, b});
  check_grad([&](Ts v) { return batch_norm_relu(v[0], rm, rv, v[1], v[2], false); }, {x, w, b});
  for (DType dt : {DType::f32, DType::f64})
    for (bool training : {true, false}) {
      CAPTURE(training);
      const Tensor x0 = rnd({4, 3, 5, 5}, 178, -1, 1, false).to(dt), gy = rnd({4, 3, 5, 5}, 179, -1, 1, false).to(dt);
      const Tensor w0 = rnd({3}, 180, 0.5, 1.5, false).to(dt), b0 = rnd({3}, 181, -0.3, 0.3, false).to(dt);
      Tensor xs[2], ws[2], bs[2], means[2], vars[2], ys[2];
      for (int k = 0; k < 2; ++k) {
        xs[k] = x0.clone().requires_grad_(), ws[k] = w0.clone().requires_grad_(), bs[k] = b0.clone().requires_grad_();
        means[k] = rnd({3}, 182, -0.2, 0.2, false).to(dt), vars[k] = rnd({3}, 183, 0.5, 1.5, false).to(dt);
      }
      ys[0] = batch_norm_relu(xs[0], means[0], vars[0], ws[0], bs[0], training);
      ys[1] = relu(batch_norm(xs[1], means[1], vars[1], ws[1], bs[1], training));
      CHECK(max_abs_diff(ys[0], ys[1]) == 0);
      CHECK(max(neg(ys[0].detach())).item() == 0);  // the ReLU did cut something: its minimum is 0
      CHECK(max_abs_diff(means[0], means[1]) == 0);
      CHECK(max_abs_diff(vars[0], vars[1]) == 0);
      for (int k = 0; k < 2; ++k) ys[k].backward(gy);
      CHECK(max_abs_diff(xs[0].grad(), xs[1].grad()) == 0);
      CHECK(max_abs_diff(ws[0].grad(), ws[1].grad()) == 0);
      CHECK(max_abs_diff(bs[0].grad(), bs[1].grad()) == 0);
    }
}

TEST_CASE("gradcheck: dropout (same mask on every call)") {
  const Tensor x = rnd({4, 5}, 81);
  check_grad([](Ts v) {
    Generator g(3);
    return dropout(v[0], 0.4, true, &g);
  }, {x});
}
