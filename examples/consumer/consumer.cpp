// Easel from another CMake project: read a model file, classify an image, then take a few
// training steps towards the class it found least likely and watch the loss fall.
//   consumer MODEL.npz IMAGE
#include <cstdio>

#include "apps/model/model_file.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "io/image.h"
#include "io/transforms.h"
#include "optim/optimizer.h"
#include "tensor/random.h"

using namespace easel;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: consumer MODEL.npz IMAGE\n");
    return 2;
  }
  try {
    Run model = load_model_file(argv[1]);
    Generator g(0);
    const Tensor x = prepare_image(load_image(argv[2]), model.pre, nullptr, g).unsqueeze(0);  // [1, 3, S, S]
    int64_t least = 0;  // the class it finds least likely
    {
      NoGradGuard no_grad;
      const std::vector<double> p = softmax((*model.net)(x), 1).to_vector();
      for (size_t c = 0; c < p.size(); ++c) {
        std::printf("%s %.6f\n", model.classes[c].c_str(), p[c]);
        if (p[c] < p[size_t(least)]) least = int64_t(c);
      }
    }
    // Teach it that the image is of that class (batch norm in eval mode: one image makes no batch).
    auto opt = make_optimizer("adamw");
    ParamGroup all;
    for (const auto& [name, p] : model.net->named_parameters()) all.names.push_back(name), all.params.push_back(p);
    all.lr = 1e-3;
    opt->add_group(all);
    const Tensor target = Tensor::full({1}, double(least), DType::i64);
    double first = 0, last = 0;
    for (int step = 0; step < 5; ++step) {
      opt->zero_grad();
      Tensor loss = cross_entropy((*model.net)(x), target);
      loss.backward();
      opt->step();
      last = loss.item();
      if (step == 0) first = last;
      std::printf("step %d loss %.6f\n", step, last);
    }
    if (!(last < first)) {
      std::fprintf(stderr, "consumer: the loss did not fall (%.6f -> %.6f)\n", first, last);
      return 1;
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
  return 0;
}
