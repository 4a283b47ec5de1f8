// Ops on a CUDA device against the same ops on the CPU (ggml's test-backend-ops in spirit): the
// CPU is the reference; every result is also checked to live on the device.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "autograd/gradcheck.h"
#include "autograd/ops.h"
#include "layers/basic.h"
#include "optim/optimizer.h"
#include "tensor/cuda/blas.h"
#include "tensor/cuda/runtime.h"
#include "tensor/random.h"
#include "tensor/tensor.h"
#include "tests/cuda/device_check.h"

using namespace easel;
using namespace easel::device_check;


TEST_SUITE("cuda") {

TEST_CASE("tensors go to the device and back unchanged, in every dtype and layout") {
  for (DType dt : {DType::f32, DType::f64, DType::i64}) {
    const Tensor x = dt == DType::i64 ? Tensor::randint({3, 4, 5}, 100) : random({3, 4, 5}, dt, 1);
    const Tensor d = x.cuda();
    CHECK(d.device() == kDev);
    CHECK(d.describe() == x.describe() + " on cuda:0");
    CHECK(d.to_vector() == x.to_vector());
    // Strided views both ways: a permuted, sliced device view read back; a CPU view written in.
    const Tensor view = d.permute({2, 0, 1}).slice(1, 1, 3);
    CHECK(view.cpu().to_vector() == x.permute({2, 0, 1}).slice(1, 1, 3).to_vector());
    const Tensor from_view = x.permute({1, 2, 0}).cuda();
    CHECK(from_view.to_vector() == x.permute({1, 2, 0}).to_vector());
    Tensor target = Tensor::zeros({5, 3, 4}, dt, kDev);
    target.permute({1, 2, 0}).copy_(x);  // a CPU source into a strided device destination
    CHECK(target.permute({1, 2, 0}).to_vector() == x.to_vector());
  }
  const Tensor x = random({7, 3}, DType::f64, 2);
  CHECK(x.cuda().to(DType::f32).cpu().to_vector() == x.to(DType::f32).to_vector());
  CHECK(x.cuda().at({4, 1}) == x.at({4, 1}));
  Tensor d = x.cuda();
  d.set({4, 1}, 9.5);
  CHECK(d.at({4, 1}) == 9.5);
  CHECK(Tensor::full({2, 2}, 3.25, DType::f32, kDev).to_vector() == std::vector<double>(4, 3.25));
  CHECK(Tensor::ones({3}, DType::f64, kDev).device() == kDev);
}

TEST_CASE("CPU code refuses a device tensor with a clear error") {
  const Tensor d = Tensor::ones({2, 3}, DType::f32, kDev);
  CHECK_THROWS_WITH_AS(d.data<float>(), doctest::Contains("f32[2, 3] on cuda:0"), Error);
  CHECK_THROWS_WITH_AS(d.raw_data(), doctest::Contains("no CUDA kernel yet"), Error);
}

TEST_CASE("inputs on different devices are an error naming both; a CPU scalar joins the device") {
  const Tensor d = Tensor::ones({3}, DType::f32, kDev), c = Tensor::ones({3}, DType::f32);
  CHECK_THROWS_WITH_AS(add(d, c), doctest::Contains("different devices, f32[3] on cuda:0 and f32[3]"), Error);
  const Tensor y = d * 2.0 + 1.0;
  CHECK(y.device() == kDev);
  CHECK(y.to_vector() == std::vector<double>(3, 3.0));
  if (cuda::device_count() > 1) {
    const Tensor other = Tensor::ones({3}, DType::f32, Device::cuda(1));
    CHECK_THROWS_WITH_AS(mul(d, other), doctest::Contains("cuda:1"), Error);
    CHECK(other.to(kDev).device() == kDev);
  }
  CHECK_THROWS_WITH_AS(Tensor::ones({1}, DType::f32, Device::cuda(99)), doctest::Contains("cuda:99 does not exist"), Error);
}

TEST_CASE("binary ops with broadcasting equal the CPU, forward and backward") {
  using Op = std::function<Tensor(const Tensor&, const Tensor&)>;
  const std::vector<std::pair<const char*, Op>> ops = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }}};
  const std::vector<std::pair<Shape, Shape>> shapes = {{{4, 5}, {4, 5}}, {{3, 1, 5}, {4, 5}}, {{2, 3}, {}}, {{1}, {6, 7}}};
  for (DType dt : {DType::f32, DType::f64}) {
    for (const auto& [name, op] : ops) {
      for (const auto& [sa, sb] : shapes) {
        const std::string what = std::string(name) + " " + shape_str(sa) + " " + shape_str(sb) + " " + dtype_name(dt);
        // pow needs a positive base for a real result and a finite log in its gradient
        const Tensor a = random(sa, dt, 3, name == std::string("pow") ? 0.5 : -2, 2).requires_grad_();
        const Tensor b = random(sb, dt, 4, 0.5, 2).requires_grad_();
        const Tensor ad = a.detach().cuda().requires_grad_(), bd = b.detach().cuda().requires_grad_();
        const Tensor y = op(a, b), yd = op(ad, bd);
        check_matches(yd, y, what);
        const Tensor w = random(y.shape(), dt, 5);
        sum(y * w).backward();
        sum(yd * w.cuda()).backward();
        check_matches(ad.grad(), a.grad(), what + " grad a");
        check_matches(bd.grad(), b.grad(), what + " grad b");
      }
    }
    // Strided (permuted) operands go through the strided index, not a flat loop.
    const Tensor a = random({5, 6}, dt, 6), b = random({6, 5}, dt, 7);
    check_matches(add(a.cuda().transpose(0, 1), b.cuda()), add(a.transpose(0, 1), b), "add of a transposed view");
  }
}

TEST_CASE("unary ops and activations equal the CPU, forward and backward") {
  using Op = std::function<Tensor(const Tensor&)>;
  const std::vector<std::pair<const char*, Op>> ops = {
      {"neg", [](const Tensor& x) { return neg(x); }},
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"log", [](const Tensor& x) { return log(abs(x) + 0.1); }},
      {"sqrt", [](const Tensor& x) { return sqrt(abs(x) + 0.1); }},
      {"abs", [](const Tensor& x) { return abs(x); }},
      {"pow 2.5", [](const Tensor& x) { return pow(abs(x) + 0.1, 2.5); }},
      {"clamp", [](const Tensor& x) { return clamp(x, -0.5, 1.0); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"relu6", [](const Tensor& x) { return relu6(x * 4.0); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x * 3.0); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"silu", [](const Tensor& x) { return silu(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"hardswish", [](const Tensor& x) { return hardswish(x * 2.0); }},
      {"hardsigmoid", [](const Tensor& x) { return hardsigmoid(x * 2.0); }}};
  for (DType dt : {DType::f32, DType::f64}) {
    for (const auto& [name, op] : ops) {
      const std::string what = std::string(name) + " " + dtype_name(dt);
      const Tensor x = random({3, 37}, dt, 8).requires_grad_();  // 111 elements: not a multiple of a block
      const Tensor xd = x.detach().cuda().requires_grad_();
      const Tensor y = op(x), yd = op(xd);
      check_matches(yd, y, what);
      const Tensor w = random(y.shape(), dt, 9);
      sum(y * w).backward();
      sum(yd * w.cuda()).backward();
      check_matches(xd.grad(), x.grad(), what + " grad");
    }
  }
}

TEST_CASE("sums, means and variances equal the CPU") {
  const Tensor x = random({4, 5, 6}, DType::f64, 10);
  const Tensor d = x.cuda();
  check_matches(sum(d), sum(x), "sum of all");
  check_matches(sum(d, {1}), sum(x, {1}), "sum over dim 1");
  check_matches(sum(d, {0, 2}, true), sum(x, {0, 2}, true), "sum over dims 0, 2, kept");
  check_matches(mean(d, {2}), mean(x, {2}), "mean over dim 2");
  check_matches(var(d, {0, 1}, 1, false), var(x, {0, 1}, 1, false), "variance over dims 0, 1");
  const Tensor xf = x.to(DType::f32);
  check_matches(sum(xf.cuda(), {0}), sum(xf, {0}), "f32 sum");
  // Long rows: a block of 256 threads per row, each adding 19 or 20 of the 5001 values before the tree.
  const Tensor rows = random({3, 5001}, DType::f64, 12);
  check_matches(sum(rows.cuda(), {1}), sum(rows, {1}), "rows of 5001");
  check_matches(sum(rows.cuda()), sum(rows), "15003 values in one row");
}

TEST_CASE("gradcheck passes on the device (f64, finite differences)") {
  Generator g(11);
  const Tensor a = Tensor::uniform({3, 4}, -1, 1, DType::f64, &g).cuda().requires_grad_();
  const Tensor b = Tensor::uniform({4}, 0.5, 1.5, DType::f64, &g).cuda().requires_grad_();
  const auto f = [](const std::vector<Tensor>& in) {
    const Tensor& a = in[0];
    const Tensor& b = in[1];
    return sum(silu(a * b + a) / (b * b + 1.0) + tanh(a) * sigmoid(b) - gelu(a - b), {1});
  };
  const GradcheckResult r = gradcheck(f, {a, b});
  CHECK_MESSAGE(r.ok, r.message);
  CHECK(r.elements_checked == 16);
  CHECK(f({a, b}).device() == kDev);
}

TEST_CASE("a small model's training step leaves gradients on the device, equal to the CPU") {
  // y = σ(x·w + b) over broadcasting, loss = mean((y - t)²): no matmul yet, so a per-feature model.
  const Tensor x = random({8, 5}, DType::f32, 12), t = random({8, 5}, DType::f32, 13, 0, 1);
  const Tensor w = random({5}, DType::f32, 14).requires_grad_(), b = random({1, 5}, DType::f32, 15).requires_grad_();
  const Tensor wd = w.detach().cuda().requires_grad_(), bd = b.detach().cuda().requires_grad_();
  const auto loss = [](const Tensor& x, const Tensor& t, const Tensor& w, const Tensor& b) {
    return mean(pow(sigmoid(x * w + b) - t, 2.0));
  };
  const Tensor l = loss(x, t, w, b), ld = loss(x.cuda(), t.cuda(), wd, bd);
  check_matches(ld, l, "loss");
  l.backward();
  ld.backward();
  CHECK(wd.grad().device() == kDev);
  check_matches(wd.grad(), w.grad(), "grad w");
  check_matches(bd.grad(), b.grad(), "grad b");
}

TEST_CASE("matrix products (cuBLAS's column-major call) equal the CPU, forward and backward") {
  for (DType dt : {DType::f32, DType::f64}) {
    const std::string t = dtype_name(dt);
    auto mm = [](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); };
    check_op("matmul 2-d " + t, {random({3, 4}, dt, 20), random({4, 5}, dt, 21)}, mm);
    check_op("matmul batched x shared " + t, {random({2, 3, 4}, dt, 22), random({4, 5}, dt, 23)}, mm);
    check_op("matmul broadcast batches " + t, {random({2, 1, 3, 4}, dt, 24), random({5, 4, 6}, dt, 25)}, mm);
    check_op("matmul vector " + t, {random({7}, dt, 26), random({7, 2}, dt, 27)}, mm);
    check_op("matmul of transposed views " + t, {random({4, 3}, dt, 28), random({5, 4}, dt, 29)},
             [](const std::vector<Tensor>& in) { return matmul(in[0].transpose(0, 1), in[1].transpose(0, 1)); });
    check_op("linear with bias, 3-d input " + t, {random({2, 3, 6}, dt, 30), random({4, 6}, dt, 31), random({4}, dt, 32)},
             [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); });
    check_op("linear without bias " + t, {random({5, 6}, dt, 33), random({4, 6}, dt, 34)},
             [](const std::vector<Tensor>& in) { return linear(in[0], in[1], Tensor()); });
  }
  const Tensor a = Tensor::ones({2, 3}, DType::f32, kDev);
  CHECK_THROWS_WITH_AS(matmul(a, Tensor::ones({3, 2})), doctest::Contains("different devices"), Error);
  // An empty inner dimension: zeros, with leading dimensions cuBLAS accepts (the simulation checks its rules).
  const Tensor empty_product = matmul(Tensor::ones({3, 0}, DType::f32, kDev), Tensor::ones({0, 4}, DType::f32, kDev));
  CHECK(empty_product.to_vector() == std::vector<double>(12, 0.0));
}

TEST_CASE("TF32 is off unless asked; asked, f32 products read their inputs cut to 10 mantissa bits") {
  if (!std::getenv("EASEL_TF32")) CHECK(!cuda::tf32_enabled());
  struct Restore {
    bool was = cuda::tf32_enabled();
    ~Restore() { cuda::set_tf32(was); }
  } restore;
  const Tensor a = random({48, 64}, DType::f32, 60), b = random({64, 40}, DType::f32, 61);
  // f64 products of the inputs rounded (as the simulation does) or truncated to TF32
  auto as_tf32 = [](const Tensor& t, bool truncate) {
    std::vector<double> v = t.to_vector();
    for (double& x : v) {
      float f = float(x);
      if (truncate) {
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        bits &= 0xFFFFE000u;
        std::memcpy(&f, &bits, 4);
      }
      x = truncate ? f : cuda::round_to_tf32(f);
    }
    return Tensor::from(v, t.shape(), DType::f64);
  };
  const Tensor exact = matmul(a.to(DType::f64), b.to(DType::f64));
  const Tensor rounded = matmul(as_tf32(a, false), as_tf32(b, false)),
               truncated = matmul(as_tf32(a, true), as_tf32(b, true));
  auto worst = [](const Tensor& x, const Tensor& ref) {
    const std::vector<double> u = x.to_vector(), r = ref.to_vector();
    double w = 0;
    for (size_t i = 0; i < r.size(); ++i) w = std::max(w, std::abs(u[i] - r[i]) / (1 + std::abs(r[i])));
    return w;
  };
  cuda::set_tf32(false);
  const Tensor off = matmul(a.to(kDev), b.to(kDev));
  cuda::set_tf32(true);
  const Tensor on = matmul(a.to(kDev), b.to(kDev));
  CHECK(on.device() == kDev);
  CHECK(worst(off, exact) < 1e-5);
  CHECK(worst(on, exact) > 1e-4);  // the rounding really happened
  // ... and stayed within its bound: each input off by at most 2^-10 of itself (truncation's bound,
  // twice rounding's), so |error| <= 2^-9 · Σ_k |a_ik|·|b_kj| (plus f32 sums)
  const std::vector<double> u = on.to_vector(), r = exact.to_vector(),
                            bound = matmul(easel::abs(a.to(DType::f64)), easel::abs(b.to(DType::f64))).to_vector();
  int outside = 0;
  for (size_t i = 0; i < r.size(); ++i) outside += std::abs(u[i] - r[i]) > 0x1p-9 * bound[i] + 1e-5 * (1 + std::abs(r[i]));
  CHECK(outside == 0);
  // ... and is TF32's: the product of the cut inputs up to f32 sums (exactly the rounded ones here)
  if (cuda::backend() == cuda::Backend::simulated) CHECK(worst(on, rounded) < 1e-5);
  else CHECK(std::min(worst(on, rounded), worst(on, truncated)) < 2e-4);
  // f64 products are never rounded
  check_matches(matmul(a.to(DType::f64).to(kDev), b.to(DType::f64).to(kDev)), exact, "f64 product with TF32 on");
  // the rounding itself: ties away from zero at the 11th mantissa bit; inf and NaN pass
  CHECK(cuda::round_to_tf32(1.0f + 0x1p-11f) == 1.0f + 0x1p-10f);
  CHECK(cuda::round_to_tf32(-(1.0f + 0x1p-12f)) == -1.0f);
  CHECK(std::isinf(cuda::round_to_tf32(INFINITY)));
  CHECK(std::isnan(cuda::round_to_tf32(NAN)));
}

TEST_CASE("softmax, log_softmax and cross-entropy equal the CPU, forward and backward") {
  for (DType dt : {DType::f32, DType::f64}) {
    const std::string t = dtype_name(dt);
    for (int64_t dim : {0, 1, -1}) {
      check_op("softmax dim " + std::to_string(dim) + " " + t, {random({3, 4, 5}, dt, 40, -4, 4)},
               [dim](const std::vector<Tensor>& in) { return softmax(in[0], dim); });
      check_op("log_softmax dim " + std::to_string(dim) + " " + t, {random({3, 4, 5}, dt, 41, -4, 4)},
               [dim](const std::vector<Tensor>& in) { return log_softmax(in[0], dim); });
    }
    const Tensor target = Tensor::from({2, 0, 4, 1, 4, 3}, {6}, DType::i64);
    const Tensor weight = Tensor::from({1.0, 2.0, 0.5, 1.5, 3.0}, {5}, DType::f64);
    for (Reduction red : {Reduction::none, Reduction::mean, Reduction::sum}) {
      for (double eps : {0.0, 0.1}) {
        const std::string what = "cross_entropy reduction " + std::to_string(int(red)) + " smoothing " +
                                 std::to_string(eps) + " " + t;
        check_op(what, {random({6, 5}, dt, 42, -3, 3), target}, [&](const std::vector<Tensor>& in) {
          CrossEntropyOptions opt;
          opt.reduction = red;
          opt.label_smoothing = eps;
          opt.weight = weight;
          return cross_entropy(in[0], in[1], opt);
        });
      }
    }
  }
  // Targets may stay on the host; out-of-range ones are refused, naming the row.
  const Tensor logits = random({2, 3}, DType::f32, 43).cuda();
  CHECK(cross_entropy(logits, Tensor::from({0, 2}, {2}, DType::i64)).device() == kDev);
  CHECK_THROWS_WITH_AS(cross_entropy(logits, Tensor::from({0, 3}, {2}, DType::i64).cuda()),
                       doctest::Contains("target 3 at row 1"), Error);
}

TEST_CASE("gradcheck passes on the device for matmul, linear and cross-entropy (f64)") {
  Generator g(44);
  auto leaf = [&](const Shape& s) { return Tensor::uniform(s, -1, 1, DType::f64, &g).cuda().requires_grad_(); };
  const Tensor x = leaf({3, 4}), w = leaf({5, 4}), b = leaf({5}), m = leaf({4, 2});
  const Tensor target = Tensor::from({1, 4, 0}, {3}, DType::i64);
  const auto f = [&](const std::vector<Tensor>& in) {
    CrossEntropyOptions opt;
    opt.label_smoothing = 0.05;
    return cross_entropy(linear(in[0], in[1], in[2]), target, opt) + sum(matmul(in[0], in[3])) * 0.5;
  };
  const GradcheckResult r = gradcheck(f, {x, w, b, m});
  CHECK_MESSAGE(r.ok, r.message);
  CHECK(r.elements_checked == 12 + 20 + 5 + 8);
}

TEST_CASE("optimizer steps on the device equal the CPU, and their state lives on the device") {
  const std::vector<std::pair<const char*, std::function<std::unique_ptr<Optimizer>()>>> cases = {
      {"sgd", [] { return std::make_unique<SGD>(0.0); }},
      {"sgd momentum", [] { return std::make_unique<SGD>(0.9); }},
      {"nesterov", [] { return std::make_unique<SGD>(0.9, true); }},
      {"adam", [] { return std::make_unique<Adam>(); }},
      {"adamw", [] { return std::make_unique<Adam>(0.9, 0.999, 1e-8, true); }}};
  for (DType dt : {DType::f32, DType::f64}) {
    for (const auto& [name, make] : cases) {
      const std::string what = std::string(name) + " " + dtype_name(dt);
      const Tensor p = random({4, 3}, dt, 50).requires_grad_(), pd = p.detach().cuda().requires_grad_();
      std::unique_ptr<Optimizer> opt = make(), optd = make();
      ParamGroup g, gd;
      g.names = gd.names = {"p"};
      g.params = {p};
      gd.params = {pd};
      g.lr = gd.lr = 0.05;
      g.weight_decay = gd.weight_decay = 0.01;
      opt->add_group(g);
      optd->add_group(gd);
      for (int step = 0; step < 3; ++step) {
        const Tensor target = random({4, 3}, dt, uint64_t(51 + step));
        opt->zero_grad();
        optd->zero_grad();
        sum(pow(p - target, 2.0)).backward();
        sum(pow(pd - target.cuda(), 2.0)).backward();
        opt->step();
        optd->step();
      }
      check_matches(pd.detach(), p.detach(), what + ": parameters after 3 steps");
      for (const auto& named : optd->state_dict())
        if (named.second.dim() > 0)
          CHECK_MESSAGE(named.second.device() == kDev, what, ": state ", named.first, " is on ", named.second.device().str());
    }
  }
}

TEST_CASE("a small MLP trains on the device step for step as on the CPU (Module::to, AdamW)") {
  auto make = [] {
    manual_seed(60);
    auto net = std::make_shared<Sequential>();
    net->push(std::make_shared<Linear>(6, 16));
    net->push(std::make_shared<Activation>("relu", [](const Tensor& x) { return relu(x); }));
    net->push(std::make_shared<Linear>(16, 3));
    return net;
  };
  auto cpu_net = make(), dev_net = make();
  dev_net->to(kDev);
  for (const auto& named : dev_net->state_dict()) CHECK_MESSAGE(named.second.device() == kDev, named.first);
  for (const auto& named : cpu_net->state_dict()) CHECK(named.second.device().is_cpu());
  Adam opt(0.9, 0.999, 1e-8, true), optd(0.9, 0.999, 1e-8, true);
  ParamGroup g, gd;
  for (const auto& [name, t] : cpu_net->named_parameters()) g.names.push_back(name), g.params.push_back(t);
  for (const auto& [name, t] : dev_net->named_parameters()) gd.names.push_back(name), gd.params.push_back(t);
  g.lr = gd.lr = 0.01;
  opt.add_group(g);
  optd.add_group(gd);
  const Tensor x = random({10, 6}, DType::f32, 61), target = Tensor::from({0, 1, 2, 0, 1, 2, 2, 1, 0, 0}, {10}, DType::i64);
  double first = 0, last = 0;
  for (int step = 0; step < 5; ++step) {
    opt.zero_grad();
    optd.zero_grad();
    const Tensor loss = cross_entropy(cpu_net->forward(x), target);
    const Tensor loss_d = cross_entropy(dev_net->forward(x.cuda()), target);
    check_matches(loss_d, loss, "loss at step " + std::to_string(step));
    loss.backward();
    loss_d.backward();
    opt.step();
    optd.step();
    (step == 0 ? first : last) = loss_d.item();
  }
  CHECK(last < first);  // it learns
  const NamedTensors a = cpu_net->state_dict(), b = dev_net->state_dict();
  for (size_t i = 0; i < a.size(); ++i) check_matches(b[i].second, a[i].second, "after 5 steps: " + a[i].first);
  dev_net->to(Device::cpu());
  CHECK(dev_net->state_dict()[0].second.device().is_cpu());
}

TEST_CASE("concat, pad, slices and their gradients stay on the device and equal the CPU") {
  for (DType dt : {DType::f32, DType::f64}) {
    const std::string t = dtype_name(dt);
    check_op("concat dim 1 " + t, {random({2, 3, 4}, dt, 70), random({2, 5, 4}, dt, 71)},
             [](const std::vector<Tensor>& in) { return concat({in[0], in[1]}, 1); });
    check_op("pad and crop " + t, {random({2, 3, 4}, dt, 72)},
             [](const std::vector<Tensor>& in) { return pad(in[0], {1, 2, -1, 3}, 0.5); });
    check_op("slice with a step, select, chunk " + t, {random({6, 5}, dt, 73)}, [](const std::vector<Tensor>& in) {
      const std::vector<Tensor> parts = chunk(in[0].slice(0, 1, 6, 2), 2, 1);
      return concat({parts[1], in[0].slice(0, 1, 6, 2).select(1, 3).unsqueeze(1)}, 1);
    });
  }
  CHECK_THROWS_WITH_AS(concat({Tensor::ones({2}, DType::f32, kDev), Tensor::ones({2})}, 0),
                       doctest::Contains("tensor 1 is f32[2] but tensor 0 is f32[2] on cuda:0"), Error);
}

TEST_CASE("an optimizer follows its module to the device mid-training") {
  auto run = [](bool move_after_two) {
    manual_seed(80);
    Linear layer(4, 2);
    Adam opt(0.9, 0.999, 1e-8, true);
    ParamGroup g;
    for (const auto& named : layer.named_parameters()) g.names.push_back(named.first), g.params.push_back(named.second);
    opt.add_group(g);
    const Tensor x = random({3, 4}, DType::f32, 81);
    for (int step = 0; step < 4; ++step) {
      if (move_after_two && step == 2) layer.to(kDev);
      opt.zero_grad();
      const Tensor in = move_after_two && step >= 2 ? x.cuda() : x;
      sum(pow(layer.forward(in), 2.0)).backward();
      opt.step();
    }
    return layer.state_dict();
  };
  const NamedTensors cpu = run(false), moved = run(true);
  for (size_t i = 0; i < cpu.size(); ++i) check_matches(moved[i].second, cpu[i].second, "moved: " + cpu[i].first);
}

TEST_CASE("the device allocator reuses freed blocks and reports its memory") {
  cuda::empty_cache(0);
  const cuda::MemoryStats before = cuda::memory_stats(0);
  { const Tensor a = Tensor::empty({1 << 18}, DType::f32, kDev); }  // 1 MiB, freed at once
  const cuda::MemoryStats freed = cuda::memory_stats(0);
  CHECK(freed.device_allocations == before.device_allocations + 1);
  CHECK(freed.cached >= size_t(1) << 20);
  { const Tensor b = Tensor::empty({1 << 18}, DType::f32, kDev); }
  const cuda::MemoryStats again = cuda::memory_stats(0);
  CHECK(again.device_allocations == freed.device_allocations);  // served from the cache
  CHECK(again.reuses == freed.reuses + 1);
  CHECK(again.peak_in_use >= size_t(1) << 20);
  CHECK(cuda::memory_report(0).find("cuda:0: in use") == 0);
  cuda::empty_cache(0);
  CHECK(cuda::memory_stats(0).cached == 0);
}

#ifdef EASEL_CUDA_SIM
TEST_CASE("simulation: fresh device memory is NaN, so a kernel that reads what it never wrote fails") {
  const Tensor e = Tensor::empty({16}, DType::f32, kDev);
  for (double v : e.to_vector()) CHECK(std::isnan(v));
}
#endif

}  // TEST_SUITE
