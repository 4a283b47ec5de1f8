// easel train | eval | predict — the everyday commands (see apps/train.h for the run directory).
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <set>
#include <sstream>

#include "apps/args.h"
#include "apps/commands.h"
#include "apps/grouped.h"
#include "apps/train.h"
#include "autograd/node.h"
#include "io/image.h"
#include "tensor/random.h"

namespace easel {

const std::set<std::string> kTrainFlags = with(
    kDataFlags, {"model", "weights", "epochs", "batch", "lr", "weight-decay", "optimizer", "scheduler", "freeze", "layer-lr",
                 "reinit", "class-weights", "label-smoothing", "clip", "patience", "monitor", "aug", "eval-aug", "preprocess",
                 "size", "out", "seed", "workers", "val", "test", "limit", "stop-after"});
const std::set<std::string> kTrainSwitches = {"resume", "smote", "pad", "quiet", "reset-head"};

TrainOptions train_options(const Args& a) {
  TrainOptions o;
  o.data = a.require("data");
  o.csv = csv_options(a);
  o.model = a.get("model", o.model);
  o.weights = a.get("weights", "");
  o.reset_head = a.has("reset-head");
  o.epochs = a.get_int("epochs", o.epochs);
  o.batch = a.get_int("batch", o.batch);
  o.lr = a.get_double("lr", o.lr);
  o.weight_decay = a.get_double("weight-decay", o.weight_decay);
  o.optimizer = a.get("optimizer", o.optimizer);
  o.scheduler = a.get("scheduler", o.scheduler);
  o.freeze = a.get_double("freeze", 0);
  o.layer_lr = a.get("layer-lr", "");
  o.reinit = a.get("reinit", "");
  const std::string cw = a.get("class-weights", "none");
  EASEL_CHECK(cw == "auto" || cw == "none", "--class-weights: auto or none, got '", cw, "'");
  o.class_weighted = cw == "auto";
  o.label_smoothing = a.get_double("label-smoothing", 0);
  o.clip = a.get_double("clip", 0);
  o.patience = a.get_int("patience", 0);
  o.monitor = a.get("monitor", o.monitor);
  o.aug = Augment::parse(a.get("aug", ""));
  o.eval_aug = Augment::parse(a.get("eval-aug", ""));
  o.pre.preset = a.get("preprocess", "imagenet");
  o.pre.size = a.get_int("size", 224);
  o.pre.pad = a.has("pad");
  o.out = a.require("out");
  o.seed = uint64_t(a.get_int("seed", 0));
  o.workers = int(a.get_int("workers", 2));
  o.val_ratio = a.get_double("val", o.val_ratio);
  o.test_ratio = a.get_double("test", o.test_ratio);
  o.limit = a.get_int("limit", 0);
  o.resume = a.has("resume");
  o.stop_after = a.get_int("stop-after", 0);
  o.smote = a.has("smote");
  o.quiet = a.has("quiet");
  normalize(Tensor::zeros({3, 1, 1}), o.pre.preset);  // an unknown preset or model fails before any work
  bool known = false;
  for (const NetInfo& n : net_registry()) known = known || n.name == o.model;
  if (!known) create_net(o.model, 2);  // throws, listing the registry
  return o;
}

int cmd_train(int argc, char** argv) {
  train(train_options(Args(argc, argv, 2, kTrainFlags, kTrainSwitches)));
  return 0;
}

int cmd_eval(int argc, char** argv) {
  const Args a(argc, argv, 2, with(kDataFlags, {"run", "checkpoint", "workers", "batch", "eval-aug", "group-by", "group-chart"}),
               {"json"});
  const std::string dir = a.require("run");
  Run run = load_run(dir, a.get("checkpoint", "best.npz"));
  LoaderOptions lo;
  lo.batch = a.get_int("batch", 32), lo.workers = int(a.get_int("workers", 2)), lo.pre = run.pre;
  lo.aug = a.has("eval-aug") ? Augment::parse(a.get("eval-aug")) : run.eval_aug;
  lo.augment = lo.aug.any();
  Dataset data;
  std::vector<size_t> idx;
  if (a.has("data")) {
    data = open_dataset(a.get("data"), csv_options(a));
    EASEL_CHECK(data.classes == run.classes, a.get("data"), ": its classes differ from the run's (", run.classes.size(),
                " classes in ", dir, "/config.json)");
    idx.resize(data.samples.size());
    std::iota(idx.begin(), idx.end(), 0);
  } else {  // the run's own held-out test split
    data = run_dataset(run, &idx);
  }
  DataLoader loader(data, idx, lo);
  std::vector<std::vector<double>> probs;
  std::vector<int64_t> labels;
  std::vector<size_t> rows;
  const Metrics m = evaluate(*run.net, loader, &probs, &labels, &rows);
  if (a.has("group-by")) {  // the extended confusion matrix: one column per value of a manifest column
    std::vector<int64_t> pred;
    for (const auto& p : probs) pred.push_back(int64_t(std::max_element(p.begin(), p.end()) - p.begin()));
    const GroupedConfusion g = grouped_confusion(a.get("group-by"), group_values(data, rows, a.get("group-by")), labels, pred, run.classes);
    std::printf("%s\n", grouped_markdown(g).c_str());
    if (a.has("group-chart")) grouped_chart(g, "predictions by " + g.column).save(a.get("group-chart"));
  }
  if (a.has("json")) {
    std::printf("%s\n", m.to_json().c_str());
    return 0;
  }
  std::fputs(format_metrics(m, run.classes).c_str(), stdout);
  return 0;
}

int cmd_predict(int argc, char** argv) {
  const Args a(argc, argv, 2, {"run", "checkpoint", "top", "positive"}, {"json"});
  Run run = load_run(a.require("run"), a.get("checkpoint", "best.npz"));
  // Two classes: the probability of the positive class is the score (e.g. --positive abstract).
  size_t positive = 1;
  if (a.has("positive")) {
    const auto it = std::find(run.classes.begin(), run.classes.end(), a.get("positive"));
    EASEL_CHECK(it != run.classes.end(), "predict: --positive '", a.get("positive"), "' is not one of the run's classes");
    positive = size_t(it - run.classes.begin());
  }
  EASEL_CHECK(!a.positional().empty(), "predict: give one or more image paths");
  const int64_t C = int64_t(run.classes.size()), top = std::min<int64_t>(a.get_int("top", 5), C);
  NoGradGuard ng;
  for (const std::string& path : a.positional()) {
    Generator g(0);
    const Tensor x = prepare_image(load_image(path), run.pre, run.eval_aug.any() ? &run.eval_aug : nullptr, g).unsqueeze(0);
    const std::vector<double> p = softmax((*run.net)(x) * (1.0 / run.temperature), 1).to_vector();  // calibrated
    std::vector<size_t> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return p[i] > p[j]; });
    if (a.has("json")) {
      Json j = Json::object();
      j.set("image", path);
      j.set("class", run.classes[order[0]]);
      j.set("probability", p[order[0]]);
      if (C == 2) j.set("score", p[positive]);
      Json t = Json::array();
      for (int64_t k = 0; k < top; ++k) {
        Json e = Json::object();
        e.set("class", run.classes[order[size_t(k)]]);
        e.set("probability", p[order[size_t(k)]]);
        t.push(e);
      }
      j.set("top", t);
      std::printf("%s\n", j.dump().c_str());
      continue;
    }
    std::printf("%s: %s (%.1f%%)", path.c_str(), run.classes[order[0]].c_str(), 100 * p[order[0]]);
    if (C == 2) std::printf("  score(%s) = %.3f", run.classes[positive].c_str(), p[positive]);
    std::printf("\n");
    for (int64_t k = 0; k < top; ++k)
      std::printf("  %lld. %-24s %5.1f%%\n", (long long)(k + 1), run.classes[order[size_t(k)]].c_str(), 100 * p[order[size_t(k)]]);
  }
  return 0;
}

}  // namespace easel
