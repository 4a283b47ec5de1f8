// The training pipeline end to end: generated painting-like images (always) and the real
// abstract-vs-figurative paintings (when ../shared/data is present); resume reproduces an
// uninterrupted run exactly; freezing, per-layer learning rates and re-initialisation.
#include <filesystem>
#include <fstream>
#include <numeric>

#include "apps/train/inference.h"
#include "apps/train/run.h"
#include "apps/train/trainer.h"
#include "apps/train/weights.h"
#include "layers/basic.h"
#include "optim/scheduler.h"
#include "helpers.h"
#include "io/checkpoint.h"
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

TEST_CASE("--accumulate 2 of batch 8 takes the step of --batch 16; --warmup ramps every rate; --tta flip averages mirrors") {
  const std::string data = make_paintings(12), a = data + "_b16", b = data + "_b8x2", w = data + "_warm";
  // Only the head trains (every convolution and its batch norm frozen: running statistics, no
  // batch dependence), plain SGD: a batch of 16 and two of 8 whose gradients add up are one step.
  TrainConfig o = small(data, a);
  o.aug = Augment{}, o.optimizer = "sgd", o.lr = 0.01, o.weight_decay = 0, o.freeze = 0.99, o.epochs = 2, o.batch = 16;
  train(o);
  o.out = b, o.batch = 8, o.accumulate = 2;
  train(o);
  const NamedTensors wa = load_model_weights(a + "/last.npz"), wb = load_model_weights(b + "/last.npz");
  const Tensor fa = npz_get(wa, "fc.weight", a), fb = npz_get(wb, "fc.weight", b);
  CHECK(max_abs_diff(fa, fb) < 1e-5);
  const std::vector<Json> la = log_lines(a), lb = log_lines(b);
  CHECK(la[1]["train_loss"].num() < la[0]["train_loss"].num() - 1e-3);  // the head did learn
  CHECK(la[1]["train_loss"].num() == doctest::Approx(lb[1]["train_loss"].num()).epsilon(1e-4));
  // Warm-up over 1.5 epochs: the last update of epoch 1 runs at 2/3 of the rate, epoch 2's at all of it.
  o.out = w, o.batch = 8, o.accumulate = 1, o.warmup = 1.5;
  train(o);
  const std::vector<Json> lw = log_lines(w);
  CHECK(lw[0]["warmup"].num() == doctest::Approx(2.0 / 3));
  CHECK(lw[1]["warmup"].num() == 1);
  CHECK(lw[0]["train_loss"].num() != lb[0]["train_loss"].num());
  o.warmup = 3;
  CHECK(error_of([&] { validate(o); }).find("--warmup must be between 0 and --epochs (2), got 3") != std::string::npos);
  o.warmup = 0, o.accumulate = 0;
  CHECK(error_of([&] { validate(o); }).find("--accumulate must be at least 1") != std::string::npos);

  // Test-time flips: the mean of each image's and its mirror's probabilities, the mirror read from disk.
  const std::string mirrored = data + "_mirrored";
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    if (!entry.is_regular_file()) continue;
    const fs::path to = mirrored / fs::relative(entry.path(), data);
    fs::create_directories(to.parent_path());
    save_png(to.string(), hflip(load_image(entry.path().string())));
  }
  Run run = load_run(a);
  const LoaderOptions lo = inference_loader_options(run);
  const Dataset d1 = open_dataset(data, {}), d2 = open_dataset(mirrored, {});
  std::vector<size_t> all(d1.samples.size());
  std::iota(all.begin(), all.end(), 0);
  DataLoader l1(d1, all, lo), l2(d2, all, lo), l3(d1, all, lo);
  const Outputs plain = collect_outputs(*run.net, l1), mirror = collect_outputs(*run.net, l2);
  const Outputs both = collect_outputs(*run.net, l3, "", Tta::flip);
  REQUIRE(both.probs.size() == plain.probs.size());
  double worst = 0;
  for (size_t i = 0; i < both.probs.size(); ++i)
    for (size_t c = 0; c < 2; ++c) {
      worst = std::max(worst, std::abs(both.probs[i][c] - (plain.probs[i][c] + mirror.probs[i][c]) / 2));
      CHECK(std::exp(both.logits[i][c]) == doctest::Approx(both.probs[i][c]).epsilon(1e-6));
    }
  CHECK(worst < 1e-5);
  double flip_matters = 0;  // the net is not mirror-symmetric: the flips change the answer
  for (size_t i = 0; i < both.probs.size(); ++i) flip_matters = std::max(flip_matters, std::abs(both.probs[i][0] - plain.probs[i][0]));
  CHECK(flip_matters > 1e-4);
  CHECK(error_of([] { parse_tta("five-crop"); }).find("--tta 'five-crop': expected none or flip") != std::string::npos);
  for (const auto& dir : {data, a, b, w, mirrored}) fs::remove_all(dir);
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

TEST_CASE("starting from a weights file: a 1000-class head starts fresh; name-prefix learning rates") {
  const std::string data = make_paintings(6), out = data + "_w", w = data + "_w.npz";
  save_npz(w, create_net("resnet18", 1000)->state_dict());
  TrainConfig o = small(data, out);
  o.epochs = 1;
  o.weights = w;
  CHECK_NOTHROW(train(o));  // the ImageNet-sized head is left out, the rest loads
  o.reset_head = true;
  o.layer_lr = "layer4:1e-2,fc:1e-1";
  CHECK_NOTHROW(train(o));
  CHECK(error_of([&] { o.layer_lr = "fc=0.1"; train(o); }).find("should be FIRST-LAST:VALUE") != std::string::npos);
  fs::remove_all(data);
  fs::remove_all(out);
  fs::remove(w);
}

namespace {

// A copy of the 2-class set with a third class (the stripes again, under another name).
std::string with_third_class(const std::string& data) {
  const std::string three = data + "_3";
  fs::remove_all(three);
  fs::copy(data, three, fs::copy_options::recursive);
  fs::copy(data + "/stripes", three + "/more_stripes", fs::copy_options::recursive);
  return three;
}

}  // namespace

TEST_CASE("a trained run is a starting point: its folder or best.npz as weights, for another class count") {
  const std::string data = make_paintings(8), first = data + "_first", second = data + "_second";
  TrainConfig o = small(data, first);
  o.epochs = 1;
  train(o);
  const NamedTensors trained = load_run(first).net->state_dict();

  SUBCASE("load_starting_weights: the head is kept for the same classes, fresh for others or with reset_head") {
    manual_seed(5);
    auto same = create_net("resnet18", 2);
    CHECK(load_starting_weights(*same, read_starting_weights(first, "resnet18")).find("tensors loaded") != std::string::npos);
    CHECK(max_abs_diff(npz_like(same->state_dict(), "fc.weight"), npz_like(trained, "fc.weight")) == 0);
    CHECK(max_abs_diff(npz_like(same->state_dict(), "layer1.0.bn1.running_var"), npz_like(trained, "layer1.0.bn1.running_var")) == 0);
    auto three = create_net("resnet18", 3);
    const NamedTensors fresh = three->state_dict();
    const std::string account = load_starting_weights(*three, read_starting_weights(first + "/best.npz", "resnet18"));
    CHECK(account.find("its head has 2 classes, this net 3: the head 'fc' starts fresh") != std::string::npos);
    CHECK(max_abs_diff(npz_like(three->state_dict(), "fc.weight"), npz_like(fresh, "fc.weight")) == 0);
    CHECK(max_abs_diff(npz_like(three->state_dict(), "conv1.weight"), npz_like(trained, "conv1.weight")) == 0);
    auto reset = create_net("resnet18", 2);
    const NamedTensors reset_init = reset->state_dict();
    load_starting_weights(*reset, read_starting_weights(first, "resnet18"), true);
    CHECK(max_abs_diff(npz_like(reset->state_dict(), "fc.weight"), npz_like(reset_init, "fc.weight")) == 0);
    CHECK(head_classes(trained, *reset) == 2);
  }
  SUBCASE("train from the run on a 3-class set: the frozen trunk is the first run's, the head is new") {
    const std::string three = with_third_class(data);
    TrainConfig t = small(three, second);
    t.epochs = 1, t.weights = first, t.freeze = 0.9;  // 21 layers: 18 frozen, conv1 among them
    train(t);
    const NamedTensors after = load_run(second).net->state_dict();
    CHECK(npz_like(after, "fc.weight").size(0) == 3);
    CHECK(max_abs_diff(npz_like(after, "conv1.weight"), npz_like(trained, "conv1.weight")) == 0);
    // Frozen batch norms kept the first run's statistics through a training epoch.
    CHECK(max_abs_diff(npz_like(after, "bn1.running_mean"), npz_like(trained, "bn1.running_mean")) == 0);
    CHECK(max_abs_diff(npz_like(after, "layer4.1.bn2.running_mean"), npz_like(trained, "layer4.1.bn2.running_mean")) > 0);
    // AdamW's weight decay: PyTorch's default when not given, recorded in config.json.
    CHECK(Json::load(second + "/config.json")["train"]["weight-decay"].num() == 0.01);
    fs::remove_all(three);
  }
  SUBCASE("errors name the run and what differs") {
    CHECK(error_of([&] { read_starting_weights(first, "vgg16"); }).find("that run trained a resnet18, not a vgg16; add --model resnet18") !=
          std::string::npos);
    CHECK(error_of([&] { read_starting_weights(data, "resnet18"); }).find("a folder, but not a run (no config.json)") != std::string::npos);
    CHECK(error_of([&] { read_starting_weights(data + "/nothing.npz", "resnet18"); }).find("no such file or run directory") !=
          std::string::npos);
    save_npz(second + ".npz", create_net("efficientnet_b0", 2)->state_dict());
    auto net = create_net("resnet18", 2);
    CHECK(error_of([&] { load_starting_weights(*net, read_starting_weights(second + ".npz", "resnet18")); })
              .find("arrays is named as the ResNet18's") != std::string::npos);
    fs::remove(second + ".npz");
  }
  for (const auto& d : {data, first, second}) fs::remove_all(d);
}

TEST_CASE("torchvision VGG16 weights start the GAP-head VGG16: features loaded, classifier left out, fc fresh") {
  const std::string w = "/tmp/easel_vgg16_" + std::to_string(getpid()) + ".npz";
  const NamedTensors imagenet = create_net("vgg16", 1000)->state_dict();
  save_npz(w, imagenet);
  auto net = create_net("vgg16_gap", 5);
  CHECK(net->head_path == "fc");
  const NamedTensors fresh = net->state_dict();
  const std::string account = load_starting_weights(*net, read_starting_weights(w, "vgg16_gap"));
  CHECK(account.find("left out 6 arrays of classifier, which this net does not have") != std::string::npos);
  CHECK(max_abs_diff(npz_like(net->state_dict(), "features.28.weight"), npz_like(imagenet, "features.28.weight")) == 0);
  CHECK(max_abs_diff(npz_like(net->state_dict(), "fc.weight"), npz_like(fresh, "fc.weight")) == 0);
  CHECK(npz_like(net->state_dict(), "fc.weight").shape() == Shape{5, 512});
  fs::remove(w);
}

TEST_CASE("freezing counts each branch of a two-branch net; frozen batch norms keep their statistics") {
  auto net = create_net("two_branch_resnet50", 2);
  REQUIRE(net->backbone_paths == std::vector<std::string>{"global_branch", "patch_branch"});
  const auto layers = weight_layers(*net);
  REQUIRE(layers.size() == 107);  // 53 per ResNet50 trunk + fc
  CHECK(freeze_first_layers(*net, 0.8, net->backbone_paths) == 2 * 42);  // ⌊0.8 · 53⌋ of each branch
  std::map<std::string, bool> trains;
  for (const auto& [name, p] : net->named_parameters()) trains[name] = p.requires_grad();
  for (const char* branch : {"global_branch", "patch_branch"}) {
    const std::string b = branch;
    std::vector<std::vector<std::string>> mine;
    for (const auto& l : layers)
      if (l[0].rfind(b + ".", 0) == 0) mine.push_back(l);
    REQUIRE(mine.size() == 53);
    CHECK(!trains.at(mine[41][0]));  // layer 42 of the branch: frozen
    CHECK(trains.at(mine[42][0]));   // layer 43: trained
    CHECK(trains.at(b + ".layer4.2.conv3.weight"));
    CHECK(!trains.at(b + ".conv1.weight"));
  }
  CHECK(trains.at("fc.weight"));
  // Over the whole net (the old count) the global branch would be frozen entirely.
  CHECK(freeze_first_layers(*net, 0.8) == 85);
  CHECK(!net->named_parameters().empty());

  // A frozen batch norm normalises with its running statistics in training mode and leaves them alone.
  auto small_net = create_net("resnet18", 2);
  freeze_first_layers(*small_net, 0.5);
  auto* frozen = dynamic_cast<BatchNorm*>(small_net->find("bn1"));
  auto* trained = dynamic_cast<BatchNorm*>(small_net->find("layer4.1.bn2"));
  REQUIRE((frozen && trained));
  CHECK(frozen->frozen);
  CHECK(!trained->frozen);
  const Tensor mean_before = frozen->running_mean.clone(), trained_before = trained->running_mean.clone();
  small_net->train();
  (*small_net)(Tensor::randn({2, 3, 32, 32}));
  CHECK(max_abs_diff(frozen->running_mean, mean_before) == 0);
  CHECK(max_abs_diff(trained->running_mean, trained_before) > 0);
  CHECK(frozen->num_batches_tracked.item() == 0);
  freeze_first_layers(*small_net, 0);  // unfrozen again: batch statistics again
  CHECK(!frozen->frozen);
}

TEST_CASE("--layer-lr under every scheduler: each group keeps its own rate; the log lists them") {
  for (const char* name : {"step", "cosine", "onecycle", "plateau"}) {
    CAPTURE(name);
    auto opt = make_optimizer("sgd");
    for (double lr : {1e-2, 1e-4}) {
      ParamGroup g;
      g.names = {"p"}, g.params = {Tensor::zeros({2}).requires_grad_(true)}, g.lr = lr;
      opt->add_group(g);
    }
    auto sched = make_scheduler(name, *opt, 6, 4);
    bool changed = false;
    const double start = opt->groups()[0].lr;
    for (int i = 0; i < 20; ++i) {
      if (sched->cadence() == Scheduler::Cadence::per_batch) sched->step();
      else if (i < 5) sched->step(0.5);  // (cosine reaches 0 at epoch 6); a flat metric: plateau lowers the rate
      CHECK(opt->groups()[0].lr / opt->groups()[1].lr == doctest::Approx(100).epsilon(1e-12));
      changed = changed || opt->groups()[0].lr != start;
    }
    CHECK(changed);
  }
  const std::string data = make_paintings(6), out = data + "_groups";
  TrainConfig o = small(data, out);
  o.epochs = 2, o.scheduler = "onecycle", o.layer_lr = "fc:1e-1";
  train(o);
  for (const Json& line : log_lines(out)) {
    REQUIRE(line["lr_groups"].items().size() == 2);
    CHECK(line["lr_groups"].items()[1]["first"].str() == "fc.weight");
    CHECK(line["lr"].num() == line["lr_groups"].items()[0]["lr"].num());
    CHECK(line["lr_groups"].items()[1]["lr"].num() / line["lr"].num() == doctest::Approx(100).epsilon(1e-9));
  }
  fs::remove_all(data);
  fs::remove_all(out);
}

TEST_CASE("plateau-cycle (the pose seed's schedule): hold, raise on a plateau, decay linearly, then hold") {
  auto opt = make_optimizer("sgd");
  for (double lr : {1e-2, 1e-3}) {
    ParamGroup g;
    g.names = {"p"}, g.params = {Tensor::zeros({2}).requires_grad_(true)}, g.lr = lr;
    opt->add_group(g);
  }
  auto sched = make_scheduler("plateau-cycle:raise=1.5,patience=2,decay=4,floor=0.1", *opt, 20, 5);
  REQUIRE(sched);
  CHECK(sched->cadence() == Scheduler::Cadence::per_epoch);
  // metric: improves for 3 epochs, then flat; the 2nd flat epoch (epoch 5) is the plateau.
  const double metric[] = {0.5, 0.6, 0.7, 0.7, 0.7, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9};
  const double want[] = {1, 1, 1, 1, 1.5, 1.5 - 1.4 * 0.25, 1.5 - 1.4 * 0.5, 1.5 - 1.4 * 0.75, 0.1, 0.1, 0.1};
  for (int e = 0; e < 11; ++e) {
    CAPTURE(e);
    sched->step(metric[e]);
    CHECK(opt->groups()[0].lr == doctest::Approx(1e-2 * want[e]).epsilon(1e-12));
    CHECK(opt->groups()[1].lr == doctest::Approx(1e-3 * want[e]).epsilon(1e-12));
    if (e == 5) {  // a checkpoint here resumes the same schedule
      auto again = make_scheduler("plateau-cycle:raise=1.5,patience=2,decay=4,floor=0.1", *opt, 20, 5);
      again->load_state_dict(sched->state_dict());
      sched = std::move(again);
    }
  }
  CHECK(error_of([&] { make_scheduler("plateau-cycle:rise=2", *opt, 20, 5); }).find("'rise=2' is not one of raise=X") !=
        std::string::npos);
  CHECK(error_of([&] { make_scheduler("plateau-cycle:patience=2.5", *opt, 20, 5); })
            .find("patience counts epochs: a whole number from 1 to 1000000, got 2.5") != std::string::npos);
  CHECK(error_of([&] { make_scheduler("plateau-cycle:decay=1e30", *opt, 20, 5); }).find("decay counts epochs") !=
        std::string::npos);
  TrainConfig v;
  v.data = "d", v.out = "o", v.scheduler = "cosin";
  CHECK(error_of([&] { validate(v); }).find("unknown scheduler 'cosin'") != std::string::npos);
}
