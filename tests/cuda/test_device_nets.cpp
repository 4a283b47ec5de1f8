// Every registry net on a CUDA device against the same net on the CPU, in f64 at a small input
// size (eval mode): the logits and the gradient of every parameter; three nets also in training
// mode (batch statistics, dropout, stochastic depth, running statistics).
#include <doctest/doctest.h>

#include <cstdlib>

#include "autograd/conv_winograd.h"
#include "nets/net.h"
#include "tests/cuda/device_check.h"

using namespace easel;
using namespace easel::device_check;

namespace {

struct Pass {
  Tensor logits;
  std::vector<Tensor> grads;  // one per parameter
};

Pass forward_backward(Net& net, const Tensor& x, const Tensor& w) {
  for (auto& named : net.named_parameters()) named.second.zero_grad();
  Pass p;
  p.logits = net.forward(x);
  sum(p.logits * w.to(x.device())).backward();
  for (const auto& named : net.named_parameters()) p.grads.push_back(named.second.grad());
  return p;
}

// The net `name` built twice from one seed: the first stays on the CPU, the second moves to the device.
std::pair<std::shared_ptr<Net>, std::shared_ptr<Net>> twin_nets(const std::string& name, uint64_t seed, bool train,
                                                                DType dt = DType::f64) {
  manual_seed(seed);
  const std::shared_ptr<Net> cpu = create_net(name, 3);
  manual_seed(seed);
  const std::shared_ptr<Net> dev = create_net(name, 3);
  for (const auto& net : {cpu, dev}) net->to(dt), train ? net->train() : net->eval();
  dev->to(kDev);
  return {cpu, dev};
}

// The two passes' logits and every parameter's gradient within `tol`.
void check_passes(const std::string& name, const Net& cpu, const Pass& c, const Pass& d, double tol = 1e-9) {
  check_matches(d.logits, c.logits, name + " logits", tol);
  REQUIRE(c.grads.size() == d.grads.size());
  const NamedTensors names = cpu.named_parameters();
  for (size_t i = 0; i < c.grads.size(); ++i) {
    CHECK(c.grads[i].defined() == d.grads[i].defined());
    if (c.grads[i].defined() && d.grads[i].defined())
      check_matches(d.grads[i], c.grads[i], name + " grad " + names[i].first, tol);
  }
}

// The net `name` on the CPU and on the device, one image in eval mode (batches are the
// training-mode case's and the op tests' business).
void check_net(const std::string& name) {
  CAPTURE(name);
  const auto [cpu, dev] = twin_nets(name, 170, false);
  const Tensor x = random({1, 3, 32, 32}, DType::f64, 171), w = random({1, 3}, DType::f64, 173);
  check_passes(name, *cpu, forward_backward(*cpu, x, w), forward_backward(*dev, x.cuda(), w));
}

bool is_vgg(const std::string& name) { return name.rfind("vgg", 0) == 0; }

}  // namespace

TEST_SUITE("cuda") {

// The CPU computes every convolution by im2col + GEMM here too: Winograd and the direct depthwise
// loops round differently, and a net at random initialisation can amplify that far above f64's
// 1e-16 (efficientnet_b0's gradients then differ by 4e-5; with the same algorithm by less than 1e-9).
TEST_CASE("every registry net but the VGGs runs forward and backward on the device, equal to the CPU (f64)") {
  set_conv_algorithm(ConvAlgorithm::im2col);
  for (const NetInfo& info : net_registry())
    if (!is_vgg(info.name)) check_net(info.name);
  set_conv_algorithm(ConvAlgorithm::automatic);
}

// The VGGs apart: their 25088 × 4096 Linear makes each take half a minute (minutes under the
// sanitizers). EASEL_DEVICE_SUITE=quick (the sanitizer run in CI) keeps vgg16_bn, whose one
// constructor (nets/vgg.cpp) also builds the others: with and without batch norm, 16 or 19 layers,
// and vgg16_gap (no big Linear: cheap), the other head.
TEST_CASE("the VGG nets run forward and backward on the device, equal to the CPU (f64)") {
  const char* mode = std::getenv("EASEL_DEVICE_SUITE");
  const bool quick = mode && std::string(mode) == "quick";
  set_conv_algorithm(ConvAlgorithm::im2col);
  for (const NetInfo& info : net_registry())
    if (is_vgg(info.name) && (!quick || info.name == "vgg16_bn" || info.name == "vgg16_gap")) {
      MESSAGE("device suite: ", info.name);
      check_net(info.name);
    }
  set_conv_algorithm(ConvAlgorithm::automatic);
}

// f32 as users train (TF32 off: cuBLAS keeps f32 products f32): the parity bound, 1e-3.
TEST_CASE("in f32, a ResNet and an EfficientNet on the device equal the CPU within 1e-3") {
  for (const char* name : {"resnet18", "efficientnet_b0"}) {
    CAPTURE(name);
    const auto [cpu, dev] = twin_nets(name, 175, false, DType::f32);
    const Tensor x = random({2, 3, 32, 32}, DType::f32, 176), w = random({2, 3}, DType::f32, 177);
    check_passes(name, *cpu, forward_backward(*cpu, x, w), forward_backward(*dev, x.cuda(), w), 1e-3);
  }
}

TEST_CASE("a training-mode step on the device equals the CPU: batch statistics, dropout, running statistics") {
  set_conv_algorithm(ConvAlgorithm::im2col);
  for (const char* name : {"resnet18", "efficientnet_b0", "recurrent_cnn"}) {
    CAPTURE(name);
    const auto [cpu, dev] = twin_nets(name, 180, true);
    const Tensor x = random({4, 3, 64, 64}, DType::f64, 181), w = random({4, 3}, DType::f64, 182);
    manual_seed(183);  // the same dropout and stochastic-depth masks on both devices
    const Pass c = forward_backward(*cpu, x, w);
    manual_seed(183);
    const Pass d = forward_backward(*dev, x.cuda(), w);
    check_passes(name, *cpu, c, d);
    const NamedTensors sc = cpu->state_dict(), sd = dev->state_dict();
    for (size_t i = 0; i < sc.size(); ++i)
      if (sc[i].first.find("running_") != std::string::npos)
        check_matches(sd[i].second, sc[i].second, std::string(name) + " " + sc[i].first, 1e-9);
  }
  set_conv_algorithm(ConvAlgorithm::automatic);
}

// The device computes with no atomics and sums in a fixed order, so a rerun from the same seed gives
// the same bits (in f32, as users train) — here while the simulation runs blocks on several threads
// in a new order each time, on a GPU with whatever scheduling it picks.
TEST_CASE("a training-mode step rerun on the device from the same seed gives the same bits") {
  const auto same_bits = [](const Tensor& a, const Tensor& b) { return a.to_vector() == b.to_vector(); };
  for (const char* name : {"resnet18", "efficientnet_b0"}) {
    CAPTURE(name);
    Pass runs[2];
    NamedTensors states[2];
    for (int r = 0; r < 2; ++r) {
      manual_seed(185);
      const std::shared_ptr<Net> dev = create_net(name, 3);
      dev->to(DType::f32), dev->train(), dev->to(kDev);
      const Tensor x = random({4, 3, 48, 48}, DType::f32, 186), w = random({4, 3}, DType::f32, 187);
      manual_seed(188);
      runs[r] = forward_backward(*dev, x.cuda(), w);
      states[r] = dev->state_dict();
    }
    CHECK(runs[0].logits.device() == kDev);
    CHECK(same_bits(runs[0].logits, runs[1].logits));
    int differing = 0;
    for (size_t i = 0; i < runs[0].grads.size(); ++i)
      if (runs[0].grads[i].defined()) differing += !same_bits(runs[0].grads[i], runs[1].grads[i]);
    for (size_t i = 0; i < states[0].size(); ++i) differing += !same_bits(states[0][i].second, states[1][i].second);
    CHECK(differing == 0);
  }
}

}  // TEST_SUITE
