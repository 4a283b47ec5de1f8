// easel train | eval | predict — the everyday commands (see apps/train.h for the run directory).
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <numeric>
#include <set>
#include <sstream>

#include "apps/cli/args.h"
#include "apps/cli/commands.h"
#include "apps/analysis/grouped.h"
#include "apps/pictures/analysis_charts.h"
#include "apps/report/report.h"
#include "apps/train/inference.h"
#include "apps/model/model_file.h"
#include "apps/train/run.h"
#include "apps/train/trainer.h"
#include "apps/train/weights.h"
#include "autograd/node.h"
#include "io/checkpoint.h"
#include "io/image.h"
#include "io/npz.h"
#include "tensor/comm.h"
#include "tensor/parallel.h"
#include "tensor/random.h"

namespace fs = std::filesystem;

namespace easel {

// One rank of `mpirun -np N easel train --distributed`: MPI up, and the machine's cores shared
// between its ranks unless OMP_NUM_THREADS says otherwise (mpirun may already have bound each
// rank to its own cores: then this rank's share is what it may run on).
void join_mpi_job() {
  set_world(open_mpi());
  if (std::getenv("OMP_NUM_THREADS")) return;
  const int usable = omp_get_num_procs(), machine = int(std::thread::hardware_concurrency());
  const int share = usable < machine ? usable : machine / world().local_size();
  set_num_threads(std::max(1, share));
}

// `easel train`'s flags are TrainConfig's keys (apps/model/config.h): each becomes a JSON value.
void print_train_help() {
  std::printf("easel train --data DIR|CSV --out RUN_DIR [options]\n\n");
  const TrainConfig defaults;
  for (const TrainField& f : train_fields()) {
    const bool sw = f.kind == TrainField::Kind::flag;
    const std::string name = "--" + f.key + (sw ? "" : f.kind == TrainField::Kind::text ? " TEXT" : " N");
    const Json d = f.get(defaults);
    const std::string shown = d.kind() == Json::Kind::string ? d.str() : d.dump();
    std::printf("  %-26s %s%s\n", name.c_str(), f.help.c_str(),
                sw || shown.empty() ? "" : (" (default " + shown + ")").c_str());
  }
  std::printf("\nThe same keys, without the dashes, are a study's \"train\" object and config.json's \"train\".\n");
}

int cmd_train(int argc, char** argv) {
  for (int i = 2; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      print_train_help();
      return 0;
    }
  std::set<std::string> valued, switches;
  for (const TrainField& f : train_fields()) (f.kind == TrainField::Kind::flag ? switches : valued).insert(f.key);
  const Args a(argc, argv, 2, valued, switches);
  Json j = Json::object();
  for (const TrainField& f : train_fields())
    if (a.has(f.key)) j.set(f.key, f.kind == TrainField::Kind::flag ? Json(true) : Json(a.get(f.key)));
  const TrainConfig c = train_config_from_json(j, "train", true);
  validate(c);
  if (c.distributed) join_mpi_job();
  train(c);
  set_world(nullptr);  // MPI_Finalize once every rank is done
  return 0;
}

namespace {

// MAP.json: {"target class": [ImageNet class indices], ...}, one entry per class of `data`.
std::vector<std::vector<int64_t>> read_class_map(const std::string& path, const std::vector<std::string>& classes,
                                                 int64_t source_classes) {
  const Json j = Json::load(path);
  EASEL_CHECK(j.kind() == Json::Kind::object, path, ": expected {\"target class\": [source class indices], ...}");
  std::vector<std::vector<int64_t>> sources(classes.size());
  std::set<int64_t> used;
  for (size_t c = 0; c < classes.size(); ++c) {
    EASEL_CHECK(j.has(classes[c]), path, ": no entry for the data set's class '", classes[c], "'");
    const Json& list = j[classes[c]];
    EASEL_CHECK(list.kind() == Json::Kind::array && !list.items().empty(), path, ": '", classes[c],
                "' needs a non-empty list of source class indices");
    for (const Json& v : list.items()) {
      const int64_t s = v.integer();
      EASEL_CHECK(s >= 0 && s < source_classes, path, ": '", classes[c], "': index ", s, " outside the net's ",
                  source_classes, " classes");
      EASEL_CHECK(used.insert(s).second, path, ": source class ", s, " is mapped to two target classes");
      sources[c].push_back(s);
    }
  }
  for (const auto& [key, value] : j.members())
    EASEL_CHECK(std::find(classes.begin(), classes.end(), key) != classes.end(), path, ": '", key,
                "' is not a class of the data set");
  return sources;
}

// eval --model NAME --weights W --data D --imagenet-map MAP.json: the zero-shot baseline, the
// pretrained 1000-class head's probabilities pooled onto the data set's classes.
int eval_zero_shot(const Args& a) {
  const std::string model = a.require("model"), map = a.get("imagenet-map");
  EASEL_CHECK(a.has("weights") && a.has("data"), "eval --imagenet-map: give --model, --weights (with its ImageNet head) and --data");
  const StartingWeights w = read_starting_weights(a.get("weights"), model);
  auto net = create_net(model, 1000);
  EASEL_CHECK(head_classes(w.tensors, *net) == 1000, "eval --imagenet-map: ", w.file, " has no 1000-class head '",
              net->head_path, "' (zero-shot scoring needs the ImageNet classifier)");
  net->load_state_dict(w.tensors);
  net->eval();
  net->to(parse_device(a.get("device", "cpu")));
  const Dataset data = open_dataset(a.get("data"), csv_options(a));
  const auto sources = read_class_map(map, data.classes, 1000);
  Run run;
  run.pre.size = a.get_int("size", 224), run.pre.preset = a.get("preprocess", "imagenet");
  if (a.has("eval-aug")) run.eval_aug = parse_eval_aug(a.get("eval-aug"));
  std::vector<size_t> idx(data.samples.size());
  std::iota(idx.begin(), idx.end(), 0);
  DataLoader loader(data, idx, inference_loader_options(run, a.get_int("batch", 32), int(a.get_int("workers", 2))));
  std::vector<std::vector<double>> probs;
  std::vector<int64_t> labels;
  evaluate(*net, loader, &probs, &labels);
  const Metrics m = compute_metrics(pool_class_probabilities(probs, sources), labels);
  if (a.has("json")) {
    std::printf("%s\n", m.to_json().c_str());
    return 0;
  }
  std::printf("zero-shot: %s's ImageNet head pooled onto %zu classes by %s\n", model.c_str(), data.classes.size(), map.c_str());
  std::fputs(format_metrics(m, data.classes).c_str(), stdout);
  return 0;
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  const Args a(argc, argv, 2, with(kDataFlags, {"run", "checkpoint", "workers", "batch", "eval-aug", "group-by", "group-chart",
                                                "device", "split", "imagenet-map", "model", "weights", "size", "preprocess",
                                                "gallery", "gallery-count", "tta"}),
               {"json"});
  if (a.has("imagenet-map")) return eval_zero_shot(a);
  const std::string dir = a.require("run");
  Run run = load_run(dir, a.get("checkpoint", "best.npz"), parse_device(a.get("device", "cpu")));
  if (a.has("eval-aug")) run.eval_aug = parse_eval_aug(a.get("eval-aug"));
  const LoaderOptions lo = inference_loader_options(run, a.get_int("batch", 32), int(a.get_int("workers", 2)));
  Dataset data;
  std::vector<size_t> idx;
  if (a.has("data")) {
    data = open_dataset(a.get("data"), csv_options(a));
    EASEL_CHECK(data.classes == run.classes, a.get("data"), ": its classes differ from the run's (", run.classes.size(),
                " classes in ", dir, "/config.json)");
    idx.resize(data.samples.size());
    std::iota(idx.begin(), idx.end(), 0);
  } else {  // one of the run's own splits: test (held out) by default, val or train for the papers' tables
    const std::string split = a.get("split", "test");
    std::vector<size_t> tr, va;
    data = run_dataset(run, &idx, &va, &tr);
    EASEL_CHECK(split == "test" || split == "val" || split == "train", "eval: --split is train, val or test, got '", split, "'");
    if (split == "val") idx = va;
    if (split == "train") idx = tr;
    EASEL_CHECK(!idx.empty(), "eval: the run's ", split, " split is empty");
  }
  DataLoader loader(data, idx, lo);
  std::vector<std::vector<double>> probs;
  std::vector<int64_t> labels;
  std::vector<size_t> rows;
  const Metrics m = evaluate(*run.net, loader, &probs, &labels, &rows, parse_tta(a.get("tta", "none")));
  if (a.has("group-by")) {  // the extended confusion matrix: one column per value of a manifest column
    std::vector<int64_t> pred;
    for (const auto& p : probs) pred.push_back(int64_t(std::max_element(p.begin(), p.end()) - p.begin()));
    const GroupedConfusion g = grouped_confusion(a.get("group-by"), group_values(data, rows, a.get("group-by")), labels, pred, run.classes);
    std::printf("%s\n", grouped_markdown(g).c_str());
    if (a.has("group-chart")) grouped_chart(g, "predictions by " + g.column).save(a.get("group-chart"));
  }
  if (a.has("gallery")) {
    prediction_gallery(data, rows, probs, labels, run.classes, size_t(a.get_int("gallery-count", 6))).save(a.get("gallery"));
    std::fprintf(stderr, "gallery of right and wrong predictions: %s\n", a.get("gallery").c_str());
  }
  if (a.has("json")) {
    std::printf("%s\n", m.to_json().c_str());
    return 0;
  }
  std::fputs(format_metrics(m, run.classes).c_str(), stdout);
  return 0;
}

int cmd_predict(int argc, char** argv) {
  const Args a(argc, argv, 2, {"run", "model", "checkpoint", "top", "positive", "device", "eval-aug"}, {"json"});
  const Device device = parse_device(a.get("device", "cpu"));
  EASEL_CHECK(a.has("run") != a.has("model"), "predict: give --run RUN_DIR or --model MODEL.npz (one of them)");
  if (a.has("model"))
    EASEL_CHECK(fs::is_regular_file(a.get("model")), "predict: --model ", a.get("model"),
                ": no such file (predict takes a model file, as `easel export` writes it)");
  Run run = load_run(a.has("model") ? a.get("model") : a.get("run"), a.get("checkpoint", "best.npz"), device);
  if (a.has("eval-aug")) run.eval_aug = parse_eval_aug(a.get("eval-aug"));
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
    const Tensor x = inference_input(run, path).to(device);
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

// easel export --run RUN_DIR [--checkpoint best.npz] --out MODEL.npz: the trained model alone, as a
// plain state_dict (PyTorch names, no optimizer state): what --weights, forward, numpy and
// torch.load_state_dict (after np.load) read.
// export --run RUN_DIR: the run's net; export --model NAME [--weights W] --classes a,b,...|N: a
// registry net on converted weights (an ImageNet classifier to serve, or a bench model).
// --fold-bn: the batch norms folded into their convolutions (checked on the logits): fewer passes
// at inference; the file is then for Easel's inference only (torchvision's classes do not take it).
int cmd_export(int argc, char** argv) {
  const Args a(argc, argv, 2, {"run", "checkpoint", "out", "model", "weights", "classes", "size", "preprocess"},
               {"pad", "fold-bn"});
  const std::string out = a.require("out");
  EASEL_CHECK(a.has("run") != a.has("model"), "export: give --run RUN_DIR, or --model NAME [--weights W] --classes ...");
  Run run;
  std::string source, checkpoint;
  if (a.has("run")) {
    source = a.get("run"), checkpoint = a.get("checkpoint", "best.npz");
    EASEL_CHECK(fs::is_directory(source), "export: --run ", source, " is not a run directory");
    run = load_run(source, checkpoint);  // every key and shape checked against the architecture
  } else {
    Json t = Json::object();  // the same keys and checks as train's flags
    t.set("model", a.get("model"));
    for (const char* k : {"size", "preprocess"})
      if (a.has(k)) t.set(k, a.get(k));
    if (a.has("pad")) t.set("pad", true);
    run.train = train_config_from_json(t, "export", true);
    const std::string cls = a.require("classes");
    const bool count = !cls.empty() && cls.find_first_not_of("0123456789") == std::string::npos;
    if (count) {
      const int64_t n = a.get_int("classes", 0);
      EASEL_CHECK(n >= 1 && n <= 100000, "export: --classes ", n, ": expected 1 to 100000 classes");
      for (int64_t i = 0; i < n; ++i) run.classes.push_back("class_" + std::to_string(i));
    } else {
      std::stringstream ss(cls);
      for (std::string c; std::getline(ss, c, ',');) {
        EASEL_CHECK(!c.empty(), "export: --classes '", cls, "' has an empty name");
        run.classes.push_back(c);
      }
    }
    EASEL_CHECK(run.classes.size() >= 2, "export: --classes ", cls, ": a classifier needs at least 2 classes");
    run.net = create_net(run.train.model, int64_t(run.classes.size()));
    if (a.has("weights")) {  // every weight from the file: a model file with a fresh head or layers is refused
      source = a.get("weights");
      run.net->load_state_dict(read_starting_weights(source, run.train.model).tensors);
    }
    run.net->eval();
    run.pre = run.train.pre;
  }
  std::string folded;
  if (a.has("fold-bn")) folded = fold_batch_norms_checked(run);
  const Json m = save_model_file(out, run, source, checkpoint);
  int64_t arrays = 0, values = 0;
  for (const auto& [k, t] : run.net->state_dict()) ++arrays, values += t.numel();
  std::printf("export: %s (%s, %zu classes) -> %s: %lld arrays, %lld values + metadata; id %s\n",
              a.has("run") ? (source + "/" + checkpoint).c_str() : source.empty() ? "fresh weights" : source.c_str(),
              run.train.model.c_str(), run.classes.size(), out.c_str(), (long long)arrays, (long long)values,
              m["id"].str().c_str());
  if (!folded.empty()) std::printf("export: %s\n", folded.c_str());
  return 0;
}

}  // namespace easel
