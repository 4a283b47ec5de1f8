// The layer ops on a CUDA device against the CPU: convolution (im2col / col2im + cuBLAS), pooling,
// batch norm, max / argmax, binary cross-entropy and dropout; forward, backward and gradcheck.
#include <doctest/doctest.h>

#include "autograd/cuda/conv.h"
#include "autograd/gradcheck.h"
#include "autograd/ops.h"
#include "tests/cuda/device_check.h"

using namespace easel;
using namespace easel::device_check;

namespace {

struct ConvCase {
  const char* name;
  Shape x, w;
  Conv2dOptions opt;
  bool bias;
};

Conv2dOptions conv_opt(Hw stride, Hw padding, Hw dilation = 1, int64_t groups = 1) {
  Conv2dOptions o;
  o.stride = stride, o.padding = padding, o.dilation = dilation, o.groups = groups;
  return o;
}

}  // namespace

TEST_SUITE("cuda") {

TEST_CASE("convolutions equal the CPU, forward and backward, in every shape the nets use") {
  const std::vector<ConvCase> cases = {
      {"3x3 pad 1", {2, 3, 7, 6}, {4, 3, 3, 3}, conv_opt(1, 1), true},
      {"3x3 stride 2, no bias", {2, 4, 9, 8}, {5, 4, 3, 3}, conv_opt(2, 1), false},
      {"1x1", {3, 6, 5, 5}, {4, 6, 1, 1}, conv_opt(1, 0), true},
      {"1x1 stride 2 (a downsample)", {2, 4, 6, 7}, {8, 4, 1, 1}, conv_opt(2, 0), false},
      {"7x7 stride 2 pad 3 (a stem)", {2, 3, 13, 11}, {4, 3, 7, 7}, conv_opt(2, 3), false},
      {"dilation 2", {1, 2, 9, 9}, {3, 2, 3, 3}, conv_opt(1, 2, 2), true},
      {"non-square kernel and stride", {2, 3, 8, 10}, {2, 3, 3, 1}, conv_opt(Hw(2, 1), Hw(1, 0)), true},
      {"2 groups", {2, 4, 6, 6}, {6, 2, 3, 3}, conv_opt(1, 1, 1, 2), true},
      {"depthwise", {2, 5, 7, 7}, {5, 1, 3, 3}, conv_opt(1, 1, 1, 5), false},
      {"depthwise stride 2, multiplier 2", {2, 3, 8, 8}, {6, 1, 5, 5}, conv_opt(2, 2, 1, 3), true},
  };
  for (DType dt : {DType::f32, DType::f64}) {
    for (const ConvCase& c : cases) {
      std::vector<Tensor> in = {random(c.x, dt, 100), random(c.w, dt, 101, -0.5, 0.5)};
      if (c.bias) in.push_back(random({c.w[0]}, dt, 102));
      check_op(std::string("conv2d ") + c.name + " " + dtype_name(dt), in, [&c](const std::vector<Tensor>& t) {
        return conv2d(t[0], t[1], c.bias ? t[2] : Tensor(), c.opt);
      });
    }
  }
  CHECK_THROWS_WITH_AS(conv2d(Tensor::ones({1, 1, 3, 3}, DType::f32, kDev), Tensor::ones({1, 1, 3, 3})),
                       doctest::Contains("move the module with .to(device)"), Error);
}

TEST_CASE("a batch whose im2col buffer is over the cap runs in chunks of images, equal to the CPU") {
  // One image's col is 4·9·36 = 1296 elements (2 groups: 648 each); a cap of 2600 gives chunks of
  // 2, 2 and 1 images, so the chunk offsets, the last short chunk and gW's accumulation across
  // chunks all run.
  cuda::set_col_buffer_limit(2600);
  for (int64_t groups : {1, 2}) {
    const std::vector<Tensor> in = {random({5, 4, 6, 6}, DType::f64, 103), random({6, 4 / groups, 3, 3}, DType::f64, 104),
                                    random({6}, DType::f64, 105)};
    check_op("conv2d in chunks, groups " + std::to_string(groups), in, [groups](const std::vector<Tensor>& t) {
      return conv2d(t[0], t[1], t[2], conv_opt(1, 1, 1, groups));
    });
  }
  cuda::set_col_buffer_limit(0);
}

TEST_CASE("max, average and adaptive pooling equal the CPU, forward and backward") {
  for (DType dt : {DType::f32, DType::f64}) {
    const std::string t = dtype_name(dt);
    const Tensor x = random({2, 3, 9, 8}, dt, 110);
    auto pool = [&](const std::string& what, std::function<Tensor(const Tensor&)> f) {
      check_op(what + " " + t, {x}, [f](const std::vector<Tensor>& in) { return f(in[0]); });
    };
    MaxPool2dOptions m;
    m.kernel = 3, m.stride = Hw(2), m.padding = 1;
    pool("max_pool 3x3/2 pad 1 (the ResNet stem)", [m](const Tensor& v) { return max_pool2d(v, m); });
    m.ceil_mode = true;
    pool("max_pool ceil mode", [m](const Tensor& v) { return max_pool2d(v, m); });
    MaxPool2dOptions d;
    d.kernel = Hw(2, 3), d.stride = Hw(1, 2), d.dilation = 2;
    pool("max_pool dilated, overlapping", [d](const Tensor& v) { return max_pool2d(v, d); });
    AvgPool2dOptions a;
    a.kernel = 3, a.stride = Hw(2), a.padding = 1;
    pool("avg_pool counting padding", [a](const Tensor& v) { return avg_pool2d(v, a); });
    a.count_include_pad = false, a.ceil_mode = true;
    pool("avg_pool not counting padding, ceil mode", [a](const Tensor& v) { return avg_pool2d(v, a); });
    pool("adaptive_avg_pool to 1x1", [](const Tensor& v) { return adaptive_avg_pool2d(v, 1); });
    pool("adaptive_avg_pool to 4x3 (overlapping bins)", [](const Tensor& v) { return adaptive_avg_pool2d(v, Hw(4, 3)); });
    pool("adaptive_avg_pool to a larger 11x9", [](const Tensor& v) { return adaptive_avg_pool2d(v, Hw(11, 9)); });
  }
  // A dilated window wholly in the padding: -inf and no gradient, on both devices.
  check_op("max_pool of a window in the padding", {random({1, 2, 1, 1}, DType::f64, 111)}, [](const std::vector<Tensor>& in) {
    MaxPool2dOptions o;
    o.kernel = 2, o.stride = Hw(1), o.padding = 1, o.dilation = 2;
    return max_pool2d(in[0], o);
  });
  // Ties: the first maximal element takes the gradient on both devices.
  const Tensor ties = Tensor::ones({1, 1, 4, 4}, DType::f64);
  check_op("max_pool of equal values", {ties}, [](const std::vector<Tensor>& in) {
    MaxPool2dOptions o;
    o.kernel = 2, o.stride = Hw(1);
    return max_pool2d(in[0], o);
  });
}

TEST_CASE("batch norm equals the CPU in training and eval, and updates running statistics on the device") {
  for (DType dt : {DType::f32, DType::f64}) {
    const std::string t = dtype_name(dt);
    // {3, 2, 25, 30}: 2250 values per channel, summed on the device in 8 slices of uneven length.
    for (const Shape& shape : {Shape{4, 3, 5, 6}, Shape{6, 4}, Shape{3, 2, 7}, Shape{3, 2, 25, 30}}) {
      const int64_t C = shape[1];
      for (bool training : {true, false}) {
        const std::string what = "batch_norm " + shape_str(shape) + (training ? " training " : " eval ") + t;
        const Tensor rm = random({C}, dt, 120, -0.5, 0.5), rv = random({C}, dt, 121, 0.5, 2);
        Tensor rm_cpu = rm.clone(), rv_cpu = rv.clone(), rm_dev = rm.cuda(), rv_dev = rv.cuda();
        check_op(what, {random(shape, dt, 122, -3, 3), random({C}, dt, 123), random({C}, dt, 124)},
                 [&](const std::vector<Tensor>& in) {
                   const bool dev = in[0].device().is_cuda();
                   return batch_norm(in[0], dev ? rm_dev : rm_cpu, dev ? rv_dev : rv_cpu, in[1], in[2], training, 0.2);
                 });
        check_matches(rm_dev, rm_cpu, what + " running mean");
        check_matches(rv_dev, rv_cpu, what + " running var");
        if (training) CHECK(rm_cpu.to_vector() != rm.to_vector());
      }
    }
    check_op("batch_norm without affine or running statistics " + t, {random({5, 3, 2, 2}, dt, 125)},
             [](const std::vector<Tensor>& in) { return batch_norm(in[0], Tensor(), Tensor(), Tensor(), Tensor(), true); });
  }
}

TEST_CASE("max and argmax equal the CPU, and max's gradient reaches the first maximum") {
  for (DType dt : {DType::f32, DType::f64}) {
    const Tensor x = random({4, 5, 6}, dt, 130);
    for (int64_t dim : {0, 1, 2}) {
      check_op("max dim " + std::to_string(dim) + " " + dtype_name(dt), {x},
               [dim](const std::vector<Tensor>& in) { return max(in[0], dim, dim == 1); });
      const Tensor a = argmax(x.cuda(), dim);
      CHECK(a.device() == kDev);
      CHECK(a.to_vector() == argmax(x, dim).to_vector());
    }
    check_op("max of all " + std::string(dtype_name(dt)), {x}, [](const std::vector<Tensor>& in) { return max(in[0]); });
  }
  const Tensor nan_row = Tensor::from({1.0, NAN, 3.0, NAN}, {1, 4}, DType::f64);
  CHECK(argmax(nan_row.cuda(), 1).item() == 1);
}

TEST_CASE("binary cross-entropy with logits equals the CPU, with and without a positive weight") {
  for (DType dt : {DType::f32, DType::f64}) {
    const std::string t = dtype_name(dt);
    const Tensor logits = random({4, 3}, dt, 140, -20, 20), target = random({4, 3}, dt, 141, 0, 1);
    for (Reduction red : {Reduction::none, Reduction::mean, Reduction::sum}) {
      const std::string r = " reduction " + std::to_string(int(red)) + " " + t;
      check_op("bce" + r, {logits, target}, [red](const std::vector<Tensor>& in) {
        return binary_cross_entropy_with_logits(in[0], in[1], Tensor(), red);
      });
      check_op("bce with pos_weight" + r, {logits, target, random({3}, dt, 142, 0.5, 3)},
               [red](const std::vector<Tensor>& in) { return binary_cross_entropy_with_logits(in[0], in[1], in[2], red); });
    }
  }
}

TEST_CASE("dropout draws the same mask on both devices from the same seed") {
  const Tensor x = random({6, 50}, DType::f32, 150);
  Generator g1(151), g2(151);
  const Tensor y = dropout(x, 0.3, true, &g1), yd = dropout(x.cuda(), 0.3, true, &g2);
  check_matches(yd, y, "dropout");
  int64_t zeros = 0;
  for (double v : yd.to_vector()) zeros += v == 0;
  CHECK(zeros > 60);   // about 90 of 300
  CHECK(zeros < 120);
  CHECK(dropout(x.cuda(), 0.3, false).to_vector() == x.to_vector());
}

TEST_CASE("gradcheck passes on the device through conv, batch norm and pooling (f64)") {
  Generator g(160);
  auto leaf = [&](const Shape& s, double lo, double hi) {
    return Tensor::uniform(s, lo, hi, DType::f64, &g).cuda().requires_grad_();
  };
  const Tensor x = leaf({2, 2, 6, 5}, -1, 1), w = leaf({3, 2, 3, 3}, -0.5, 0.5), b = leaf({3}, -0.5, 0.5);
  const Tensor gamma = leaf({3}, 0.5, 1.5), beta = leaf({3}, -0.5, 0.5);
  const Tensor target = Tensor::from({0.0, 1.0, 1.0, 0.0, 1.0, 0.0}, {2, 3}, DType::f64).cuda();
  const auto f = [&](const std::vector<Tensor>& in) {
    Conv2dOptions o;
    o.padding = 1, o.stride = Hw(1, 2);
    Tensor h = batch_norm(conv2d(in[0], in[1], in[2], o), Tensor(), Tensor(), in[3], in[4], true);
    AvgPool2dOptions a;
    a.kernel = 2, a.padding = 1;
    MaxPool2dOptions m;
    m.kernel = 2, m.stride = Hw(1);
    h = tanh(avg_pool2d(h, a)) + sum(adaptive_avg_pool2d(max_pool2d(h, m), Hw(3, 2))) * 0.1;
    return binary_cross_entropy_with_logits(adaptive_avg_pool2d(h, 1).reshape({2, 3}), target);
  };
  const GradcheckResult r = gradcheck(f, {x, w, b, gamma, beta});
  CHECK_MESSAGE(r.ok, r.message);
  CHECK(r.elements_checked == 120 + 54 + 3 + 3 + 3);
  CHECK(f({x, w, b, gamma, beta}).device() == kDev);
}

}  // TEST_SUITE
