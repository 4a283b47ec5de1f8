// The tape: gradients by hand, accumulation, retain_graph, no-grad, detach, graph shapes.
#include "helpers.h"

using namespace easel;
using namespace easel::test;

TEST_CASE("gradients of a small expression match hand derivation") {
  // L = Σ (a·b + a²),  ∂L/∂a = b + 2a,  ∂L/∂b = a
  Tensor a = Tensor::from({1, 2, 3}, {3}, DType::f64).requires_grad_();
  Tensor b = Tensor::from({4, 5, 6}, {3}, DType::f64).requires_grad_();
  Tensor L = sum(a * b + a * a);
  CHECK(L.item() == 4 + 10 + 18 + 1 + 4 + 9);
  CHECK(L.grad_fn()->name == "sum");
  L.backward();
  check_values(a.grad(), {6, 9, 12});
  check_values(b.grad(), {1, 2, 3});
}

TEST_CASE("a tensor used twice gets the sum of both paths (diamond graph)") {
  Tensor x = Tensor::from({2}, {1}, DType::f64).requires_grad_();
  Tensor y = exp(x) + x * 3.0;  // dy/dx = eˣ + 3
  y.backward(Tensor::ones({1}, DType::f64));
  CHECK(x.grad().item() == doctest::Approx(std::exp(2.0) + 3));
}

TEST_CASE("backward accumulates into .grad until zero_grad") {
  Tensor x = Tensor::from({1, -2}, {2}, DType::f64).requires_grad_();
  sum(x * x).backward();
  sum(x * x).backward();
  check_values(x.grad(), {4, -8});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
  sum(x * 3.0).backward();
  check_values(x.grad(), {3, 3});
}

TEST_CASE("saved tensors are freed after backward unless retain_graph") {
  Tensor x = Tensor::from({1, 2}, {2}, DType::f64).requires_grad_();
  Tensor L = sum(exp(x));
  L.backward(Tensor(), /*retain_graph=*/true);
  L.backward();  // allowed: the graph was retained
  check_values(x.grad(), {2 * std::exp(1.0), 2 * std::exp(2.0)});
  CHECK(L.grad_fn()->backward == nullptr);  // released now
  CHECK(error_of([&] { L.backward(); }).find("pass retain_graph=true") != std::string::npos);
}

TEST_CASE("explicit upstream gradient for a non-scalar output") {
  Tensor x = Tensor::from({1, 2, 3}, {3}, DType::f64).requires_grad_();
  Tensor y = x * x;
  CHECK(error_of([&] { y.backward(); }).find("one-element output") != std::string::npos);
  y.backward(Tensor::from({1, 0, 2}, {3}, DType::f64));
  check_values(x.grad(), {2, 0, 12});
  CHECK(error_of([&] { (x * 2.0).backward(Tensor::ones({2}, DType::f64)); }).find("gradient of shape [2]") !=
        std::string::npos);
}

TEST_CASE("NoGradGuard and detach cut the graph") {
  Tensor x = Tensor::ones({2}, DType::f64).requires_grad_();
  {
    NoGradGuard guard;
    CHECK_FALSE(grad_enabled());
    Tensor y = x * 2.0;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
  }
  CHECK(grad_enabled());
  Tensor d = (x * 2.0).detach();
  CHECK_FALSE(d.requires_grad());
  Tensor L = sum(d * x);  // d is a constant here
  L.backward();
  check_values(x.grad(), {2, 2});
  CHECK(error_of([&] { sum(d).backward(); }).find("does not require grad") != std::string::npos);
}

TEST_CASE("only leaves accept requires_grad_, and only floating ones") {
  Tensor x = Tensor::ones({2}).requires_grad_();
  Tensor y = x * 2.0;
  CHECK(error_of([&] { y.requires_grad_(); }).find("non-leaf") != std::string::npos);
  Tensor i = Tensor::zeros({2}, DType::i64);
  CHECK(error_of([&] { i.requires_grad_(); }).find("floating") != std::string::npos);
}

TEST_CASE("inputs that do not require grad receive nothing") {
  Tensor a = Tensor::ones({2}, DType::f64).requires_grad_();
  Tensor b = Tensor::ones({2}, DType::f64);
  sum(a * b).backward();
  CHECK(a.grad().defined());
  CHECK_FALSE(b.grad().defined());
  CHECK(a.grad_fn() == nullptr);
}

TEST_CASE("views write gradients back through the view") {
  Tensor x = Tensor::arange(6, DType::f64).requires_grad_();
  Tensor v = x.reshape({2, 3}).transpose(0, 1).slice(0, 1, 3);  // [[1, 4], [2, 5]]
  check_values(v, {1, 4, 2, 5});
  sum(v * v).backward();
  check_values(x.grad(), {0, 2, 4, 0, 8, 10});
}

TEST_CASE("a long chain does not overflow the stack") {
  Tensor x = Tensor::ones({1}, DType::f64).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 20000; ++i) y = y * 1.0001;
  y.backward(Tensor::ones({1}, DType::f64));
  CHECK(x.grad().item() == doctest::Approx(std::pow(1.0001, 20000)).epsilon(1e-9));
}

TEST_CASE("gradients flow through f32 <-> f64 conversion") {
  Tensor x = Tensor::from({1.5}, {1}, DType::f32).requires_grad_();
  Tensor y = x.to(DType::f64) * 2.0;
  y.backward(Tensor::ones({1}, DType::f64));
  CHECK(x.grad().dtype() == DType::f32);
  CHECK(x.grad().item() == 2.0);
}

TEST_CASE("gradcheck reports the failing element of a wrong gradient") {
  // An op with a deliberately wrong backward (claims dy/dx = 1 for y = 2x).
  auto wrong = [](const Tensor& x) {
    Tensor y = (x * 2.0).detach();
    return record(y, "wrong", {x}, [](const Tensor& gy) -> std::vector<Tensor> { return {gy}; });
  };
  const GradcheckResult r = gradcheck([&](const std::vector<Tensor>& in) { return wrong(in[0]); },
                                      {rnd({2, 2}, 1)});
  CHECK_FALSE(r.ok);
  CHECK(r.message.find("input 0 (f64[2, 2]) element [") != std::string::npos);
  CHECK(r.message.find("analytic") != std::string::npos);
  CHECK(r.message.find("numeric") != std::string::npos);
  // A correct op passes; f32 inputs are refused.
  CHECK(gradcheck([](const std::vector<Tensor>& in) { return in[0] * 2.0; }, {rnd({3}, 2)}).ok);
  CHECK(error_of([] { gradcheck([](const std::vector<Tensor>& in) { return in[0]; },
                                {Tensor::ones({2}).requires_grad_()}); }).find("must be f64") != std::string::npos);
}

TEST_CASE("leaf gradients never share memory with each other or with the upstream gradient") {
  // add's backward hands the same upstream gradient to both inputs: neither leaf may adopt it.
  Tensor a = Tensor::from({1, 2, 3}, {3}).requires_grad_();
  Tensor b = Tensor::from({4, 5, 6}, {3}).requires_grad_();
  Tensor up = Tensor::from({1, 10, 100}, {3});
  (a + b).backward(up);
  CHECK(a.grad().impl().storage != b.grad().impl().storage);
  CHECK(a.grad().impl().storage != up.impl().storage);
  a.grad().set({0}, -7);
  CHECK(b.grad().at({0}) == 1);
  CHECK(up.at({0}) == 1);
  // A gradient computed for one leaf alone (here by a GEMM) is adopted; later passes add to it.
  Tensor w = Tensor::from({1, 2, 3, 4}, {2, 2}).requires_grad_();
  const Tensor x = Tensor::from({1, 1, 2, 2}, {2, 2});
  sum(matmul(x, w)).backward();
  CHECK(w.grad().to_vector() == std::vector<double>{3, 3, 3, 3});
  sum(matmul(x, w)).backward();
  CHECK(w.grad().to_vector() == std::vector<double>{6, 6, 6, 6});
}
