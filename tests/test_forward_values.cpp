// Forward values against independent references: hand computations, direct (loop) definitions of
// convolution and pooling, and numbers printed by PyTorch 1.13 (Debian python3-torch) for the ops
// whose semantics are easy to get subtly wrong. Each PyTorch number says how it was produced.
#include "autograd/conv_winograd.h"
#include "autograd/conv_reference.h"
#include "autograd/elementwise_math.h"
#include "autograd/pool_math.h"
#include <cmath>
#include "helpers.h"

using namespace easel;
using namespace easel::test;

TEST_CASE("conv2d by hand") {
  // 3x3 input 0..8, 2x2 kernel of ones: each output is the sum of a 2x2 window.
  const Tensor x = Tensor::arange(9).reshape({1, 1, 3, 3}), w = Tensor::ones({1, 1, 2, 2});
  check_values(conv2d(x, w), {8, 12, 20, 24});
  check_values(conv2d(x, w, Tensor::from({1}, {1})), {9, 13, 21, 25});
}

TEST_CASE("conv2d equals the direct definition for every option, f32 and f64") {
  struct Case { Shape x, w; Conv2dOptions o; };
  Conv2dOptions rect;
  rect.stride = Hw(2, 1), rect.padding = Hw(1, 2), rect.dilation = Hw(2, 1);
  const std::vector<Case> cases = {
      {{2, 3, 9, 8}, {5, 3, 3, 3}, {1, 1}},       {{1, 4, 9, 9}, {6, 2, 3, 3}, {2, 1, 1, 2}},
      {{3, 6, 7, 7}, {6, 1, 3, 3}, {1, 1, 1, 6}}, {{2, 4, 8, 8}, {8, 1, 5, 5}, {2, 2, 1, 4}},
      {{2, 8, 5, 5}, {3, 8, 1, 1}, {}},           {{1, 3, 10, 11}, {4, 3, 3, 2}, rect},
      {{4, 2, 6, 6}, {3, 2, 3, 3}, {1, 3, 3}},
      // >= 1024 output pixels and a batch that fills the threads: the per-image strategy
      {{3, 4, 34, 34}, {6, 2, 3, 3}, {1, 1, 1, 2}}, {{2, 3, 40, 40}, {4, 3, 1, 1}, {}}};
  uint64_t seed = 100;
  for (const Case& c : cases) {
    const Tensor x = rnd(c.x, seed++, -1, 1, false), w = rnd(c.w, seed++, -1, 1, false), b = rnd({c.w[0]}, seed++, -1, 1, false);
    const Tensor ref = conv2d_reference(x, w, b, c.o);
    CHECK(max_abs_diff(conv2d(x, w, b, c.o), ref) < 1e-12);
    CHECK(max_abs_diff(conv2d(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32), c.o), ref) < 1e-4);
  }
}

TEST_CASE("pooling matches PyTorch on a 5x7 ramp (torch.arange(35.).reshape(1,1,5,7))") {
  const Tensor x = Tensor::arange(35, DType::f64).reshape({1, 1, 5, 7});
  // F.adaptive_avg_pool2d(x, (3, 4))
  check_values(adaptive_avg_pool2d(x, Hw(3, 4)), {4, 5.5, 7.5, 9, 14.5, 16, 18, 19.5, 25, 26.5, 28.5, 30});
  AvgPool2dOptions a;
  a.kernel = 3, a.stride = Hw(2), a.padding = 1, a.ceil_mode = true;
  // F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)
  check_values(avg_pool2d(x, a), {1.7777777778, 3.6666666667, 5, 4, 9.6666666667, 16, 18, 13, 11.1111111111,
                                  17.6666666667, 19, 13.3333333333}, 1e-9);
  a.count_include_pad = false;  // ... count_include_pad=False
  check_values(avg_pool2d(x, a), {4, 5.5, 7.5, 9, 14.5, 16, 18, 19.5, 25, 26.5, 28.5, 30});
  MaxPool2dOptions m;
  m.kernel = 3, m.stride = Hw(2), m.padding = 1, m.ceil_mode = true;
  // F.max_pool2d(x, 3, 2, 1, ceil_mode=True)
  check_values(max_pool2d(x, m), {8, 10, 12, 13, 22, 24, 26, 27, 29, 31, 33, 34});
  m.ceil_mode = false;
  CHECK(max_pool2d(x, m).shape() == Shape{1, 1, 3, 4});
}

TEST_CASE("broadcasting over trailing dims (a per-plane operand) equals the general strided walk") {
  // b [N, C, 1, 1] (or [N, C, H, 1]) against a full [N, C, H, W] takes a per-row fast path; the same
  // values through a non-contiguous b take the strided walk. Both operand orders, four ops, f32 and f64.
  for (DType dt : {DType::f32, DType::f64})
    for (Shape bs : {Shape{2, 3, 1, 1}, Shape{2, 3, 4, 1}, Shape{2, 1, 1, 1}}) {
      const Tensor a = rnd({2, 3, 4, 5}, 61, -1, 1, false).to(dt);
      // b's values twice: as a slice of a wider tensor (non-contiguous) and as a dense copy.
      const Tensor wide = rnd({bs[0], bs[1], bs[2], 2}, 62, 0.5, 2, false).to(dt);
      const Tensor strided = wide.slice(3, 0, 1), b = strided.contiguous();
      REQUIRE(!strided.is_contiguous());
      for (int op = 0; op < 4; ++op) {
        auto f = [op](const Tensor& x, const Tensor& y) {
          return op == 0 ? add(x, y) : op == 1 ? sub(x, y) : op == 2 ? mul(x, y) : div(x, y);
        };
        CHECK(max_abs_diff(f(a, b), f(a, strided)) == 0);
        CHECK(max_abs_diff(f(b, a), f(strided, a)) == 0);
      }
      // And against numbers by hand: out[n, c, h, w] = a[n, c, h, w] · b[n, c, h or 0, 0].
      const Tensor p = mul(a, b).to(DType::f64), a64 = a.to(DType::f64), b64 = b.to(DType::f64);
      const int64_t n = 1, c = bs[1] == 1 ? 0 : 2, h = 3, w = 4;
      const double want = a64.at({n, c, h, w}) * b64.at({n, bs[1] == 1 ? 0 : c, bs[2] == 1 ? 0 : h, 0});
      CHECK(p.at({n, c, h, w}) == doctest::Approx(want).epsilon(dt == DType::f32 ? 1e-6 : 1e-15));
    }
}

TEST_CASE("max_pool2d: the strip paths equal max_window, values and argmax (gradient routing)") {
  // Dilation 1 takes max_pool_values (a column max into a strip, then across it) and, when a
  // gradient is wanted, max_pool_argmax; max_window (autograd/pool_math.h) is the reference.
  // Ties (ReLU zeros, a -0), -inf and NaN included: the same values, and each output's gradient
  // routed to the same element (the first maximal one in row-major order, the last NaN).
  int cases = 0;
  for (DType dt : {DType::f32, DType::f64})
    for (Hw size : {Hw(7), Hw(8), Hw{5, 9}, Hw{1, 6}})
      for (Hw kernel : {Hw(2), Hw(3), Hw{3, 2}, Hw(1)})
        for (Hw stride : {Hw(1), Hw(2), Hw{2, 1}})
          for (int padding : {0, 1})
            for (bool ceil_mode : {false, true}) {
              if (2 * padding > std::min(kernel.h, kernel.w) || kernel.h > size.h + 2 * padding) continue;
              MaxPool2dOptions m;
              m.kernel = kernel, m.stride = stride, m.padding = padding, m.ceil_mode = ceil_mode;
              Tensor x64 = relu(rnd({2, 3, size.h, size.w}, uint64_t(cases) + 1, -1, 1, false));
              double* px = x64.data<double>();
              px[4] = NAN, px[6] = NAN, px[size.h * size.w + 1] = -INFINITY, px[2 * size.h * size.w] = -0.0;
              const Tensor x = x64.to(dt);
              const Tensor values = max_pool2d(x, m);
              const Tensor xg = x.detach().requires_grad_();
              const Tensor indexed = max_pool2d(xg, m);
              indexed.backward(Tensor::ones(indexed.shape(), dt));
              // The reference: max_window over each plane of the f64 copy, and how often each
              // element is some window's argmax (the gradient of the sum of outputs).
              const math::PoolShape g{size.h, size.w, values.size(2), values.size(3), kernel.h, kernel.w, stride.h,
                                      stride.w, padding, padding, 1, 1, false};
              std::vector<double> ref_y, ref_count(size_t(x.numel()), 0);
              for (int64_t pl = 0; pl < 6; ++pl)
                for (int64_t oh = 0; oh < g.OH; ++oh)
                  for (int64_t ow = 0; ow < g.OW; ++ow) {
                    int64_t arg = -1;
                    ref_y.push_back(math::max_window(g, x.to(DType::f64).data<double>() + pl * size.h * size.w, oh, ow, &arg));
                    if (arg >= 0) ref_count[size_t(pl * size.h * size.w + arg)] += 1;
                  }
              const Tensor va = values.to(DType::f64), vb = indexed.detach().to(DType::f64), gx = xg.grad().to(DType::f64);
              REQUIRE(va.numel() == int64_t(ref_y.size()));
              bool same = true;
              for (int64_t k = 0; k < va.numel(); ++k) {
                const double r = ref_y[size_t(k)], a = va.data<double>()[k], b = vb.data<double>()[k];
                same = same && (std::isnan(r) ? std::isnan(a) && std::isnan(b) : a == r && b == r && std::signbit(b) == std::signbit(r));
              }
              for (int64_t k = 0; k < gx.numel(); ++k) same = same && gx.data<double>()[k] == ref_count[size_t(k)];
              CHECK_MESSAGE(same, "kernel ", kernel.h, "x", kernel.w, " stride ", stride.h, "x", stride.w, " padding ",
                            padding, " ceil ", ceil_mode, " input ", x.describe());
              ++cases;
            }
  CHECK(cases > 200);
  // Signed zeros: in row-major order (0, 1), a -0, is the first maximal element; the strip meets
  // the +0 at (1, 0) first. With a gradient wanted, the value is the argmax element's own.
  const Tensor z = Tensor::from({-1.0, -0.0, 0.0, -1.0}, {1, 1, 2, 2}, DType::f64).requires_grad_();
  MaxPool2dOptions two;
  const Tensor zy = max_pool2d(z, two);
  CHECK(std::signbit(zy.item()));
  zy.backward(Tensor::ones({1, 1, 1, 1}, DType::f64));
  check_values(z.grad(), {0, 1, 0, 0});
}

TEST_CASE("pooling and convolution at the edges: a window wholly in the padding, a kernel that does not fit") {
  // A dilated window can see only padding: its maximum is -inf and it routes no gradient (PyTorch's
  // kernel starts from -inf with index -1 too).
  MaxPool2dOptions m;
  m.kernel = 2, m.stride = Hw(1), m.padding = 1, m.dilation = 2;
  const Tensor x = Tensor::from({5.0}, {1, 1, 1, 1}, DType::f64).requires_grad_();
  const Tensor y = max_pool2d(x, m);
  REQUIRE(y.shape() == Shape{1, 1, 1, 1});
  CHECK(y.item() == -INFINITY);
  y.backward(Tensor::ones({1, 1, 1, 1}, DType::f64));
  CHECK(x.grad().item() == 0);
  // No window fits: an error, not an output of size 1 from rounding a negative span towards zero.
  m.dilation = 3, m.stride = Hw(2);
  CHECK(error_of([&] { max_pool2d(Tensor::zeros({1, 1, 1, 1}), m); }).find("too small for a 2x2 window") != std::string::npos);
  Conv2dOptions c;
  c.stride = 2;
  CHECK(error_of([] { conv2d(Tensor::zeros({1, 1, 2, 2}), Tensor::zeros({1, 1, 3, 3}), Tensor(), Conv2dOptions{}); })
            .find("smaller than the 3x3 kernel") != std::string::npos);
  CHECK(error_of([&] { conv2d(Tensor::zeros({1, 1, 2, 2}), Tensor::zeros({1, 1, 3, 3}), Tensor(), c); })
            .find("smaller than the 3x3 kernel") != std::string::npos);
}

TEST_CASE("direct depthwise convolution equals im2col where a strided tap starts right of the input") {
  // A 5x5 / 2 depthwise kernel (pad 2) on maps 2 wide: tap column 4 starts at column 2 = W, past
  // the row for every output. (W - 1 - off) / s rounded -1/2 towards 0 and read the next row's
  // first pixel (past the buffer at the last row); found by ASan in the device suite's f32 nets.
  Conv2dOptions o;
  o.stride = 2, o.padding = 2, o.groups = 3;
  Generator g(57);
  const Tensor x = Tensor::uniform({2, 3, 5, 2}, -1, 1, DType::f64, &g), w = Tensor::uniform({3, 1, 5, 5}, -1, 1, DType::f64, &g);
  const Tensor gy = Tensor::uniform({2, 3, 3, 1}, -1, 1, DType::f64, &g);
  std::vector<Tensor> outs;
  for (ConvAlgorithm a : {ConvAlgorithm::automatic, ConvAlgorithm::im2col}) {
    set_conv_algorithm(a);
    const Tensor xi = x.clone().requires_grad_(), wi = w.clone().requires_grad_();
    const Tensor y = conv2d(xi, wi, Tensor(), o);
    y.backward(gy);
    outs.insert(outs.end(), {y.detach(), xi.grad(), wi.grad()});
  }
  set_conv_algorithm(ConvAlgorithm::automatic);
  CHECK(max_abs_diff(outs[0], outs[3]) < 1e-14);
  CHECK(max_abs_diff(outs[1], outs[4]) < 1e-14);
  CHECK(max_abs_diff(outs[2], outs[5]) < 1e-14);
}

TEST_CASE("cross_entropy matches PyTorch's weighted, label-smoothed semantics") {
  // x, t, w as below; values from F.cross_entropy(x, t, weight=w, label_smoothing=0.2, reduction=...)
  const Tensor x = Tensor::from({1, 2, 0.5, 0.1, -1, 3, 2, 2, -2, 0, 0.3, 0.2}, {4, 3}, DType::f64);
  const Tensor t = Tensor::from({0, 2, 1, 2}, {4}, DType::i64);
  const Tensor w = Tensor::from({1, 2, 0.5}, {3}, DType::f64);
  CrossEntropyOptions o;
  CHECK(cross_entropy(x, t, o).item() == doctest::Approx(0.8275813094082975).epsilon(1e-12));
  o.weight = w;
  CHECK(cross_entropy(x, t, o).item() == doctest::Approx(0.8601854982573025).epsilon(1e-12));
  o.label_smoothing = 0.2;
  CHECK(cross_entropy(x, t, o).item() == doctest::Approx(1.0670840374677781).epsilon(1e-12));
  o.reduction = Reduction::sum;
  CHECK(cross_entropy(x, t, o).item() == doctest::Approx(4.2683361498711125).epsilon(1e-12));
  o.reduction = Reduction::none;
  check_values(cross_entropy(x, t, o), {1.3965144102, 0.7714903387, 1.4208160893, 0.6795153116}, 1e-9);
  CrossEntropyOptions s;
  s.label_smoothing = 0.2;
  CHECK(cross_entropy(x, t, s).item() == doctest::Approx(1.0025813094082976).epsilon(1e-12));
  // f32 agrees too
  CHECK(cross_entropy(x.to(DType::f32), t).item() == doctest::Approx(0.8275813094082975).epsilon(1e-6));
}

TEST_CASE("binary_cross_entropy_with_logits matches PyTorch") {
  const Tensor x = Tensor::from({1, 2, 0.5, 0.1, -1, 3, 2, 2, -2, 0, 0.3, 0.2}, {4, 3}, DType::f64);
  const Tensor y = Tensor::from({1, 0, 0.5, 0, 1, 1, 1, 0.2, 0, 0, 0, 1}, {4, 3}, DType::f64);
  const Tensor pw = Tensor::from({2, 1, 0.5}, {3}, DType::f64);
  CHECK(binary_cross_entropy_with_logits(x, y).item() == doctest::Approx(0.7830781424538183).epsilon(1e-12));
  CHECK(binary_cross_entropy_with_logits(x, y, pw).item() == doctest::Approx(0.7829370876236935).epsilon(1e-12));
  // stable far from 0: log(1 + e^-1000) = 0, and the loss of a confident wrong logit is ~|x|
  CHECK(binary_cross_entropy_with_logits(Tensor::from({1000, -1000}, {2}, DType::f64), Tensor::from({1, 1}, {2}, DType::f64),
                                         Tensor(), Reduction::sum).item() == doctest::Approx(1000));
}

TEST_CASE("activations match PyTorch (F.gelu, F.hardswish) and their definitions") {
  check_values(gelu(Tensor::from({-1, 0.5, 2}, {3}, DType::f64)), {-0.1586552539, 0.3457312306, 1.9544997361}, 1e-9);
  check_values(hardswish(Tensor::from({-4, -1, 0.5, 4}, {4}, DType::f64)), {0, -1.0 / 3, 0.2916666667, 4}, 1e-9);
  const Tensor v = Tensor::from({-7, -1, 0, 2, 8}, {5}, DType::f64);
  check_values(relu(v), {0, 0, 0, 2, 8});
  check_values(relu6(v), {0, 0, 0, 2, 6});
  check_values(leaky_relu(v, 0.1), {-0.7, -0.1, 0, 2, 8});
  check_values(sigmoid(Tensor::from({-800, 0, 800}, {3}, DType::f64)), {0, 0.5, 1});  // no overflow
  check_values(silu(Tensor::from({1}, {1}, DType::f64)), {1 / (1 + std::exp(-1.0))});
  check_values(clamp(v, -1, 3), {-1, -1, 0, 2, 3});
}

TEST_CASE("softmax is stable and sums to one") {
  const Tensor x = Tensor::from({1000, 1001, 1002, -5, 0, 5}, {2, 3}, DType::f64);
  const Tensor p = softmax(x, 1);
  const double e = std::exp(1.0), z = 1 + e + e * e;
  check_values(p.slice(0, 0, 1), {1 / z, e / z, e * e / z}, 1e-12);
  check_values(sum(p, {1}), {1, 1}, 1e-12);
  check_values(log_softmax(x, 1).slice(0, 0, 1), {-std::log(z), 1 - std::log(z), 2 - std::log(z)}, 1e-12);
}

TEST_CASE("reductions by hand") {
  const Tensor x = Tensor::from({1, 2, 4, 7, 0, -3}, {2, 3}, DType::f64);
  check_values(sum(x, {0}), {8, 2, 1});
  check_values(sum(x, {1}, true), {7, 4});
  CHECK(sum(x, {1}, true).shape() == Shape{2, 1});
  check_values(mean(x, {1}), {7.0 / 3, 4.0 / 3});
  CHECK(var(Tensor::from({1, 2, 4, 7}, {4})).item() == doctest::Approx(7.0));  // torch.var: 7
  CHECK(var(Tensor::from({1, 2, 4, 7}, {4}), {}, 0).item() == doctest::Approx(5.25));
  check_values(max(x, 1), {4, 7});
  check_values(argmax(x, 0), {1, 0, 0});
  check_values(argmax(Tensor::from({3, 1, 3}, {3}), 0), {0});  // first maximum
  CHECK(max(x).item() == 7);
  CHECK(sum(Tensor::ones({1000000})).item() == 1000000);  // accumulates in double
}

TEST_CASE("matmul and linear by hand") {
  const Tensor a = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}), b = Tensor::from({1, 0, 0, 1, 1, 1}, {3, 2});
  check_values(matmul(a, b), {4, 5, 10, 11});
  check_values(linear(a, b.transpose(0, 1), Tensor::from({10, 20}, {2})), {14, 25, 20, 31});
  const Tensor batched = matmul(Tensor::ones({4, 2, 3}), b);
  CHECK(batched.shape() == Shape{4, 2, 2});
  check_values(batched.slice(0, 3, 4), {2, 2, 2, 2});
}

TEST_CASE("batch_norm: normalises with batch statistics and updates running stats as PyTorch") {
  const Tensor x = Tensor::from({1, 3, 2, 6, 3, 9, 4, 12}, {4, 2}, DType::f64);  // channel 0: 1,2,3,4; channel 1: 3,6,9,12
  Tensor rm = Tensor::zeros({2}, DType::f64), rv = Tensor::ones({2}, DType::f64);
  const Tensor y = batch_norm(x, rm, rv, Tensor(), Tensor(), true, 0.1, 0);
  const double s = std::sqrt(1.25);  // biased std of 1,2,3,4
  check_values(y.select(1, 0), {-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s}, 1e-12);
  check_values(y.select(1, 1), {-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s}, 1e-12);
  check_values(rm, {0.25, 0.75});                              // 0.9·0 + 0.1·mean
  check_values(rv, {0.9 + 0.1 * 5.0 / 3, 0.9 + 0.1 * 15.0});  // unbiased variances 5/3 and 15
  const Tensor e = batch_norm(x, rm, rv, Tensor::from({2, 2}, {2}, DType::f64), Tensor::from({1, 1}, {2}, DType::f64), false);
  CHECK(e.at({0, 0}) == doctest::Approx((1 - 0.25) / std::sqrt(0.9 + 0.5 / 3 + 1e-5) * 2 + 1));
  CHECK(error_of([] { batch_norm(Tensor::zeros({1, 2}), Tensor(), Tensor(), Tensor(), Tensor(), true); })
            .find("more than 1 value per channel") != std::string::npos);
}

TEST_CASE("dropout: train zeroes about p and rescales, eval is the identity") {
  Generator g(5);
  const Tensor x = Tensor::ones({100000});
  const std::vector<double> y = dropout(x, 0.25, true, &g).to_vector();
  double zeros = 0, total = 0, other = 0;
  for (double v : y) {
    zeros += v == 0;
    total += v;
    other += v != 0 && std::abs(v - 1 / 0.75) > 1e-6;
  }
  CHECK(other == 0);  // every element is 0 or 1/(1-p)
  CHECK(std::abs(zeros / 100000 - 0.25) < 0.01);
  CHECK(std::abs(total / 100000 - 1) < 0.02);  // expectation preserved
  CHECK(max_abs_diff(dropout(x, 0.25, false), x) == 0);
}

TEST_CASE("pad and concat by hand") {
  const Tensor x = Tensor::from({1, 2, 3, 4}, {1, 2, 2});
  check_values(pad(x, {1, 0, 0, 1}), {0, 1, 2, 0, 3, 4, 0, 0, 0});
  check_values(pad(x, {-1, 0}), {2, 4});
  check_values(concat({x, x * 10.0}, 2), {1, 2, 10, 20, 3, 4, 30, 40});
  CHECK(split(Tensor::zeros({5, 2}), 2, 0).size() == 3);
  CHECK(chunk(Tensor::zeros({5, 2}), 2, 0)[1].shape() == Shape{2, 2});
}

TEST_CASE("f32 sigmoid and SiLU: the vectorisable exp is within 3 ulp, saturates, and keeps NaN") {
  double worst_exp = 0, worst_sigmoid = 0;
  for (double x = -87; x <= 88; x += 0.001953125 * 7) {  // 12800 points, off the grid of powers of two
    const double want = std::exp(double(float(x)));
    worst_exp = std::max(worst_exp, std::fabs(double(math::exp_saturating(float(x))) - want) / want);
  }
  for (double x = -120; x <= 120; x += 0.0137) {
    const double xf = double(float(x)), want = 1 / (1 + std::exp(-xf));
    worst_sigmoid = std::max(worst_sigmoid, std::fabs(double(math::sigmoid_of(float(x))) - want));
  }
  CHECK(worst_exp < 3.6e-7);      // 3 ulp of float
  CHECK(worst_sigmoid < 1.2e-7);  // absolute: σ is in [0, 1]
  CHECK(math::sigmoid_of(-200.f) == 0.f);
  CHECK(math::sigmoid_of(-87.5f) == 0.f);  // true value 1e-38: below f32's normal range
  CHECK(math::sigmoid_of(-80.f) > 0.f);
  CHECK(math::sigmoid_of(200.f) == 1.f);
  CHECK(math::exp_saturating(1000.f) == doctest::Approx(std::exp(88.0)).epsilon(1e-6));
  CHECK(std::isnan(math::exp_saturating(std::nanf(""))));
  CHECK(std::isnan(math::sigmoid_of(std::nanf(""))));
  // Through the op, on a tensor: silu(NaN) stays NaN (the divergence check relies on it).
  const Tensor y = silu(Tensor::from({-3, 0, 2, NAN, -INFINITY}, {5}, DType::f32));
  CHECK(y.at({0}) == doctest::Approx(-3 / (1 + std::exp(3.0))).epsilon(1e-6));
  CHECK(y.at({1}) == 0);
  CHECK(std::isnan(y.at({3})));
  CHECK(std::isnan(y.at({4})));  // -∞ · σ(-∞) = -∞ · 0, as PyTorch
}
