#include "apps/train/run.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "apps/pictures/plot.h"
#include "apps/model/model_file.h"
#include "autograd/ops.h"
#include "io/checkpoint.h"
#include "layers/init.h"
#include "io/file.h"
#include "io/image.h"

namespace fs = std::filesystem;

namespace easel {

namespace {

// config.json before it had a version: flat keys, some named differently from the flags.
TrainConfig legacy_config(const Json& j, const std::string& where) {
  Json t = Json::object();
  const std::vector<std::pair<const char*, const char*>> keys = {
      {"model", "model"}, {"data", "data"}, {"label_column", "label-column"}, {"path_template", "path-template"},
      {"preset", "preprocess"}, {"size", "size"}, {"pad", "pad"}, {"aug", "aug"}, {"eval_aug", "eval-aug"},
      {"weights", "weights"}, {"reset_head", "reset-head"}, {"epochs", "epochs"}, {"batch", "batch"},
      {"optimizer", "optimizer"}, {"scheduler", "scheduler"}, {"lr", "lr"}, {"weight_decay", "weight-decay"},
      {"freeze", "freeze"}, {"layer_lr", "layer-lr"}, {"reinit", "reinit"}, {"smote", "smote"},
      {"label_smoothing", "label-smoothing"}, {"monitor", "monitor"}, {"seed", "seed"}, {"val_ratio", "val"},
      {"test_ratio", "test"}, {"limit", "limit"}};
  for (const auto& [old_key, key] : keys)
    if (j.has(old_key)) t.set(key, j[old_key]);
  if (!j.has("weight_decay")) t.set("weight-decay", 0.0);  // the default of that time
  if (j.has("class_weights")) t.set("class-weights", j["class_weights"].boolean() ? "auto" : "none");
  if (j.has("where")) {
    std::string w;
    for (const Json& item : j["where"].items()) w += (w.empty() ? "" : ",") + item.str();
    t.set("where", w);
  }
  return train_config_from_json(t, where);
}

}  // namespace

void write_run_config(const std::string& dir, const TrainConfig& c, const Dataset& d, const Split& split) {
  TrainConfig recorded = c;
  recorded.data = fs::absolute(c.data).string();
  Json j = Json::object();
  j.set("format", "easel-run");
  j.set("version", kRunConfigVersion);
  j.set("train", train_config_to_json(recorded));
  Json classes = Json::array();
  for (const auto& n : d.classes) classes.push(n);
  j.set("classes", classes);
  j.set("num_classes", int64_t(d.classes.size()));
  j.set("train_size", int64_t(split.train.size()));
  j.set("val_size", int64_t(split.val.size()));
  j.set("test_size", int64_t(split.test.size()));
  write_file_atomically(dir + "/config.json", j.dump() + "\n");
}

TrainConfig read_run_config(const std::string& dir, std::vector<std::string>* classes) {
  const std::string path = dir + "/config.json";
  const Json j = Json::load(path);
  if (classes) {
    classes->clear();
    for (const Json& c : j["classes"].items()) classes->push_back(c.str());
  }
  if (!j.has("version")) return legacy_config(j, path);
  const int64_t v = j["version"].integer();
  EASEL_CHECK(v <= kRunConfigVersion, path, ": run format version ", v, " is newer than this Easel reads (",
              kRunConfigVersion, "); update Easel");
  return train_config_from_json(j["train"], path + ": train");
}

Dataset limit_dataset(Dataset data, int64_t limit, uint64_t seed) {
  if (limit <= 0 || int64_t(data.samples.size()) <= limit) return data;
  return data.subset(stratified_split(data.labels(), double(limit) / double(data.samples.size()), 0, seed + 7).train);
}

Split run_split(const TrainConfig& c, const Dataset& data) {
  return stratified_split(data.labels(), 1 - c.val_ratio - c.test_ratio, c.val_ratio, c.seed);
}

Dataset run_dataset(const Run& run, std::vector<size_t>* test_indices, std::vector<size_t>* val_indices,
                    std::vector<size_t>* train_indices) {
  Dataset data = limit_dataset(open_dataset(run.train.data, run.train.csv), run.train.limit, run.train.seed);
  const Split split = run_split(run.train, data);
  if (test_indices) *test_indices = split.test;
  if (val_indices) *val_indices = split.val;
  if (train_indices) *train_indices = split.train;
  return data;
}

void require_run_directory(const std::string& path, const std::string& command) {
  EASEL_CHECK(!fs::is_regular_file(path), command, ": --run ", path, " is a model file; ", command,
              " reads or writes a run's own files, so it needs the run directory `easel train` wrote");
}

Run load_run(const std::string& dir, const std::string& checkpoint, const Device& device) {
  if (fs::is_regular_file(dir)) return load_model_file(dir, device);
  EASEL_CHECK(fs::exists(dir + "/config.json"), dir, ": not a run directory (no config.json) nor a model file");
  Run r;
  r.train = read_run_config(dir, &r.classes);
  r.net = [&] {
    init::SkipRandomInit skip;  // every weight is loaded next (strictly)
    return create_net(r.train.model, int64_t(r.classes.size()));
  }();
  r.net->load_state_dict(load_model_weights(dir + "/" + checkpoint));
  r.net->eval();
  r.net->to(device);
  r.pre = r.train.pre;
  r.eval_aug = r.train.eval_aug;
  if (fs::exists(dir + "/calibration.json")) r.temperature = Json::load(dir + "/calibration.json")["temperature"].num();
  return r;
}

Augment parse_eval_aug(const std::string& spec) { return Augment::parse(spec == "none" ? "" : spec); }

LoaderOptions inference_loader_options(const Run& run, int64_t batch, int workers) {
  LoaderOptions lo;
  lo.batch = batch, lo.workers = workers, lo.pre = run.pre;
  lo.aug = run.eval_aug, lo.augment = run.eval_aug.any();
  return lo;
}

Tensor inference_input(const Run& run, const std::string& image_path, uint64_t seed) {
  return model_input(run, load_image(image_path), seed).unsqueeze(0);
}

void write_run_pictures(const std::string& dir, const std::vector<std::string>& classes, const Metrics* test) {
  std::vector<Json> lines;
  {
    std::ifstream f(dir + "/log.jsonl");
    for (std::string l; std::getline(f, l);)
      if (!l.empty()) lines.push_back(Json::parse(l, dir + "/log.jsonl"));
  }
  Series tl{"train loss", {}, {}, palette(0)}, vl{"val loss", {}, {}, palette(1)};
  Series va{"val accuracy", {}, {}, palette(2)}, vf{"val macro-F1", {}, {}, palette(3)}, ta{"train accuracy", {}, {}, palette(4)};
  for (const Json& l : lines) {
    const double e = l["epoch"].num();
    tl.x.push_back(e), tl.y.push_back(l["train_loss"].num());
    vl.x.push_back(e), vl.y.push_back(l["val_loss"].num());
    va.x.push_back(e), va.y.push_back(l["val_accuracy"].num());
    vf.x.push_back(e), vf.y.push_back(l["val_macro_f1"].num());
    if (l.has("train_accuracy")) ta.x.push_back(e), ta.y.push_back(l["train_accuracy"].num());
  }
  std::vector<Series> scores = {va, vf};
  if (!ta.x.empty()) scores.push_back(ta);  // the gap to validation accuracy shows over-fitting
  Figure curves(1120, 360);
  curves.add(line_chart("loss", "epoch", "cross-entropy", {tl, vl}, 560, 360, kCount, kNonNegative), 0, 0);
  curves.add(line_chart("accuracy and macro-F1", "epoch", "score", scores, 560, 360, kCount, kUnit), 560, 0);
  save_png_and_svg(curves, dir + "/curves");
  if (!test) return;
  save_png_and_svg(confusion_chart(test->confusion, classes), dir + "/confusion");
  std::vector<Series> roc;
  for (size_t c = 0; c < test->roc.size() && c < 10; ++c)
    if (!std::isnan(test->roc[c].auc)) {
      char name[160];
      std::snprintf(name, sizeof name, "%.64s (AUC %.3f)", classes[c].c_str(), test->roc[c].auc);
      roc.push_back({name, test->roc[c].fpr, test->roc[c].tpr, palette(c)});
    }
  if (test->roc.size() > 2) {  // averages over the classes (with two, each equals the classes' own curve)
    char name[64];
    std::snprintf(name, sizeof name, "micro-average (AUC %.3f)", test->roc_micro.auc);
    if (!std::isnan(test->roc_micro.auc)) roc.push_back({name, test->roc_micro.fpr, test->roc_micro.tpr, {0.1f, 0.1f, 0.1f}});
    std::snprintf(name, sizeof name, "macro-average (AUC %.3f)", test->roc_macro.auc);
    if (!std::isnan(test->roc_macro.auc)) roc.push_back({name, test->roc_macro.fpr, test->roc_macro.tpr, {0.45f, 0.45f, 0.45f}});
  }
  Series chance{"chance", {0, 1}, {0, 1}, {0.6f, 0.6f, 0.6f}};
  chance.dashed = true;
  roc.push_back(chance);
  save_png_and_svg(line_chart("ROC (test, one-vs-rest)", "false positive rate", "true positive rate", roc, 560, 440, kUnit, kUnit),
                   dir + "/roc");
}

}  // namespace easel
