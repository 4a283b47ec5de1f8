// Every convolution algorithm against the plain definition (autograd/conv_reference.h) and against
// each other: forward values, input and weight gradients, f32 and f64, each path forced on small
// shapes; and a gradcheck through each forced path.
#include "autograd/conv_reference.h"
#include "autograd/conv_depthwise.h"
#include "autograd/conv_winograd.h"
#include "helpers.h"

using namespace easel;
using namespace easel::test;

namespace {

struct ForceAlgorithm {  // conv2d uses `a` while this lives
  explicit ForceAlgorithm(ConvAlgorithm a) : prev(conv_algorithm()) { set_conv_algorithm(a); }
  ~ForceAlgorithm() { set_conv_algorithm(prev); }
  ConvAlgorithm prev;
};

struct Grads {
  Tensor y, gx, gw, gb;
};

// y = conv2d(x, w, b), and the gradients of Σ y·r for a fixed random r (so every output counts).
Grads run(const Tensor& x0, const Tensor& w0, const Tensor& b0, const Conv2dOptions& o, ConvAlgorithm a, DType dt) {
  ForceAlgorithm force(a);
  Tensor x = x0.to(dt).clone().requires_grad_(), w = w0.to(dt).clone().requires_grad_(),
         b = b0.to(dt).clone().requires_grad_();
  const Tensor y = conv2d(x, w, b, o);
  const Tensor r = rnd(y.shape(), 7, -1, 1, false).to(dt);
  sum(y * r).backward();
  return {y.detach(), x.grad(), w.grad(), b.grad()};
}

}  // namespace

TEST_CASE("3x3 stride-1 convolution: im2col and Winograd equal the definition, f32 and f64, with gradients") {
  struct Case { Shape x, w; int64_t pad; };
  const std::vector<Case> cases = {
      {{1, 2, 5, 5}, {3, 2, 3, 3}, 1},   {{2, 3, 6, 7}, {4, 3, 3, 3}, 1},  {{3, 4, 7, 6}, {2, 4, 3, 3}, 0},
      {{1, 5, 4, 9}, {6, 5, 3, 3}, 2},   {{2, 17, 9, 8}, {16, 17, 3, 3}, 1},  {{1, 3, 3, 3}, {2, 3, 3, 3}, 1}};
  uint64_t seed = 500;
  for (const Case& c : cases) {
    CAPTURE(shape_str(c.x));
    CAPTURE(c.pad);
    const Tensor x = rnd(c.x, seed++, -1, 1, false), w = rnd(c.w, seed++, -1, 1, false), b = rnd({c.w[0]}, seed++, -1, 1, false);
    const Conv2dOptions o{1, c.pad};
    const Tensor ref = conv2d_reference(x, w, b, o);
    const Grads f64_im2col = run(x, w, b, o, ConvAlgorithm::im2col, DType::f64);
    for (ConvAlgorithm a : {ConvAlgorithm::im2col, ConvAlgorithm::winograd}) {
      CAPTURE(int(a));
      const Grads d = run(x, w, b, o, a, DType::f64), f = run(x, w, b, o, a, DType::f32);
      CHECK(max_abs_diff(d.y, ref) < 1e-12);
      CHECK(max_abs_diff(f.y, ref) < 1e-4);
      // The gradients of the other path (the im2col one is gradchecked below and in test_gradcheck_nn)
      CHECK(max_abs_diff(d.gx, f64_im2col.gx) < 1e-12);
      CHECK(max_abs_diff(d.gw, f64_im2col.gw) < 1e-11);
      CHECK(max_abs_diff(d.gb, f64_im2col.gb) < 1e-12);
      CHECK(max_abs_diff(f.gx, f64_im2col.gx) < 1e-4);
      CHECK(max_abs_diff(f.gw, f64_im2col.gw) < 1e-3);
    }
  }
}

TEST_CASE("Winograd over several tile chunks agrees with im2col, f64") {
  // 1 image of 80x80, 24 -> 24 channels: 1600 tiles, more than one chunk of transformed data.
  const Tensor x = rnd({1, 24, 80, 80}, 40, -1, 1, false), w = rnd({24, 24, 3, 3}, 41, -1, 1, false),
               b = rnd({24}, 42, -1, 1, false);
  const Grads a = run(x, w, b, {1, 1}, ConvAlgorithm::im2col, DType::f64);
  const Grads c = run(x, w, b, {1, 1}, ConvAlgorithm::winograd, DType::f64);
  CHECK(max_abs_diff(a.y, c.y) < 1e-11);
  CHECK(max_abs_diff(a.gx, c.gx) < 1e-11);
  CHECK(max_abs_diff(a.gw, c.gw) < 1e-9);
}

TEST_CASE("f32 Winograd at network sizes (few tiles, many channels) agrees with im2col and the f64 result") {
  // resnet layer3 / layer4 shapes at small inputs: the 16 GEMMs are narrow (18 or 8 tile columns),
  // the case where the blocked GEMM takes its narrow-strip kernel.
  for (const auto& shapes : std::vector<std::pair<Shape, Shape>>{{{2, 256, 6, 6}, {256, 256, 3, 3}},
                                                                  {{2, 64, 4, 4}, {96, 64, 3, 3}},
                                                                  {{1, 40, 14, 14}, {48, 40, 3, 3}}}) {
    const Shape &xs = shapes.first, &ws = shapes.second;
    CAPTURE(shape_str(xs));
    const Tensor x = rnd(xs, 60, -1, 1, false), w = rnd(ws, 61, -0.1, 0.1, false),
                 b = rnd({ws[0]}, 62, -1, 1, false);
    const Grads want = run(x, w, b, {1, 1}, ConvAlgorithm::im2col, DType::f64);
    for (ConvAlgorithm a : {ConvAlgorithm::im2col, ConvAlgorithm::winograd}) {
      CAPTURE(int(a));
      const Grads f = run(x, w, b, {1, 1}, a, DType::f32);
      CHECK(max_abs_diff(f.y, want.y) < 1e-4);
      CHECK(max_abs_diff(f.gx, want.gx) < 1e-4);
      CHECK(max_abs_diff(f.gw, want.gw) < 1e-3);
    }
  }
}

TEST_CASE("gradcheck: conv2d through each forced algorithm") {
  for (ConvAlgorithm a : {ConvAlgorithm::im2col, ConvAlgorithm::winograd}) {
    ForceAlgorithm force(a);
    for (int64_t pad : {0, 1, 2}) {
      CAPTURE(int(a));
      CAPTURE(pad);
      const std::vector<Tensor> in{rnd({2, 3, 5, 6}, 80 + pad), rnd({4, 3, 3, 3}, 90 + pad), rnd({4}, 95 + pad)};
      check_grad([pad](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], v[2], {1, pad}); }, in);
    }
  }
}

TEST_CASE("automatic choice: Winograd only where it applies") {
  // Forcing Winograd on a convolution it cannot do (stride 2, dilation, groups) falls back to
  // im2col and still equals the definition.
  ForceAlgorithm force(ConvAlgorithm::winograd);
  Conv2dOptions dil{1, 2, 2};
  for (const auto& [xs, ws, o] : std::vector<std::tuple<Shape, Shape, Conv2dOptions>>{
           {{1, 2, 7, 7}, {3, 2, 3, 3}, {2, 1}}, {{1, 2, 7, 7}, {3, 2, 3, 3}, dil}, {{1, 4, 6, 6}, {4, 2, 3, 3}, {1, 1, 1, 2}}}) {
    const Tensor x = rnd(xs, 3, -1, 1, false), w = rnd(ws, 4, -1, 1, false);
    CHECK(max_abs_diff(conv2d(x, w, Tensor(), o), conv2d_reference(x, w, Tensor(), o)) < 1e-12);
  }
}

TEST_CASE("depthwise: the plane and row loops equal the definition, forward and both gradients, f32 and f64") {
  // 3×3 and 5×5, channel multiplier 1 and 2, padding 0 / 1 / 2, dilation 2, maps from 1×1 to 9×8.
  // The last case: a 3×5 kernel with padding (1, 2) and dilation (1, 2): height and width apart.
  struct Case { Shape x; int64_t m, kh, kw, ph, pw, dh, dw; };
  const std::vector<Case> cases = {{{2, 3, 7, 7}, 1, 3, 3, 1, 1, 1, 1}, {{1, 4, 9, 8}, 2, 5, 5, 2, 2, 1, 1},
                                   {{2, 2, 6, 5}, 1, 3, 3, 0, 0, 1, 1}, {{1, 3, 8, 8}, 1, 3, 3, 2, 2, 2, 2},
                                   {{3, 2, 1, 1}, 2, 3, 3, 1, 1, 1, 1}, {{1, 5, 14, 14}, 1, 5, 5, 2, 2, 1, 1},
                                   {{2, 2, 7, 9}, 1, 3, 5, 1, 2, 1, 2}};
  uint64_t seed = 700;
  for (const Case& c : cases) {
    CAPTURE(shape_str(c.x));
    CAPTURE(c.kw);
    const int64_t C = c.x[1], O = C * c.m;
    Conv2dOptions o;
    o.padding = {c.ph, c.pw}, o.dilation = {c.dh, c.dw}, o.groups = C;
    const Tensor x = rnd(c.x, seed++, -1, 1, false), w = rnd({O, 1, c.kh, c.kw}, seed++, -1, 1, false),
                 b = rnd({O}, seed++, -1, 1, false);
    const Tensor y_ref = conv2d_reference(x, w, b, o);
    const int64_t OH = y_ref.size(2), OW = y_ref.size(3);
    const Tensor gy = rnd(y_ref.shape(), seed++, -1, 1, false);
    // The reference gradients: the im2col path (gradchecked) in f64.
    const Grads want = [&] {
      ForceAlgorithm force(ConvAlgorithm::im2col);
      const Tensor xi = x.clone().requires_grad_(), wi = w.clone().requires_grad_();
      conv2d(xi, wi, Tensor(), o).backward(gy);
      return Grads{Tensor(), xi.grad(), wi.grad(), Tensor()};
    }();
    const DepthwiseShape s{c.x[0], C, c.x[2], c.x[3], c.m, OH, OW, c.kh, c.kw, 1, 1, c.ph, c.pw, c.dh, c.dw};
    auto check = [&](auto zero, double tol) {
      using T = decltype(zero);
      const DType dt = dtype_of<T>();
      const Tensor X = x.to(dt), Wt = w.to(dt), B = b.to(dt), GY = gy.to(dt);
      for (bool plane : {false, true}) {
        CAPTURE(plane);
        Tensor y = Tensor::full(y_ref.shape(), 7.0, dt), gx = Tensor::zeros(x.shape(), dt), gw = Tensor::zeros(w.shape(), dt);
        if (plane) {
          depthwise_forward_plane<T>(s, X.data<T>(), Wt.data<T>(), B.data<T>(), y.data<T>());
          depthwise_backward_plane<T>(s, X.data<T>(), Wt.data<T>(), GY.data<T>(), gx.data<T>(), gw.data<T>());
        } else {
          depthwise_forward_rows<T>(s, X.data<T>(), Wt.data<T>(), B.data<T>(), y.data<T>());
          depthwise_backward_rows<T>(s, X.data<T>(), Wt.data<T>(), GY.data<T>(), gx.data<T>(), gw.data<T>());
        }
        CHECK(max_abs_diff(y, y_ref) < tol);
        CHECK(max_abs_diff(gx, want.gx) < tol);
        CHECK(max_abs_diff(gw, want.gw) < 10 * tol);
      }
    };
    check(double{}, 1e-12);
    check(float{}, 2e-5);
  }
}
