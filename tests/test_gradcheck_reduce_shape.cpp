// gradcheck of reductions, shape ops, matmul and linear.
#include "helpers.h"

using namespace easel;
using namespace easel::test;

using Ts = const std::vector<Tensor>&;

TEST_CASE("gradcheck: sum and mean over dims, keepdim or not") {
  const Tensor x = rnd({2, 3, 4}, 20);
  check_grad([](Ts v) { return sum(v[0]); }, {x});
  check_grad([](Ts v) { return sum(v[0], {1}); }, {x});
  check_grad([](Ts v) { return sum(v[0], {0, 2}, true); }, {x});
  check_grad([](Ts v) { return sum(v[0], {-1}, false); }, {x});
  check_grad([](Ts v) { return mean(v[0]); }, {x});
  check_grad([](Ts v) { return mean(v[0], {2, 0}); }, {x});
  check_grad([](Ts v) { return mean(v[0], {1}, true); }, {x});
}

TEST_CASE("gradcheck: var with and without correction, keepdim") {
  const Tensor x = rnd({3, 5}, 21);
  check_grad([](Ts v) { return var(v[0]); }, {x});
  check_grad([](Ts v) { return var(v[0], {1}); }, {x});
  check_grad([](Ts v) { return var(v[0], {0}, 0, true); }, {x});
}

TEST_CASE("gradcheck: max over a dim and over all") {
  const Tensor x = rnd({3, 4, 2}, 22);  // random: no ties
  check_grad([](Ts v) { return max(v[0], 1); }, {x});
  check_grad([](Ts v) { return max(v[0], 0, true); }, {x});
  check_grad([](Ts v) { return max(v[0], -1); }, {x});
  check_grad([](Ts v) { return max(v[0]); }, {x});
}

TEST_CASE("gradcheck: sum_to") {
  check_grad([](Ts v) { return sum_to(v[0], {3, 1}); }, {rnd({2, 3, 4}, 23)});
}

TEST_CASE("gradcheck: views") {
  const Tensor x = rnd({2, 3, 4}, 24);
  check_grad([](Ts v) { return v[0].reshape({4, -1}) * 1.0; }, {x});
  check_grad([](Ts v) { return v[0].permute({2, 0, 1}); }, {x});
  check_grad([](Ts v) { return v[0].transpose(0, 2); }, {x});
  check_grad([](Ts v) { return v[0].slice(2, 1, 4, 2); }, {x});
  check_grad([](Ts v) { return v[0].select(1, -1); }, {x});
  check_grad([](Ts v) { return v[0].slice(1, 1, 2).expand({2, 5, 4}); }, {x});
  check_grad([](Ts v) { return v[0].unsqueeze(1).squeeze(1).flatten(); }, {x});
  check_grad([](Ts v) { return v[0].transpose(0, 1).contiguous(); }, {x});
  check_grad([](Ts v) { return v[0].transpose(0, 1).reshape({3, 8}); }, {x});  // copy path
  check_grad([](Ts v) { return v[0].clone(); }, {x});
}

TEST_CASE("gradcheck: concat, split, chunk") {
  const Tensor a = rnd({2, 3}, 25), b = rnd({2, 1}, 26), c = rnd({2, 2}, 27);
  check_grad([](Ts v) { return concat({v[0], v[1], v[2]}, 1); }, {a, b, c});
  check_grad([](Ts v) { return concat({v[0], v[0]}, 0); }, {a});
  check_grad([](Ts v) { return split(v[0], 2, 1)[1] * 3.0 + split(v[0], 2, 1)[0].slice(1, 0, 1); }, {a});
  check_grad([](Ts v) {
    const std::vector<Tensor> p = chunk(v[0], 3, 0);
    return p[0] * p[2];
  }, {rnd({6, 2}, 28)});
}

TEST_CASE("gradcheck: pad (zero, constant, negative crop)") {
  const Tensor x = rnd({2, 3, 4}, 29);
  check_grad([](Ts v) { return pad(v[0], {1, 2}); }, {x});
  check_grad([](Ts v) { return pad(v[0], {1, 0, 2, 1}, 0.5); }, {x});
  check_grad([](Ts v) { return pad(v[0], {-1, 1, 0, -1}); }, {x});
}

TEST_CASE("gradcheck: matmul, 2-d, batched, broadcast batch, vectors") {
  check_grad([](Ts v) { return matmul(v[0], v[1]); }, {rnd({3, 4}, 30), rnd({4, 5}, 31)});
  check_grad([](Ts v) { return matmul(v[0], v[1]); }, {rnd({2, 3, 4}, 32), rnd({2, 4, 2}, 33)});
  check_grad([](Ts v) { return matmul(v[0], v[1]); }, {rnd({2, 3, 4}, 34), rnd({4, 2}, 35)});
  check_grad([](Ts v) { return matmul(v[0], v[1]); }, {rnd({3, 4}, 36), rnd({2, 2, 4, 3}, 37)});
  check_grad([](Ts v) { return matmul(v[0], v[1]); }, {rnd({1, 3, 4}, 38), rnd({3, 4, 2}, 39)});
  check_grad([](Ts v) { return matmul(v[0], v[1]); }, {rnd({4}, 40), rnd({4, 3}, 41)});
  check_grad([](Ts v) { return matmul(v[0], v[1]); }, {rnd({2, 4}, 42), rnd({4}, 43)});
  check_grad([](Ts v) { return matmul(v[0].transpose(0, 1), v[1]); }, {rnd({4, 3}, 44), rnd({4, 2}, 45)});
}

TEST_CASE("gradcheck: linear with and without bias, batched input") {
  const Tensor w = rnd({5, 4}, 46), b = rnd({5}, 47);
  check_grad([](Ts v) { return linear(v[0], v[1], v[2]); }, {rnd({3, 4}, 48), w, b});
  check_grad([](Ts v) { return linear(v[0], v[1]); }, {rnd({2, 3, 4}, 49), w});
  check_grad([](Ts v) { return linear(v[0], v[1], v[2]); }, {rnd({4}, 50), w, b});
}
