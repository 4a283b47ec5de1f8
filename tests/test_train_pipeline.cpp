// The training pipeline end to end: generated painting-like images (always) and the real
// abstract-vs-figurative paintings (when ../shared/data is present); resume reproduces an
// uninterrupted run exactly; freezing, per-layer learning rates and re-initialisation.
#include <filesystem>
#include <fstream>

#include "apps/train/inference.h"
#include "apps/train/run.h"
#include "apps/train/trainer.h"
#include "helpers.h"
#include "io/image.h"
#include "io/npz.h"
#include "layers/surgery.h"
#include "tests/paintings.h"

using namespace easel;
using namespace easel::test;
namespace fs = std::filesystem;

namespace {

TrainConfig small(const std::string& data, const std::string& out) {
  TrainConfig o;
  o.data = data, o.out = out, o.model = "resnet18", o.pre.size = 24, o.epochs = 3, o.batch = 8;
  o.optimizer = "adamw", o.lr = 1e-3, o.quiet = true, o.workers = 2, o.seed = 3;
  o.aug = Augment::parse("hflip,noise=0.05");
  o.overwrite = true;  // several cases train into the same folder again
  return o;
}

}  // namespace

TEST_CASE("resume after an interruption reproduces the uninterrupted run exactly") {
  const std::string data = make_paintings(16), a = data + "_runA", b = data + "_runB";
  TrainConfig o = small(data, a);
  o.scheduler = "cosine";
  train(o);
  o.out = b;
  o.stop_after = 2;  // interrupted after epoch 2 ...
  train(o);
  o.stop_after = 0;  // ... and resumed
  o.resume = true;
  train(o);
  const std::vector<Json> la = log_lines(a), lb = log_lines(b);
  REQUIRE(la.size() == 3);
  REQUIRE(lb.size() == 3);
  for (size_t e = 0; e < 3; ++e) {
    CHECK(la[e]["train_loss"].num() == lb[e]["train_loss"].num());
    CHECK(la[e]["val_loss"].num() == lb[e]["val_loss"].num());
    CHECK(la[e]["lr"].num() == lb[e]["lr"].num());
  }
  CHECK(fs::exists(a + "/best.npz"));
  o.resume = false, o.overwrite = false;  // a finished run is not overwritten by accident
  CHECK(error_of([&] { train(o); }).find("already holds a run (config.json): continue it with --resume") != std::string::npos);
  CHECK(Json::load(a + "/config.json")["classes"].items().size() == 2);
  for (const auto& d : {data, a, b}) fs::remove_all(d);
}

TEST_CASE("a small net learns the generated paintings; eval and predict read the run back") {
  const std::string data = make_paintings(40), out = data + "_run";
  TrainConfig o = small(data, out);
  o.epochs = 6;
  o.class_weighted = true;
  o.scheduler = "plateau";
  const TrainResult r = train(o);
  MESSAGE("generated paintings: test accuracy " << r.test.accuracy << ", macro-F1 " << r.test.macro_f1);
  CHECK(r.test.macro_f1 > 0.8);  // the majority-class baseline has macro-F1 1/3
  const Run run = load_run(out);
  CHECK(run.classes == std::vector<std::string>{"fields", "stripes"});
  for (const char* pic : {"curves.png", "confusion.png", "roc.png"}) CHECK(fs::file_size(out + "/" + pic) > 1000);
  CHECK(run.pre.size == 24);
  fs::remove_all(data);
  fs::remove_all(out);
}

TEST_CASE("freezing, per-layer learning rates and re-initialisation act on weight layers") {
  auto net = create_net("vgg19", 2);
  const auto layers = weight_layers(*net);
  CHECK(layers.size() == 19);  // 16 convolutions + 3 linear layers, as the VGG19 seed counts them
  CHECK(layers[0] == std::vector<std::string>{"features.0.weight", "features.0.bias"});
  CHECK(layers[18][0] == "classifier.6.weight");
  auto bn = create_net("resnet18", 2);
  CHECK(weight_layers(*bn)[0] == std::vector<std::string>{"conv1.weight", "bn1.weight", "bn1.bias"});

  const std::string data = make_paintings(8), out = data + "_frozen";
  TrainConfig o = small(data, out);
  o.model = "resnet18";
  o.epochs = 1;
  o.freeze = 0.8;                 // 21 weight layers: the first 16 stay fixed
  o.layer_lr = "17-20:1e-2";      // a higher rate for the last block
  manual_seed(o.seed);  // train() seeds the same way: the same initial weights
  const NamedTensors init = create_net("resnet18", 2)->state_dict();
  train(o);
  const Run run = load_run(out, "last.npz");
  const NamedTensors after = run.net->state_dict();
  CHECK(max_abs_diff(npz_like(after, "conv1.weight"), npz_like(init, "conv1.weight")) == 0);      // frozen
  CHECK(max_abs_diff(npz_like(after, "fc.weight"), npz_like(init, "fc.weight")) > 0);            // trained
  CHECK(error_of([&] { o.layer_lr = "20-30:1e-2"; train(o); }).find("outside the net's weight layers 1-21") != std::string::npos);
  fs::remove_all(data);
  fs::remove_all(out);
}

TEST_CASE("real paintings: abstract vs figurative clearly beats the majority baseline" * doctest::skip(!has_data())) {
  const std::string out = "/tmp/easel_real_" + std::to_string(getpid());
  TrainConfig o;
  o.data = data_root() + "/wikiart_abstract_vs_figurative/dev";
  o.out = out, o.model = "resnet18", o.pre.size = 64, o.epochs = 5, o.batch = 32;
  o.optimizer = "adamw", o.lr = 1e-3, o.quiet = true, o.seed = 0;
  o.aug = Augment::parse("hflip");
  const TrainResult r = train(o);
  MESSAGE("abstract vs figurative (resnet18 from scratch, 64 px, 5 epochs): test accuracy " << r.test.accuracy
          << ", macro-F1 " << r.test.macro_f1 << ", " << r.seconds_per_epoch << " s/epoch");
  CHECK(r.test.macro_f1 > 0.6);  // majority baseline: 1/3
  fs::remove_all(out);
}

TEST_CASE("starting from a weights file: --reset-head for a new class count; name-prefix learning rates") {
  const std::string data = make_paintings(6), out = data + "_w", w = data + "_w.npz";
  save_npz(w, create_net("resnet18", 1000)->state_dict());
  TrainConfig o = small(data, out);
  o.epochs = 1;
  o.weights = w;
  CHECK(error_of([&] { train(o); }).find("add --reset-head") != std::string::npos);
  o.reset_head = true;
  o.layer_lr = "layer4:1e-2,fc:1e-1";
  CHECK_NOTHROW(train(o));
  CHECK(error_of([&] { o.layer_lr = "fc=0.1"; train(o); }).find("should be FIRST-LAST:VALUE") != std::string::npos);
  fs::remove_all(data);
  fs::remove_all(out);
  fs::remove(w);
}
