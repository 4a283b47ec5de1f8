// Load converted weights (.npz with PyTorch state_dict names, e.g. from weights/convert_torchvision.py
// or a run's best.npz) into a zoo net and classify one image.
//   usage: predict_image MODEL WEIGHTS.npz IMAGE CLASS[,CLASS...] [SIZE]
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "io/checkpoint.h"
#include "io/image.h"
#include "io/transforms.h"
#include "nets/net.h"
#include "tensor/random.h"

using namespace easel;

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s MODEL WEIGHTS.npz IMAGE CLASS[,CLASS...] [SIZE]\n", argv[0]);
    return 2;
  }
  std::vector<std::string> classes;
  std::stringstream list(argv[4]);
  for (std::string c; std::getline(list, c, ',');) classes.push_back(c);
  try {
    auto net = create_net(argv[1], int64_t(classes.size()));
    net->load_state_dict(load_model_weights(argv[2]));  // every key and shape checked first
    net->eval();

    Preprocess pre;  // resize the shorter side, centre crop, ImageNet mean / std
    pre.size = argc > 5 ? std::stoll(argv[5]) : 224;
    Generator unused(0);
    const Tensor x = prepare_image(load_image(argv[3]), pre, nullptr, unused).unsqueeze(0);  // [1, 3, S, S]

    NoGradGuard no_grad;
    const std::vector<double> p = softmax((*net)(x), 1).to_vector();
    for (size_t c = 0; c < classes.size(); ++c) std::printf("%-12s %6.2f%%\n", classes[c].c_str(), 100 * p[c]);
  } catch (const Error& e) {
    std::fprintf(stderr, "predict_image: %s\n", e.what());
    return 1;
  }
  return 0;
}
