// gradcheck of every elementwise op and activation, with broadcasting and strided inputs.
#include "helpers.h"

using namespace easel;
using namespace easel::test;

using Ts = const std::vector<Tensor>&;

TEST_CASE("gradcheck: binary ops, same shape") {
  const Tensor a = rnd({3, 4}, 1), b = rnd({3, 4}, 2, 0.5, 2);
  check_grad([](Ts x) { return x[0] + x[1]; }, {a, b});
  check_grad([](Ts x) { return x[0] - x[1]; }, {a, b});
  check_grad([](Ts x) { return x[0] * x[1]; }, {a, b});
  check_grad([](Ts x) { return x[0] / x[1]; }, {a, b});
}

TEST_CASE("gradcheck: binary ops broadcast (sum_to in backward)") {
  const Tensor a = rnd({2, 3, 4}, 3), b = rnd({3, 1}, 4, 0.5, 2), s = rnd({}, 5, 0.5, 2);
  check_grad([](Ts x) { return x[0] + x[1]; }, {a, b});
  check_grad([](Ts x) { return x[0] - x[1]; }, {b, a});
  check_grad([](Ts x) { return x[0] * x[1]; }, {a, b});
  check_grad([](Ts x) { return x[0] / x[1]; }, {a, b});
  check_grad([](Ts x) { return x[0] / x[1]; }, {b, rnd({2, 3, 4}, 51, 0.5, 2)});  // broadcast numerator
  check_grad([](Ts x) { return x[0] * x[1]; }, {a, s});  // 0-d operand
}

TEST_CASE("gradcheck: scalar operators") {
  const Tensor a = rnd({5}, 6, 0.5, 2);
  check_grad([](Ts x) { return 2.0 * x[0] + 1.0; }, {a});
  check_grad([](Ts x) { return 3.0 - x[0] / 4.0; }, {a});
  check_grad([](Ts x) { return 1.0 / x[0] - (-x[0]); }, {a});
}

TEST_CASE("gradcheck: pow") {
  const Tensor a = rnd({2, 3}, 7, 0.5, 2), b = rnd({2, 3}, 8, -1, 2), e = rnd({3}, 9, -1, 2);
  check_grad([](Ts x) { return pow(x[0], x[1]); }, {a, b});
  check_grad([](Ts x) { return pow(x[0], x[1]); }, {a, e});  // broadcast exponent
  check_grad([](Ts x) { return pow(x[0], 3.0); }, {rnd({4}, 10)});
  check_grad([](Ts x) { return pow(x[0], -0.5); }, {a});
}

TEST_CASE("gradcheck: exp, log, sqrt, abs, neg, clamp") {
  const Tensor pos = rnd({3, 3}, 11, 0.2, 3), any = rnd({3, 3}, 12, -2, 2);
  check_grad([](Ts x) { return exp(x[0]); }, {any});
  check_grad([](Ts x) { return log(x[0]); }, {pos});
  check_grad([](Ts x) { return sqrt(x[0]); }, {pos});
  check_grad([](Ts x) { return abs(x[0]); }, {any});
  check_grad([](Ts x) { return neg(x[0]); }, {any});
  check_grad([](Ts x) { return clamp(x[0], -0.5, 0.7); }, {any});
}

TEST_CASE("gradcheck: activations") {
  const Tensor x = rnd({4, 5}, 13, -4, 4);  // spans every branch of relu6 / hardswish
  check_grad([](Ts v) { return relu(v[0]); }, {x});
  check_grad([](Ts v) { return relu6(v[0] * 2.0); }, {x});
  check_grad([](Ts v) { return leaky_relu(v[0], 0.2); }, {x});
  check_grad([](Ts v) { return sigmoid(v[0]); }, {x});
  check_grad([](Ts v) { return tanh(v[0]); }, {x});
  check_grad([](Ts v) { return silu(v[0]); }, {x});
  check_grad([](Ts v) { return gelu(v[0]); }, {x});
  check_grad([](Ts v) { return hardswish(v[0]); }, {x});
  check_grad([](Ts v) { return hardsigmoid(v[0]); }, {x});
}

TEST_CASE("gradcheck: ops on non-contiguous (transposed, sliced) inputs") {
  const Tensor a = rnd({4, 3}, 14), b = rnd({3, 4}, 15);
  check_grad([](Ts x) { return x[0].transpose(0, 1) * x[1]; }, {a, b});
  check_grad([](Ts x) { return sigmoid(x[0].slice(1, 0, 4, 2)); }, {b});
  check_grad([](Ts x) { return x[0].transpose(0, 1) + x[0].transpose(0, 1).slice(0, 1, 2); }, {b});
}
