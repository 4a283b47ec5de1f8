// The pieces the trainer is built from: versioned checkpoints, TrainConfig's one JSON form,
// layer surgery on module paths, schedulers that say when they step, atomic files.
#include <filesystem>

#include "apps/model/config.h"
#include "autograd/ops.h"
#include "helpers.h"
#include "io/checkpoint.h"
#include "io/dataset.h"
#include "io/file.h"
#include "io/npz.h"
#include "layers/basic.h"
#include "layers/surgery.h"
#include "nets/net.h"
#include "optim/scheduler.h"

using namespace easel;
using namespace easel::test;
namespace fs = std::filesystem;

namespace {
std::string tmp(const std::string& name) { return "/tmp/easel_ck_" + std::to_string(getpid()) + "_" + name; }
}  // namespace

TEST_CASE("checkpoint: sections round-trip, version 1 files still load, newer versions are refused") {
  auto net = create_net("resnet18", 3);
  Checkpoint ck;
  ck.model = net->state_dict();
  ck.optimizer = {{"steps", Tensor::scalar(7, DType::i64)}};
  ck.rng = Generator(42).state();
  ck.meta = {{"epoch", 3}, {"early_best", -INFINITY}};
  const std::string p = tmp("v2.npz");
  save_checkpoint(p, ck);
  const Checkpoint back = load_checkpoint(p);
  CHECK(back.version == kCheckpointVersion);
  CHECK(back.model.size() == ck.model.size());
  CHECK(max_abs_diff(back.model[0].second, ck.model[0].second) == 0);
  CHECK(back.optimizer[0].first == "steps");
  CHECK(back.rng.s == ck.rng.s);
  CHECK(back.meta_value("epoch", p) == 3);
  CHECK(std::isinf(back.meta_value("early_best", p)));
  CHECK(error_of([&] { back.meta_value("nope", p); }).find("no meta.nope") != std::string::npos);
  // A plain state_dict and a checkpoint give the same weights.
  CHECK(load_model_weights(p).size() == net->state_dict().size());

  // Version 1: no format.version, RNG under meta.rng / meta.rng_spare, i64 counters.
  NamedTensors v1;
  for (const auto& [k, v] : net->state_dict()) v1.emplace_back("model." + k, v);
  Tensor rng = Tensor::empty({4}, DType::i64);
  for (int i = 0; i < 4; ++i) rng.data<int64_t>()[i] = int64_t(ck.rng.s[size_t(i)]);
  v1.emplace_back("meta.rng", rng);
  v1.emplace_back("meta.rng_spare", Tensor::from({0.5, 1}, {2}, DType::f64));
  v1.emplace_back("meta.epoch", Tensor::scalar(2, DType::i64));
  const std::string p1 = tmp("v1.npz");
  save_npz(p1, v1);
  const Checkpoint old = load_checkpoint(p1);
  CHECK(old.version == 1);
  CHECK(old.meta_value("epoch", p1) == 2);
  CHECK(old.rng.s == ck.rng.s);
  CHECK(old.rng.has_spare);

  NamedTensors v9 = v1;
  v9.emplace_back("format.version", Tensor::scalar(9, DType::i64));
  save_npz(p1, v9);
  CHECK(error_of([&] { load_checkpoint(p1); }).find("format version 9 is newer than this Easel reads (2)") != std::string::npos);
  save_npz(p1, net->state_dict());
  CHECK(error_of([&] { load_checkpoint(p1); }).find("not a checkpoint") != std::string::npos);
  fs::remove(p);
  fs::remove(p1);
}

TEST_CASE("TrainConfig: flags' text and a study's JSON numbers read the same; every key round-trips") {
  Json text = Json::object(), typed = Json::object();
  text.set("lr", "0.01"), text.set("epochs", "4"), text.set("reset-head", "true"), text.set("where", "split=dev,class=a");
  typed.set("lr", 0.01), typed.set("epochs", 4), typed.set("reset-head", true), typed.set("where", "split=dev,class=a");
  const TrainConfig a = train_config_from_json(text, "train", true), b = train_config_from_json(typed, "study");
  CHECK(train_config_to_json(a).dump() == train_config_to_json(b).dump());
  CHECK(a.lr == 0.01);
  CHECK(a.epochs == 4);
  CHECK(a.reset_head);
  REQUIRE(a.csv.where.size() == 2);
  CHECK(a.csv.where[1] == std::pair<std::string, std::string>{"class", "a"});
  // to_json -> from_json is the identity on every key.
  TrainConfig c;
  c.model = "vgg16", c.pre.size = 96, c.aug = Augment::parse("hflip,noise=0.1"), c.class_weighted = true, c.seed = 9;
  const Json j = train_config_to_json(c);
  CHECK(train_config_to_json(train_config_from_json(j, "x")).dump() == j.dump());
  CHECK(j.members().size() == train_fields().size());
  // Errors name the place and the key.
  Json bad = Json::object();
  bad.set("epochs", "four");
  CHECK(error_of([&] { train_config_from_json(bad, "train", true); }) == "train: --epochs needs an integer, got 'four'");
  bad = Json::object();
  bad.set("epoch", 3);
  CHECK(error_of([&] { train_config_from_json(bad, "s.json: train"); }).find("s.json: train: unknown key 'epoch'") == 0);
  TrainConfig v;
  v.data = "d", v.out = "o", v.monitor = "acc";
  CHECK(error_of([&] { validate(v); }).find("unknown --monitor 'acc'") != std::string::npos);
}

namespace {

// Every batch norm's statistics and affine parameters drawn far from the identity (f64), seeds
// seed + 1, seed + 2, ...: a fold that ignored one of them would change the logits.
void randomise_batch_norms(Module& net, uint64_t seed) {
  for (auto& [path, m] : net.named_modules())
    if (auto* bn = dynamic_cast<BatchNorm*>(m)) {
      const Shape c{bn->running_mean.size(0)};
      bn->weight.copy_(rnd(c, ++seed, 0.5, 1.5, false).to(DType::f64));
      bn->bias.copy_(rnd(c, ++seed, -0.5, 0.5, false).to(DType::f64));
      bn->running_mean.copy_(rnd(c, ++seed, -0.5, 0.5, false).to(DType::f64));
      bn->running_var.copy_(rnd(c, ++seed, 0.5, 2.0, false).to(DType::f64));
    }
}

}  // namespace

// Batch norm folded into the convolution before it: the same logits (f64: to round-off), the batch
// norms gone from the state_dict, and the folded structure loads the folded weights back.
TEST_CASE("fold_batch_norms: logits unchanged on resnet18, efficientnet_b0 and xception; the folded state_dict loads") {
  struct Case {
    std::string name;
    int64_t size, expected;  // input side, batch norms folded
  };
  for (const Case& k : std::vector<Case>{{"resnet18", 32, 20}, {"efficientnet_b0", 32, 49}, {"xception", 71, 40}}) {
    const std::string& name = k.name;
    const int64_t size = k.size, expected = k.expected;
    CAPTURE(name);
    auto net = create_net(name, 3);
    net->to(DType::f64);
    randomise_batch_norms(*net, 1);
    net->eval();
    const Tensor x = rnd({2, 3, size, size}, 99, -1, 1, false).to(DType::f64);
    NoGradGuard ng;
    const Tensor before = (*net)(x);
    const std::vector<std::string> folded = fold_batch_norms(*net);
    CHECK(int64_t(folded.size()) == expected);
    const Tensor after = (*net)(x);
    CHECK(max(abs(after - before)).item() < 1e-10 * std::max(1.0, max(abs(before)).item()));
    const NamedTensors sd = net->state_dict();
    for (const auto& [key, t] : sd) CHECK(key.find("running_var") == std::string::npos);
    auto again = create_net(name, 3);  // the structure alone, then the folded weights
    again->to(DType::f64);
    CHECK(fold_batch_norms(*again, false) == folded);
    again->load_state_dict(sd);  // strict: every key and shape
    again->eval();
    CHECK(max(abs((*again)(x) - after)).item() == 0);
    again->train();
    CHECK(error_of([&] { (*again)(x); }).find("folded into its convolution") != std::string::npos);
  }
}

TEST_CASE("fold_batch_norms: a convolution with a bias, a grouped one; a batch norm after an activation stays") {
  Sequential net;
  auto grouped = net.push(std::make_shared<Conv2d>(4, 6, 3, 1, 1, 1, 2, true));  // a bias, 2 groups
  net.push(std::make_shared<BatchNorm>(6));
  net.push(make_relu());
  net.push(std::make_shared<BatchNorm>(6));  // after the ReLU: not foldable
  net.push(std::make_shared<Conv2d>(6, 5, 1, 1, 0, 1, 1, false));
  auto last = net.push(std::make_shared<BatchNorm>(5));
  net.to(DType::f64);
  randomise_batch_norms(net, 40);
  net.eval();
  const Tensor x = rnd({2, 4, 5, 5}, 7, -1, 1, false).to(DType::f64);
  NoGradGuard ng;
  const Tensor before = net(x);
  CHECK(fold_batch_norms(net) == std::vector<std::string>{"1", "5"});
  CHECK(grouped->bias.defined());
  CHECK(last->folded);
  CHECK(max(abs(net(x) - before)).item() < 1e-12);
  CHECK(net.state_dict().size() == 2 + 5 + 2);  // two convolutions with biases, the unfolded batch norm's five
}

TEST_CASE("layer surgery works on module paths: freezing, re-initialisation, per-layer rates") {
  auto net = create_net("resnet18", 2);
  const auto layers = weight_layers(*net);
  REQUIRE(layers.size() == 21);  // 20 convolutions (with their batch norms) + fc
  CHECK(layers[0] == std::vector<std::string>{"conv1.weight", "bn1.weight", "bn1.bias"});
  CHECK(freeze_first_layers(*net, 0.5) == 10);
  for (const auto& [name, p] : net->named_parameters()) {
    if (name == "conv1.weight" || name == "bn1.bias") CHECK(!p.requires_grad());
    if (name == "fc.weight") CHECK(p.requires_grad());
  }
  const auto lr = layer_learning_rates(*net, "15-20:1e-2,fc:1e-1", 1e-3);
  CHECK(lr.count("conv1.weight") == 0);  // frozen: not trained at all
  CHECK(lr.at("fc.bias") == 1e-1);
  CHECK(lr.at(layers[14][0]) == 1e-2);
  CHECK(lr.at(layers[13][0]) == 1e-3);
  // Re-initialising a batch-norm-joined layer resets the norm's scale to 1.
  NoGradGuard ng;
  for (auto& [name, p] : net->named_parameters())
    if (name == "bn1.weight") Tensor(p).copy_(Tensor::full(p.shape(), 5.0, p.dtype()));
  CHECK(reinit_layers(*net, "1") == 1);
  for (const auto& [name, p] : net->named_parameters())
    if (name == "bn1.weight") CHECK(p.to_vector()[0] == 1.0);
  CHECK(error_of([&] { reinit_layers(*net, "0-3"); }).find("outside the net's weight layers 1-21") != std::string::npos);
}

TEST_CASE("schedulers say when the loop steps them") {
  auto net = create_net("resnet18", 2);
  auto opt = make_optimizer("sgd");
  ParamGroup g;
  for (const auto& [name, p] : net->named_parameters()) g.names.push_back(name), g.params.push_back(p);
  g.lr = 0.1;
  opt->add_group(g);
  CHECK(make_scheduler("onecycle", *opt, 2, 5)->cadence() == Scheduler::Cadence::per_batch);
  for (const char* s : {"step", "cosine", "plateau"}) CHECK(make_scheduler(s, *opt, 2, 5)->cadence() == Scheduler::Cadence::per_epoch);
}

TEST_CASE("files are replaced atomically; nothing temporary is left behind") {
  const std::string dir = tmp("dir");
  fs::create_directories(dir);
  write_file_atomically(dir + "/a.txt", "one");
  write_file_atomically(dir + "/a.txt", "two");
  append_line_atomically(dir + "/a.txt", "three");
  CHECK(read_file(dir + "/a.txt") == "twothree\n");
  int64_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 1);
  CHECK(error_of([&] { write_file_atomically(dir + "/no/such/folder/x", "y"); }).find("cannot open for writing") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("hostile files end in clear errors: duplicate npz keys, overflowing shapes, deep JSON, CSV braces and BOM") {
  const std::string p = tmp("dup.npz");
  save_npz(p, {{"w", Tensor::ones({2})}, {"w", Tensor::zeros({2})}});
  CHECK(error_of([&] { load_npz(p); }).find("w.npy: the archive holds this array twice") != std::string::npos);
  fs::remove(p);
  CHECK(error_of([&] { shape_numel({int64_t(1) << 40, int64_t(1) << 40}); }).find("more elements than any memory holds") !=
        std::string::npos);
  CHECK(error_of([&] { Json::parse(std::string(1000, '[') + std::string(1000, ']'), "deep.json"); })
            .find("deep.json:1: nested more than 200 levels deep") == 0);
  CHECK(Json::parse(std::string(150, '[') + std::string(150, ']')).kind() == Json::Kind::array);  // deep enough for real files
  CHECK(error_of([&] { Json::parse("[1e999]", "n.json"); }).find("number out of range") != std::string::npos);
  // What the writer escapes, the reader reads back (\u escapes, surrogate pairs); numbers keep every bit.
  CHECK(Json::parse(R"("a\u00e9\ud83c\udfa8\r\n")").str() == "a\xC3\xA9\xF0\x9F\x8E\xA8\r\n");
  const Json odd = Json::object({{"s", std::string("x\x01y\x1f")}, {"v", 0.1 + 0.2}, {"seed", int64_t(1) << 53}});
  CHECK(Json::parse(odd.dump()).dump() == odd.dump());
  CHECK(Json::parse(odd.dump())["v"].num() == 0.1 + 0.2);
  CHECK(Json(0.001).dump() == "0.001");

  const std::string dir = tmp("csv");
  fs::create_directories(dir);
  {
    std::ofstream f(dir + "/m.csv", std::ios::binary);
    f << "\xEF\xBB\xBFpath,label\r\n{path}.png,a\r\nx{y.png,b\r\n";
  }
  const Dataset d = csv_manifest(dir + "/m.csv", {});  // BOM and CRLF accepted; braces in cells stay as they are
  REQUIRE(d.samples.size() == 2);
  CHECK(fs::path(d.samples[0].path).filename() == "{path}.png");
  CHECK(fs::path(d.samples[1].path).filename() == "x{y.png");
  CsvOptions t;
  t.path_template = "{path";
  CHECK(error_of([&] { csv_manifest(dir + "/m.csv", t); }).find("has a '{' without its '}'") != std::string::npos);
  fs::create_directories(dir + "/set/a"), fs::create_directories(dir + "/set/b");
  std::ofstream(dir + "/set/a/1.png") << "x";
  CHECK(error_of([&] { image_folder(dir + "/set"); }).find("set/b: class folder without images") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a file written in pieces appears whole or not at all; a copy may share the file") {
  const std::string dir = tmp("pieces");
  fs::create_directories(dir);
  const std::string big(3 << 20, 'x');  // larger than the gathering buffer: written straight through
  {
    AtomicFile f(dir + "/a.bin");
    f.write("head:");
    f.write(big);
    f.write(std::string_view(":tail"));
    CHECK(f.size() == big.size() + 10);
    CHECK(!fs::exists(dir + "/a.bin"));  // nothing at the name before commit()
    f.commit();
  }
  CHECK(read_file(dir + "/a.bin") == "head:" + big + ":tail");
  {
    AtomicFile abandoned(dir + "/b.bin");
    abandoned.write("half");
  }  // destroyed without commit: no file, no temporary
  CHECK(!fs::exists(dir + "/b.bin"));
  copy_file_atomically(dir + "/a.bin", dir + "/c.bin");
  CHECK(read_file(dir + "/c.bin") == read_file(dir + "/a.bin"));
  write_file_atomically(dir + "/a.bin", "replaced");  // replacing the source leaves the copy as it was
  CHECK(read_file(dir + "/c.bin") == "head:" + big + ":tail");
  CHECK(std::string(MappedFile(dir + "/c.bin").bytes().substr(0, 5)) == "head:");
  CHECK(MappedFile(dir + "/a.bin").bytes() == "replaced");
  int64_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  CHECK(files == 2);
  CHECK(error_of([&] { copy_file_atomically(dir + "/none.bin", dir + "/d.bin"); }).find("none.bin: cannot open") !=
        std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a checkpoint's model loads without decoding its optimizer state; names are listed in order") {
  const std::string p = tmp("filtered.npz");
  Checkpoint ck;
  ck.model = {{"fc.weight", Tensor::full({2, 3}, 0.5)}, {"fc.bias", Tensor::full({2}, -1)}};
  ck.optimizer = {{"steps", Tensor::scalar(3, DType::i64)}, {"group.0.p.exp_avg", Tensor::full({2, 3}, 7)}};
  save_checkpoint(p, ck);
  const std::vector<std::string> names = npz_names(p);
  REQUIRE(names.size() >= 5);
  CHECK(names[0] == "format.version");
  CHECK(names[1] == "model.fc.weight");
  CHECK(names[3] == "optimizer.steps");
  const NamedTensors model = load_model_weights(p);
  REQUIRE(model.size() == 2);
  CHECK(model[0].first == "fc.weight");
  CHECK(model[0].second.at({1, 2}) == 0.5);
  CHECK(model[1].second.at({1}) == -1);
  const NamedTensors only = load_npz(p, [](const std::string& k) { return k.rfind("optimizer.", 0) == 0; });
  REQUIRE(only.size() == 2);
  CHECK(only[1].second.at({0, 0}) == 7);
  CHECK(load_checkpoint(p).optimizer.size() == 2);  // the full checkpoint still has everything
  fs::remove(p);
}

TEST_CASE("optimizer state follows its parameters into groups numbered otherwise") {
  Tensor a = Tensor::from({1.0, 2.0}, {2}).requires_grad_(true), b = Tensor::from({3.0}, {1}).requires_grad_(true);
  auto make = [&](bool a_first) {
    auto opt = make_optimizer("adam");
    ParamGroup ga, gb;
    ga.names = {"a"}, ga.params = {a}, ga.lr = 0.1;
    gb.names = {"b"}, gb.params = {b}, gb.lr = 0.01;
    opt->add_group(a_first ? ga : gb);
    opt->add_group(a_first ? gb : ga);
    return opt;
  };
  auto first = make(true);
  (sum(a * a) + sum(b * b * b)).backward();
  first->step();
  first->groups()[0].lr = 0.05;  // as a scheduler left it
  const NamedTensors saved = first->state_dict();
  auto second = make(false);  // b's group first now
  second->load_state_dict(saved);
  CHECK(second->groups()[1].lr == 0.05);  // a's group
  CHECK(second->groups()[0].lr == 0.01);
  auto value = [](const NamedTensors& sd, const std::string& key) {
    for (const auto& [k, t] : sd)
      if (k == key) return t;
    return Tensor();
  };
  const NamedTensors back = second->state_dict();
  CHECK(back.size() == saved.size());
  for (const auto& [k, t] : saved) {
    if (k.rfind("state.0.a.", 0) != 0) continue;
    const Tensor moved = value(back, "state.1.a." + k.substr(10));
    REQUIRE(moved.defined());
    CHECK(max_abs_diff(moved, t) == 0);
  }
}
