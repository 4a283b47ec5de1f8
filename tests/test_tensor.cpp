// Tensor storage, views, dtypes, random numbers, printing and error messages.
#include "helpers.h"
#include "tensor/allocator.h"
#include "tensor/counter_rng.h"
#include "tensor/parallel.h"
#include "tensor/strided.h"

using namespace easel;
using namespace easel::test;

TEST_CASE("factories fill shape, strides and values") {
  Tensor z = Tensor::zeros({2, 3});
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.strides() == Shape{3, 1});
  CHECK(z.numel() == 6);
  CHECK(z.dtype() == DType::f32);
  check_values(z, {0, 0, 0, 0, 0, 0});
  check_values(Tensor::full({2}, 2.5, DType::f64), {2.5, 2.5});
  check_values(Tensor::arange(4, DType::i64), {0, 1, 2, 3});
  check_values(Tensor::linspace(0, 1, 5), {0, 0.25, 0.5, 0.75, 1});
  CHECK(Tensor::scalar(3.0).dim() == 0);
  CHECK(Tensor::scalar(3.0).item() == 3.0);
  CHECK(error_of([] { Tensor::from({1, 2, 3}, {2, 2}); }).find("3 values do not fill shape [2, 2]") != std::string::npos);
}

TEST_CASE("views share storage, contiguous() copies") {
  Tensor a = Tensor::arange(6, DType::f64);
  Tensor b = a.reshape({2, 3});
  b.set({1, 2}, 50);
  CHECK(a.at({5}) == 50);  // reshape of contiguous data is a view
  Tensor t = b.transpose(0, 1);
  CHECK(t.shape() == Shape{3, 2});
  CHECK(t.strides() == Shape{1, 3});
  CHECK_FALSE(t.is_contiguous());
  CHECK(t.at({2, 1}) == 50);
  Tensor c = t.contiguous();
  CHECK(c.is_contiguous());
  check_values(c, {0, 3, 1, 4, 2, 50});
  c.set({0, 0}, -1);
  CHECK(a.at({0}) == 0);  // the copy is independent

  Tensor s = Tensor::arange(10, DType::f64).slice(0, 1, 9, 3);  // 1, 4, 7
  CHECK(s.shape() == Shape{3});
  CHECK(s.strides() == Shape{3});
  check_values(s, {1, 4, 7});
  check_values(Tensor::arange(10, DType::f64).slice(0, -3, 100), {7, 8, 9});  // Python slice rules

  Tensor e = Tensor::from({1, 2, 3}, {3, 1}, DType::f64).expand({3, 4});
  CHECK(e.strides() == Shape{1, 0});
  check_values(e, {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3});
  CHECK(b.select(0, 1).shape() == Shape{3});
  check_values(b.select(1, -1), {2, 50});
  CHECK(b.unsqueeze(1).shape() == Shape{2, 1, 3});
  CHECK(b.unsqueeze(-1).shape() == Shape{2, 3, 1});
  CHECK(b.unsqueeze(1).squeeze(1).shape() == Shape{2, 3});
  CHECK(Tensor::zeros({2, 3, 4, 5}).flatten(1).shape() == Shape{2, 60});
  CHECK(Tensor::zeros({2, 3, 4}).reshape({-1, 4}).shape() == Shape{6, 4});
}

TEST_CASE("reshape of a non-contiguous tensor copies, view refuses") {
  Tensor t = Tensor::arange(6, DType::f64).reshape({2, 3}).transpose(0, 1);
  check_values(t.reshape({6}), {0, 3, 1, 4, 2, 5});
  CHECK(error_of([&] { t.view({6}); }).find("non-contiguous") != std::string::npos);
  CHECK(error_of([&] { t.reshape({4, 2}); }).find("cannot reshape f64[3, 2]") != std::string::npos);
}

TEST_CASE("copy_ broadcasts and converts") {
  Tensor d = Tensor::zeros({2, 3}, DType::f64);
  d.copy_(Tensor::from({1, 2, 3}, {3}, DType::f32));
  check_values(d, {1, 2, 3, 1, 2, 3});
  CHECK(error_of([&] { d.copy_(Tensor::zeros({4})); }).find("cannot be broadcast") != std::string::npos);
}

TEST_CASE("dtype conversions, including the half-precision storage types") {
  Tensor x = Tensor::from({1.5, -2.25, 0.1, 65504, 1e-7, 3.0}, {6}, DType::f64);
  const std::vector<double> bf = x.to(DType::bf16).to(DType::f64).to_vector();
  CHECK(bf[0] == 1.5);
  CHECK(bf[1] == -2.25);
  CHECK(std::abs(bf[2] - 0.1) < 0.1 * 1e-2);  // 8 significant bits
  const std::vector<double> hf = x.to(DType::f16).to(DType::f64).to_vector();
  CHECK(hf[0] == 1.5);
  CHECK(hf[1] == -2.25);
  CHECK(std::abs(hf[2] - 0.1) < 0.1 * 1e-3);  // 11 significant bits
  CHECK(hf[3] == 65504);                       // the largest half
  CHECK(std::abs(hf[4] - 1e-7) < 6e-8);        // subnormal
  check_values(Tensor::from({2.7, -1.2}, {2}, DType::f64).to(DType::i64), {2, -1});
}

TEST_CASE("uniform_ and normal_ in place draw what Tensor::uniform and Tensor::normal return") {
  // Layer initialisation draws into the parameter itself (no temporary left in the allocator's
  // cache); the values must be the factories' own, small (one generator) and large (blocks).
  for (DType dt : {DType::f32, DType::f64})
    for (int64_t n : {int64_t(7), int64_t(100003)}) {
      Generator g1(5), g2(5);
      Tensor t = Tensor::zeros({n}, dt);
      t.uniform_(-0.5, 2.0, &g1);
      CHECK(t.to_vector() == Tensor::uniform({n}, -0.5, 2.0, dt, &g2).to_vector());
      t.normal_(1.0, 3.0, &g1);
      CHECK(t.to_vector() == Tensor::normal({n}, 1.0, 3.0, dt, &g2).to_vector());
    }
  // A strided view is filled through a temporary, in the view's element order, leaving the rest.
  Generator g1(9), g2(9);
  Tensor base = Tensor::zeros({3, 4}, DType::f64);
  Tensor view = base.transpose(0, 1);
  view.uniform_(0, 1, &g1);
  CHECK(view.contiguous().to_vector() == Tensor::uniform({4, 3}, 0, 1, DType::f64, &g2).to_vector());
  Tensor col = Tensor::zeros({3, 4}, DType::f64);
  Tensor first = col.slice(1, 0, 1);
  first.uniform_(1, 2, &g1);
  for (int64_t i = 0; i < 3; ++i) {
    CHECK(col.data<double>()[i * 4] >= 1);
    CHECK(col.data<double>()[i * 4 + 1] == 0);
  }
}

TEST_CASE("random numbers are reproducible and have the right distribution") {
  Generator a(42), b(42), c(43);
  CHECK(a.next_u64() == b.next_u64());
  CHECK(a.next_u64() != c.next_u64());
  manual_seed(7);
  const std::vector<double> r1 = Tensor::randn({5}).to_vector();
  manual_seed(7);
  CHECK(Tensor::randn({5}).to_vector() == r1);

  Generator g(1);
  const std::vector<double> n = Tensor::randn({200000}, DType::f64, &g).to_vector();
  double m = 0, s = 0;
  for (double v : n) m += v;
  m /= double(n.size());
  for (double v : n) s += (v - m) * (v - m);
  s = std::sqrt(s / double(n.size()));
  CHECK(std::abs(m) < 0.01);
  CHECK(std::abs(s - 1) < 0.01);
  const std::vector<double> u = Tensor::rand({100000}, DType::f64, &g).to_vector();
  CHECK(*std::min_element(u.begin(), u.end()) >= 0);
  CHECK(*std::max_element(u.begin(), u.end()) < 1);
  double ones = 0;
  for (double v : Tensor::bernoulli({100000}, 0.3, DType::f32, &g).to_vector()) ones += v;
  CHECK(std::abs(ones / 100000 - 0.3) < 0.01);
  std::vector<int> hist(5, 0);
  for (double v : Tensor::randint({50000}, 5, &g).to_vector()) hist[size_t(v)]++;
  for (int h : hist) CHECK(std::abs(h - 10000) < 500);

  // large tensors are generated in parallel blocks: the values must not depend on the thread count
  const int saved = num_threads();
  set_num_threads(1);
  Generator g1(9), g2(9);
  const std::vector<double> one = Tensor::randn({100000}, DType::f32, &g1).to_vector();
  set_num_threads(2);
  CHECK(Tensor::randn({100000}, DType::f32, &g2).to_vector() == one);
  set_num_threads(saved);

  Generator::State st = g.state();
  const double next = g.normal();
  g.set_state(st);
  CHECK(g.normal() == next);  // checkpointable state
}

TEST_CASE("keep_mask: counter-based, so the mask is a function of one draw, whatever the thread count") {
  Generator g(21), twin(21);
  const std::vector<double> m = Tensor::keep_mask({200000}, 0.7, 1 / 0.7, DType::f64, Device::cpu(), &g).to_vector();
  double kept = 0, other = 0;
  for (double v : m) kept += v == 1 / 0.7, other += v != 0 && v != 1 / 0.7;
  CHECK(other == 0);
  CHECK(std::abs(kept / 200000 - 0.7) < 0.005);
  twin.next_u64();
  CHECK(g.next_u64() == twin.next_u64());  // exactly one number drawn from the generator
  // Element i is counter_uniform(key, i) < keep: the first element from the formula, and the mask
  // does not depend on how the elements were shared among threads.
  Generator k(21);
  CHECK((m[0] != 0) == (math::counter_uniform(k.next_u64(), 0) < 0.7));
  const int saved = num_threads();
  set_num_threads(1);
  Generator g1(21);
  CHECK(Tensor::keep_mask({200000}, 0.7, 1 / 0.7, DType::f64, Device::cpu(), &g1).to_vector() == m);
  set_num_threads(saved);
  const std::vector<double> none = Tensor::keep_mask({1000}, 0, 0, DType::f32, Device::cpu(), &g).to_vector();
  const std::vector<double> all = Tensor::keep_mask({1000}, 1, 2, DType::f32, Device::cpu(), &g).to_vector();
  CHECK(*std::max_element(none.begin(), none.end()) == 0);
  CHECK(*std::min_element(all.begin(), all.end()) == 2);
  CHECK_THROWS_WITH_AS(Tensor::keep_mask({3}, 1.5, 1, DType::f32, Device::cpu()), doctest::Contains("keep must be in [0, 1]"), Error);
}

TEST_CASE("printing is readable") {
  CHECK(to_string(Tensor::from({1, 2, 3, 4}, {2, 2})) == "tensor([[1, 2],\n        [3, 4]], f32[2, 2])");
  CHECK(to_string(Tensor::from({0.5, -1.25}, {2}, DType::f64)) == "tensor([ 0.5000, -1.2500], f64[2])");
  const std::string big = to_string(Tensor::zeros({40, 40}));
  CHECK(big.find("...") != std::string::npos);
  CHECK(big.size() < 400);
  Tensor p = Tensor::zeros({1});
  p.requires_grad_();
  CHECK(to_string(p).find("requires_grad") != std::string::npos);
}

TEST_CASE("errors name the op, the shapes and the values") {
  const Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 3});
  CHECK(error_of([&] { a + b; }) == "add: shapes [2, 3] and [4, 3] cannot be broadcast together (dim 0: 2 vs 4)");
  CHECK(error_of([&] { a + Tensor::zeros({2, 3}, DType::f64); }) == "add: dtype mismatch, f32[2, 3] and f64[2, 3]");
  CHECK(error_of([&] { a.at({2, 0}); }) == "index 2 is out of range for dim 0 of a f32[2, 3] tensor");
  CHECK(error_of([&] { a.size(2); }).find("dim 2 is out of range for a 2-d tensor") != std::string::npos);
  CHECK(error_of([&] { matmul(a, b); }).find("inner dims 3 and 4 differ") != std::string::npos);
  CHECK(error_of([&] { relu(Tensor::zeros({2}, DType::i64)); }) == "relu: expected an f32 or f64 tensor, got i64");
  Tensor x = Tensor::zeros({1, 3, 8, 8}), w = Tensor::zeros({4, 2, 3, 3});
  CHECK(error_of([&] { conv2d(x, w); }).find("weight f32[4, 2, 3, 3] expects 2 input channels, input f32[1, 3, 8, 8] has 3") !=
        std::string::npos);
  CHECK(error_of([&] { cross_entropy(Tensor::zeros({2, 3}), Tensor::from({0, 3}, {2}, DType::i64)); }) ==
        "cross_entropy: target 3 at row 1 is not a class index in [0, 3)");
}

TEST_CASE("broadcast_shapes follows NumPy") {
  CHECK(broadcast_shapes({2, 1, 4}, {3, 1}, "t") == Shape{2, 3, 4});
  CHECK(broadcast_shapes({}, {5}, "t") == Shape{5});
  CHECK(broadcast_shapes({0, 1}, {1, 3}, "t") == Shape{0, 3});
}

TEST_CASE("the CPU allocator serves a request from the smallest cached block up to twice its size") {
  if (std::getenv("EASEL_CPU_CACHE_MB")) return;  // the test assumes the default cache
  cpu_empty_cache();
  void* big = cpu_allocate(size_t(3) << 20);
  REQUIRE(big);
  cpu_release(big, size_t(3) << 20);
  if (cpu_cached_bytes() == 0) return;  // AddressSanitizer builds cache nothing
  CHECK(cpu_cached_bytes() == size_t(3) << 20);
  void* small = cpu_allocate(size_t(1) << 20);  // a third: too wasteful, a new block
  CHECK(small != big);
  void* half = cpu_allocate(size_t(2) << 20);  // two thirds: the cached block
  CHECK(half == big);
  CHECK(cpu_cached_bytes() == 0);
  cpu_release(half, size_t(2) << 20);  // returns as the 3 MB block it is
  CHECK(cpu_cached_bytes() == size_t(3) << 20);
  void* again = cpu_allocate(size_t(3) << 20);  // and serves its own size again
  CHECK(again == big);
  cpu_release(again, size_t(3) << 20);
  cpu_release(small, size_t(1) << 20);
  cpu_empty_cache();
  CHECK(cpu_cached_bytes() == 0);
}
