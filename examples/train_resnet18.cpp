// Train a ResNet-18 from the model zoo on generated pictures: horizontal vs vertical stripes.
// The whole of a training loop on Easel's public API: data, net, loss, backward, optimizer step.
//   usage: train_resnet18 [OUT_DIR]   (writes OUT_DIR/stripes_resnet18.npz and two sample PNGs)
#include <cmath>
#include <cstdio>
#include <string>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "io/image.h"
#include "io/npz.h"
#include "io/transforms.h"
#include "nets/net.h"
#include "optim/optimizer.h"
#include "tensor/random.h"

using namespace easel;

constexpr int64_t kSize = 32, kBatch = 16;

// A picture of class 0 (horizontal stripes) or 1 (vertical), random frequency, phase and colour.
Tensor stripes(int64_t cls, Generator& g) {
  Tensor img = Tensor::empty({3, kSize, kSize});
  const double freq = 0.4 + 0.8 * g.uniform(), phase = 6.28 * g.uniform(), tint[3] = {g.uniform(), g.uniform(), g.uniform()};
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < kSize; ++y)
      for (int64_t x = 0; x < kSize; ++x)
        img.data<float>()[(c * kSize + y) * kSize + x] = float(0.5 + 0.5 * tint[c] * std::sin(freq * double(cls ? x : y) + phase));
  return img;
}

int main(int argc, char** argv) {
  const std::string out = argc > 1 ? argv[1] : ".";
  manual_seed(0);
  Generator data_rng(1);
  auto net = create_net("resnet18", 2);  // torchvision's ResNet-18, a new 2-class head
  auto opt = make_optimizer("adamw");
  ParamGroup all;
  for (const auto& [name, p] : net->named_parameters()) all.names.push_back(name), all.params.push_back(p);
  all.lr = 1e-3, all.weight_decay = 0.01;
  opt->add_group(all);

  net->train();
  for (int step = 1; step <= 40; ++step) {
    std::vector<Tensor> images;
    Tensor labels = Tensor::empty({kBatch}, DType::i64);
    for (int64_t i = 0; i < kBatch; ++i) {
      labels.data<int64_t>()[i] = i % 2;
      images.push_back(normalize(stripes(i % 2, data_rng), "imagenet").unsqueeze(0));
    }
    const Tensor x = concat(images, 0);             // [16, 3, 32, 32]
    const Tensor logits = (*net)(x);                // forward: [16, 2]
    const Tensor loss = cross_entropy(logits, labels);
    opt->zero_grad();
    loss.backward();                                // every parameter's .grad
    opt->step();                                    // AdamW update
    if (step % 10 == 0) std::printf("step %2d  loss %.4f\n", step, loss.item());
  }

  net->eval();  // batch norm now uses its running statistics
  NoGradGuard no_grad;
  int correct = 0;
  for (int i = 0; i < 40; ++i) {
    const Tensor p = softmax((*net)(normalize(stripes(i % 2, data_rng), "imagenet").unsqueeze(0)), 1);
    correct += int(argmax(p, 1).item()) == i % 2;
  }
  std::printf("held-out accuracy: %d / 40\n", correct);
  save_npz(out + "/stripes_resnet18.npz", net->state_dict());  // PyTorch state_dict names
  save_png(out + "/horizontal.png", stripes(0, data_rng));
  save_png(out + "/vertical.png", stripes(1, data_rng));
  std::printf("wrote %s/stripes_resnet18.npz, horizontal.png, vertical.png\n", out.c_str());
  return 0;
}
