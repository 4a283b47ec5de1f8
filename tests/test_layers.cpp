// Modules: names, state_dict, strict loading, freezing, modes, feature capture, and f64 gradient
// checks of the composite layers (LSTM, residual / MBConv / Xception blocks, squeeze-excitation).
#include "helpers.h"
#include "layers/blocks.h"
#include "layers/lstm.h"
#include "nets/net.h"

using namespace easel;
using namespace easel::test;

using Ts = const std::vector<Tensor>&;

namespace {

std::vector<std::string> keys(const NamedTensors& t) {
  std::vector<std::string> k;
  for (auto& [n, v] : t) k.push_back(n);
  return k;
}

bool has_key(const NamedTensors& t, const std::string& k, const Shape& shape) {
  for (auto& [n, v] : t)
    if (n == k) return v.shape() == shape;
  return false;
}

// gradcheck of a module's forward w.r.t. its input and every parameter, in f64.
void check_module_grad(Module& m, const Tensor& x) {
  m.to(DType::f64);
  std::vector<Tensor> inputs{x};
  for (Tensor p : m.parameters()) inputs.push_back(p);
  check_grad([&m](Ts v) { return m(v[0]); }, inputs);
}

}  // namespace

TEST_CASE("parameter and buffer names follow PyTorch's state_dict") {
  BasicBlock b(4, 8, 2);
  CHECK(keys(b.named_parameters()) == std::vector<std::string>{"conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight",
                                                                "bn2.weight", "bn2.bias", "downsample.0.weight",
                                                                "downsample.1.weight", "downsample.1.bias"});
  const std::vector<std::string> sd = keys(b.state_dict());
  CHECK(sd.size() == 18);
  CHECK(sd[1] == "bn1.weight");
  CHECK(sd[3] == "bn1.running_mean");
  CHECK(sd[5] == "bn1.num_batches_tracked");
  LSTM lstm(3, 5, 2, true, true);
  CHECK(keys(lstm.named_parameters())[4] == "weight_ih_l0_reverse");
  CHECK(has_key(lstm.named_parameters(), "weight_ih_l1", {20, 10}));
  CHECK(has_key(lstm.named_parameters(), "bias_hh_l1_reverse", {20}));
}

TEST_CASE("registry nets have torchvision's parameter counts and key names") {
  CHECK(create_net("resnet50")->num_parameters() == 25557032);
  CHECK(create_net("vgg16")->num_parameters() == 138357544);
  CHECK(create_net("efficientnet_b0")->num_parameters() == 5288548);
  CHECK(create_net("resnet18")->num_parameters() == 11689512);
  CHECK(create_net("efficientnet_v2_s")->num_parameters() == 21458488);
  CHECK(create_net("vgg19_bn")->num_parameters() == 143678248);
  const NamedTensors r = create_net("resnet50", 7)->state_dict();
  CHECK(r.size() == 320);  // as len(torchvision.models.resnet50().state_dict())
  CHECK(has_key(r, "layer4.2.bn3.num_batches_tracked", {}));
  CHECK(has_key(r, "layer3.0.downsample.0.weight", {1024, 512, 1, 1}));
  CHECK(has_key(r, "fc.weight", {7, 2048}));
  const NamedTensors e = create_net("efficientnet_b0")->state_dict();
  CHECK(has_key(e, "features.1.0.block.0.0.weight", {32, 1, 3, 3}));
  CHECK(has_key(e, "features.2.0.block.2.fc1.weight", {4, 96, 1, 1}));
  CHECK(has_key(e, "classifier.1.weight", {1000, 1280}));
  const NamedTensors x = create_net("xception")->state_dict();
  CHECK(has_key(x, "block1.rep.0.conv1.weight", {64, 1, 3, 3}));
  CHECK(has_key(x, "block2.rep.1.pointwise.weight", {256, 128, 1, 1}));
  CHECK(has_key(x, "block12.skip.weight", {1024, 728, 1, 1}));
  CHECK(has_key(create_net("two_branch_resnet50_fusion", 2)->state_dict(), "head.3.weight", {2, 512}));
  CHECK(error_of([] { create_net("resnet51"); }).find("unknown model 'resnet51'; available: vgg16") != std::string::npos);
}

TEST_CASE("every registry net gives its embedding and logits") {
  NoGradGuard ng;
  for (const NetInfo& info : net_registry()) {
    CAPTURE(info.name);
    auto net = info.create(3);
    net->eval();
    const Tensor x = Tensor::randn({1, 3, 64, 64});
    const Tensor emb = net->embed(x);
    CHECK(emb.shape() == Shape{1, net->embedding_size});
    CHECK(max_abs_diff(net->at(net->head_path)(emb), (*net)(x)) < 1e-5);
    CHECK(net->find(net->last_conv_path) != nullptr);
  }
}

TEST_CASE("load_state_dict: strict mode reports every problem at once and loads nothing") {
  Linear src(4, 3), dst(4, 3);
  NamedTensors sd = src.state_dict();
  dst.load_state_dict(sd);
  CHECK(max_abs_diff(dst.weight, src.weight) == 0);

  Sequential a, b;
  a.push(std::make_shared<Linear>(4, 3));
  a.push(std::make_shared<BatchNorm>(3, 1));
  b.push(std::make_shared<Linear>(4, 5));
  b.push(std::make_shared<Linear>(2, 2));
  b.push(std::make_shared<Linear>(1, 1));
  const Tensor before = b.state_dict()[0].second.clone();
  const std::string err = error_of([&] { b.load_state_dict(a.state_dict()); });
  CHECK(err.find("problems (nothing was loaded)") != std::string::npos);
  CHECK(err.find("9 problems (nothing was loaded)") != std::string::npos);
  CHECK(err.find("missing in the file: 2.weight [1, 1]") != std::string::npos);
  CHECK(err.find("shape mismatch: 1.weight: file [3], model [2, 2]") != std::string::npos);
  CHECK(err.find("unexpected in the file: 1.running_mean [3]") != std::string::npos);
  CHECK(err.find("shape mismatch: 0.weight: file [3, 4], model [5, 4]") != std::string::npos);
  CHECK(max_abs_diff(b.state_dict()[0].second, before) == 0);

  LoadOptions lenient;
  lenient.strict = false;
  const LoadReport rep = b.load_state_dict(a.state_dict(), lenient);
  CHECK(rep.missing.size() == 2);
  CHECK(rep.mismatched.size() == 4);
  CHECK(rep.unexpected.size() == 3);
}

TEST_CASE("load_state_dict: a new head keeps its fresh initialisation; f64 files load into f32") {
  auto src = create_net("resnet18", 1000), dst = create_net("resnet18", 5);
  NamedTensors sd = src->state_dict();
  for (auto& [k, t] : sd)
    if (is_floating(t.dtype())) t = t.to(DType::f64);
  LoadOptions opt;
  opt.reset_prefix = dst->head_path;
  const Tensor fresh = dst->at("fc").state_dict()[0].second.clone();
  const LoadReport rep = dst->load_state_dict(sd, opt);
  CHECK(rep.reset.size() == 2);
  CHECK(max_abs_diff(dst->at("fc").state_dict()[0].second, fresh) == 0);
  CHECK(dst->state_dict()[0].second.dtype() == DType::f32);
  CHECK(max_abs_diff(dst->state_dict()[0].second, src->state_dict()[0].second) < 1e-7);
  CHECK(error_of([&] { dst->load_state_dict(sd); }).find("fc.weight: file [1000, 512], model [5, 512]") != std::string::npos);
}

TEST_CASE("train/eval reach every module; freezing by name prefix") {
  auto net = create_net("resnet18", 2);
  net->eval();
  CHECK_FALSE(net->at("layer1.0.bn1").training());
  net->train();
  CHECK(net->at("layer1.0.bn1").training());
  net->set_trainable("", false);
  net->set_trainable("layer4", true);
  net->set_trainable("fc", true);
  int64_t trainable = 0;
  for (auto& [n, p] : net->named_parameters())
    if (p.requires_grad()) {
      trainable += p.numel();
      CHECK((n.rfind("layer4.", 0) == 0 || n.rfind("fc.", 0) == 0));
    }
  CHECK(trainable == 8393728 + 1026);
  CHECK(error_of([&] { net->set_trainable("layer9", false); }).find("no parameter name starts with 'layer9'") !=
        std::string::npos);
  CHECK(error_of([&] { net->at("layer9"); }).find("no module named 'layer9'") != std::string::npos);
}

TEST_CASE("batch norm in training counts batches and moves its running statistics") {
  BatchNorm bn(3);
  bn(Tensor::randn({4, 3, 2, 2}) + 5.0);
  CHECK(bn.num_batches_tracked.item() == 1);
  CHECK(bn.running_mean.at({0}) == doctest::Approx(0.5).epsilon(0.2));  // 0.1 · ~5
  bn.eval();
  bn(Tensor::randn({4, 3, 2, 2}));
  CHECK(bn.num_batches_tracked.item() == 1);
}

TEST_CASE("feature capture records a named module's output") {
  auto net = create_net("resnet18", 2);
  net->eval();
  FeatureCapture cap(*net, {"layer4", "layer2.1.conv2"});
  (*net)(Tensor::randn({2, 3, 64, 64}));
  CHECK(cap.get("layer4").shape() == Shape{2, 512, 2, 2});
  CHECK(cap.get("layer2.1.conv2").shape() == Shape{2, 128, 8, 8});
  CHECK(error_of([&] { FeatureCapture c(*net, {"nope"}); }).find("no module named 'nope'") != std::string::npos);
}

TEST_CASE("a batch norm fused with its ReLU still yields its own output to a capture, and counts its batches") {
  // BasicBlock runs bn1 through forward_relu (batch_norm_relu); a capture of bn1 must see the
  // batch norm's output, negative values included, and the block's output must not change.
  auto net = create_net("resnet18", 2);
  net->eval();
  const Tensor x = Tensor::randn({2, 3, 64, 64});
  const Tensor fused = (*net)(x);
  FeatureCapture cap(*net, {"layer1.0.bn1"});
  const Tensor split = (*net)(x);
  CHECK(max_abs_diff(fused, split) == 0);
  CHECK(max(neg(cap.get("layer1.0.bn1"))).item() > 0);  // some value below zero: before the ReLU
  auto& bn = dynamic_cast<BatchNorm&>(net->at("layer1.0.bn1"));
  net->train();
  const int64_t before = int64_t(bn.num_batches_tracked.item());
  (*net)(x);
  CHECK(int64_t(bn.num_batches_tracked.item()) == before + 1);
}

TEST_CASE("stochastic depth drops whole samples in training only") {
  StochasticDepth sd(0.5);
  const Tensor x = Tensor::ones({200, 3, 2, 2});
  const Tensor y = sd(x);
  int dropped = 0;
  for (int64_t i = 0; i < 200; ++i) {
    const double s = sum(y.select(0, i)).item();
    CHECK((s == 0 || s == doctest::Approx(24)));
    dropped += s == 0;
  }
  CHECK(dropped > 60);
  CHECK(dropped < 140);
  sd.eval();
  CHECK(max_abs_diff(sd(x), x) == 0);
}

TEST_CASE("gradcheck: LSTM, 2 layers, bidirectional, batch_first and not") {
  manual_seed(1);
  LSTM a(3, 4, 2, true, true);
  check_module_grad(a, rnd({2, 3, 3}, 200));
  LSTM b(2, 3, 1, false, false);
  check_module_grad(b, rnd({4, 2, 2}, 201));
  const LSTMOutput o = b.run(rnd({4, 2, 2}, 202, -1, 1, false));
  CHECK(o.output.shape() == Shape{4, 2, 3});
  CHECK(o.h_n.shape() == Shape{1, 2, 3});
  CHECK(max_abs_diff(o.h_n.select(0, 0), o.output.select(0, 3)) == 0);  // last step's hidden state
}

TEST_CASE("gradcheck: LSTM hidden and cell states (h_n, c_n)") {
  manual_seed(2);
  LSTM l(2, 3, 2, true, true);
  l.to(DType::f64);
  std::vector<Tensor> in{rnd({2, 3, 2}, 203)};
  for (Tensor p : l.parameters()) in.push_back(p);
  check_grad([&l](Ts v) {
    const LSTMOutput o = l.run(v[0]);
    return concat({o.h_n, o.c_n}, 2);
  }, in);
}

TEST_CASE("gradcheck: residual, MBConv, fused MBConv, Xception and squeeze-excitation blocks (batch statistics)") {
  manual_seed(3);
  SUBCASE("BasicBlock with downsample") {
    BasicBlock b(2, 3, 2);
    check_module_grad(b, rnd({2, 2, 5, 5}, 210));
  }
  SUBCASE("Bottleneck") {
    Bottleneck b(4, 2, 1);
    check_module_grad(b, rnd({2, 4, 4, 4}, 211));
  }
  SUBCASE("MBConv with residual") {
    MBConv b(4, 4, 2, 3, 1, 0.0, 1e-5);
    check_module_grad(b, rnd({2, 4, 4, 4}, 212));
  }
  SUBCASE("FusedMBConv expanding, strided") {
    FusedMBConv b(2, 3, 2, 3, 2, 0.0, 1e-3);
    check_module_grad(b, rnd({2, 2, 5, 5}, 213));
  }
  SUBCASE("Xception block, strided, skip conv") {
    XceptionBlock b(2, 3, 2, 2, true, false);
    check_module_grad(b, rnd({2, 2, 5, 5}, 214));
  }
  SUBCASE("SqueezeExcitation") {
    SqueezeExcitation b(4, 2, "silu");
    check_module_grad(b, rnd({2, 4, 3, 3}, 215));
  }
}
