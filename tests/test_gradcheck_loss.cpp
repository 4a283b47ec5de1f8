// gradcheck of softmax, log_softmax and the losses, with every option that changes the backward.
#include "helpers.h"

using namespace easel;
using namespace easel::test;

using Ts = const std::vector<Tensor>&;

TEST_CASE("gradcheck: softmax and log_softmax along each dim") {
  const Tensor x = rnd({2, 3, 4}, 90, -3, 3);
  for (int64_t d : {0, 1, 2, -1}) {
    check_grad([d](Ts v) { return softmax(v[0], d); }, {x});
    check_grad([d](Ts v) { return log_softmax(v[0], d); }, {x});
  }
}

TEST_CASE("gradcheck: cross_entropy with weights, label smoothing and each reduction") {
  const Tensor logits = rnd({5, 4}, 91, -3, 3);
  const Tensor target = Tensor::from({0, 3, 1, 1, 2}, {5}, DType::i64);
  const Tensor weight = Tensor::from({1.0, 2.0, 0.5, 3.0}, {4}, DType::f64);
  for (double eps : {0.0, 0.1}) {
    for (Reduction red : {Reduction::mean, Reduction::sum, Reduction::none}) {
      for (bool weighted : {false, true}) {
        CAPTURE(eps);
        CAPTURE(int(red));
        CAPTURE(weighted);
        CrossEntropyOptions o;
        o.label_smoothing = eps;
        o.reduction = red;
        if (weighted) o.weight = weight;
        check_grad([&](Ts v) { return cross_entropy(v[0], target, o); }, {logits});
      }
    }
  }
}

TEST_CASE("gradcheck: binary_cross_entropy_with_logits, logits and targets, pos_weight") {
  const Tensor x = rnd({3, 4}, 92, -4, 4), y = rnd({3, 4}, 93, 0, 1), pw = rnd({4}, 94, 0.5, 3);
  for (Reduction red : {Reduction::mean, Reduction::sum, Reduction::none}) {
    check_grad([red](Ts v) { return binary_cross_entropy_with_logits(v[0], v[1], Tensor(), red); }, {x, y});
    check_grad([red](Ts v) { return binary_cross_entropy_with_logits(v[0], v[1], v[2], red); }, {x, y, pw});
  }
  // exactly at 0, where a naive |x| formulation has a kink
  check_grad([](Ts v) { return binary_cross_entropy_with_logits(v[0], v[1]); },
             {Tensor::zeros({3}, DType::f64).requires_grad_(), Tensor::from({0, 1, 0.3}, {3}, DType::f64)});
}
