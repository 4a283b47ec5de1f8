// Class activation maps light the region the decision depends on.
#include "apps/analysis/cam.h"
#include "apps/pictures/analysis_charts.h"
#include "helpers.h"

using namespace easel;
using namespace easel::test;

namespace {

// Channel 0 of its 1×1 conv responds to red, channel 1 to blue; class 0's logit reads channel 0
// only. On an image whose only red is one square, the evidence for class 0 is that square.
class RedNet : public Net {
 public:
  RedNet() : Net("RedNet", 2) {
    conv = add_module("conv", std::make_shared<Conv2d>(3, 2, 1));
    fc = add_module("fc", std::make_shared<Linear>(2, 2));
    NoGradGuard ng;
    conv->weight.copy_(Tensor::from({1, -1, -1, -1, -1, 1}, {2, 3, 1, 1}));
    conv->bias.copy_(Tensor::zeros({2}));
    fc->weight.copy_(Tensor::from({1, 0, 0, 1}, {2, 2}));
    fc->bias.copy_(Tensor::zeros({2}));
    head_path = "fc", last_conv_path = "conv", embedding_size = 2;
  }
  Tensor embed(const Tensor& x) override { return mean(relu((*conv)(x)), {2, 3}); }
  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<Linear> fc;
};

Tensor red_square_on_blue() {  // 16×16 blue, a red square at rows 3-8, columns 9-14
  Tensor x = Tensor::zeros({1, 3, 16, 16});
  x.select(1, 2).copy_(Tensor::ones({1, 16, 16}));
  x.slice(2, 3, 9).slice(3, 9, 15).select(1, 2).copy_(Tensor::zeros({1, 6, 6}));
  x.slice(2, 3, 9).slice(3, 9, 15).select(1, 0).copy_(Tensor::ones({1, 6, 6}));
  return x;
}

}  // namespace

TEST_CASE("Grad-CAM and Grad-CAM++ light the region that holds the evidence for the class") {
  RedNet net;
  const Tensor x = red_square_on_blue();
  for (const char* method : {"gradcam", "gradcam++"}) {
    CAPTURE(method);
    const Cam c = compute_cam(net, x, "", method, 0);
    CHECK(c.cls == 0);
    CHECK(c.map.shape() == Shape{16, 16});
    CHECK(-max(-c.map.slice(0, 3, 9).slice(1, 9, 15)).item() == doctest::Approx(1.0));  // the red square: full
    CHECK(max(c.map.slice(0, 9, 16)).item() == 0);                             // below it: nothing
    CHECK(max(c.map.slice(1, 0, 9)).item() == 0);                              // left of it: nothing
    const Cam b = compute_cam(net, x, "", method, 1);  // the blue class: everything but the square
    CHECK(max(b.map.slice(0, 3, 9).slice(1, 9, 15)).item() == 0);
    CHECK(-max(-b.map.slice(0, 9, 16)).item() == doctest::Approx(1.0));
  }
}

TEST_CASE("EigenCAM follows the strongest activations") {
  RedNet net;
  const Cam c = compute_cam(net, red_square_on_blue(), "conv", "eigencam");
  // two kinds of pixels: the square and the rest; the first component separates them
  const double inside = mean(c.map.slice(0, 3, 9).slice(1, 9, 15)).item(), outside = mean(c.map.slice(0, 9, 16)).item();
  CHECK(std::abs(inside - outside) == doctest::Approx(1.0));
}

TEST_CASE("CAM on registry nets, and on the patch branch of the two-branch net") {
  manual_seed(6);
  auto r = create_net("resnet18", 3);
  const Cam c = compute_cam(*r, Tensor::randn({1, 3, 64, 64}), "layer4", "gradcam");
  CHECK(c.map.shape() == Shape{2, 2});
  CHECK(c.image.shape() == Shape{64, 64});
  auto two = create_net("two_branch_resnet50", 2);
  const Cam p = compute_cam(*two, Tensor::randn({1, 3, 128, 128}), "patch_branch.layer4", "eigencam");
  CHECK(p.map.shape() == Shape{2, 2});
  CHECK(p.image.shape() == Shape{128, 128});
  CHECK(max(p.image.slice(0, 0, 32)).item() == 0);  // outside the central crop: nothing
  CHECK(max(p.image.slice(0, 32, 96).slice(1, 32, 96)).item() == doctest::Approx(1.0));
  CHECK(error_of([&] { compute_cam(*r, Tensor::randn({1, 3, 64, 64}), "fc", "gradcam"); }).find("pick a layer") != std::string::npos);
  CHECK(colorize(Tensor::from({0, 1}, {1, 2})).shape() == Shape{3, 1, 2});
}
