#include "apps/model/config.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "nets/net.h"
#include "optim/optimizer.h"
#include "optim/scheduler.h"

namespace easel {

namespace {

using Kind = TrainField::Kind;

// ---- values: JSON numbers and booleans, or their text (the command line gives text) ----------------

std::string as_text(const Json& v, const std::string& what) {
  if (v.kind() == Json::Kind::string) return v.str();
  if (v.kind() == Json::Kind::number) {
    std::ostringstream s;
    s.precision(17);
    s << v.num();
    return s.str();
  }
  throw Error(what + " needs a text value, got " + v.dump());
}

double as_number(const Json& v, const std::string& what) {
  if (v.kind() == Json::Kind::number) return v.num();
  const std::string t = v.kind() == Json::Kind::string ? v.str() : v.dump();
  char* end = nullptr;
  const double x = std::strtod(t.c_str(), &end);
  EASEL_CHECK(v.kind() == Json::Kind::string && !t.empty() && *end == 0 && std::isfinite(x), what, " needs a number, got '", t, "'");
  return x;
}

int64_t as_integer(const Json& v, const std::string& what) {
  if (v.kind() == Json::Kind::number) {
    EASEL_CHECK(v.num() == std::floor(v.num()) && std::fabs(v.num()) < 9e15, what, " needs an integer, got ", v.dump());
    return int64_t(v.num());
  }
  const std::string t = v.kind() == Json::Kind::string ? v.str() : v.dump();
  char* end = nullptr;
  const long long x = std::strtoll(t.c_str(), &end, 10);
  EASEL_CHECK(v.kind() == Json::Kind::string && !t.empty() && *end == 0, what, " needs an integer, got '", t, "'");
  return x;
}

bool as_flag(const Json& v, const std::string& what) {
  if (v.kind() == Json::Kind::boolean) return v.boolean();
  EASEL_CHECK(v.kind() == Json::Kind::string && (v.str() == "true" || v.str() == "false"), what, " is true or false, got ", v.dump());
  return v.str() == "true";
}

// ---- the fields -----------------------------------------------------------------------------------

// A key stored in one TrainConfig member; its kind follows the member's type.
std::string read(const Json& v, const std::string& w, std::string*) { return as_text(v, w); }
int64_t read(const Json& v, const std::string& w, int64_t*) { return as_integer(v, w); }
double read(const Json& v, const std::string& w, double*) { return as_number(v, w); }
bool read(const Json& v, const std::string& w, bool*) { return as_flag(v, w); }
Kind kind(std::string*) { return Kind::text; }
Kind kind(int64_t*) { return Kind::integer; }
Kind kind(double*) { return Kind::number; }
Kind kind(bool*) { return Kind::flag; }

template <class T>
TrainField member(const char* key, T TrainConfig::*m, const char* help) {
  return {key, kind(static_cast<T*>(nullptr)), help,
          [m](TrainConfig& c, const Json& v, const std::string& w) { c.*m = read(v, w, static_cast<T*>(nullptr)); },
          [m](const TrainConfig& c) { return Json(c.*m); }};
}

std::string where_text(const std::vector<std::pair<std::string, std::string>>& where) {
  std::string s;
  for (const auto& [k, v] : where) s += (s.empty() ? "" : ",") + k + "=" + v;
  return s;
}

std::vector<std::pair<std::string, std::string>> parse_where(const std::string& spec, const std::string& what) {
  std::vector<std::pair<std::string, std::string>> out;
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) {
    const size_t eq = item.find('=');
    EASEL_CHECK(eq != std::string::npos, what, ": write COLUMN=VALUE, got '", item, "'");
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return out;
}

std::vector<TrainField> make_fields() {
  using C = TrainConfig;
  using J = const Json&;
  using W = const std::string&;
  return {
      member("data", &C::data, "image folder (one sub-folder per class) or CSV manifest"),
      {"label-column", Kind::text, "CSV column holding the class", [](C& c, J v, W w) { c.csv.label_column = as_text(v, w); },
       [](const C& c) { return Json(c.csv.label_column); }},
      {"path-template", Kind::text, "image path from CSV columns, e.g. {split}/{class}/{file}",
       [](C& c, J v, W w) { c.csv.path_template = as_text(v, w); }, [](const C& c) { return Json(c.csv.path_template); }},
      {"where", Kind::text, "keep CSV rows with COLUMN=VALUE[,...]", [](C& c, J v, W w) { c.csv.where = parse_where(as_text(v, w), w); },
       [](const C& c) { return Json(where_text(c.csv.where)); }},
      member("model", &C::model, "a registry net (easel models)"),
      member("weights", &C::weights, "start from: a converted .npz, a checkpoint (best.npz) or a run directory"),
      member("reset-head", &C::reset_head, "the final Linear starts fresh (automatic when the file's class count differs)"),
      member("epochs", &C::epochs, "epochs to train"),
      member("batch", &C::batch, "images per batch"),
      member("accumulate", &C::accumulate, "batches whose gradients add up before each optimizer step (an effective batch of accumulate x batch)"),
      member("warmup", &C::warmup, "epochs of linear learning-rate warm-up, on top of any --scheduler (fractions allowed)"),
      member("optimizer", &C::optimizer, "sgd, nesterov, adam, adamw"),
      member("scheduler", &C::scheduler, "none, step, cosine, onecycle, plateau, plateau-cycle[:raise=2,patience=3,decay=30,"
                                         "floor=0.01] (each lr group scaled from its own rate)"),
      member("lr", &C::lr, "learning rate"),
      {"weight-decay", Kind::number, "weight decay (decoupled for adamw); auto: 0.01 for adamw, 0 otherwise, as PyTorch",
       [](C& c, J v, W w) {
         if (v.kind() == Json::Kind::string && v.str() == "auto") return void(c.weight_decay = -1);
         c.weight_decay = as_number(v, w);
         EASEL_CHECK(c.weight_decay >= 0, w, ": auto or a number >= 0, got ", c.weight_decay);
       },
       [](const C& c) { return c.weight_decay < 0 ? Json("auto") : Json(c.weight_decay); }},
      member("freeze", &C::freeze, "fraction of weight layers, from the input, kept frozen (of each branch on two-branch "
                                    "nets); frozen batch norms keep their running statistics"),
      member("layer-lr", &C::layer_lr, "learning rate per weight-layer range or name prefix: 1-10:1e-2,fc:1e-1"),
      member("reinit", &C::reinit, "weight layers re-initialised before training: 1-4,17-19"),
      {"class-weights", Kind::text, "auto (inverse class frequency) or none",
       [](C& c, J v, W w) {
         const std::string s = as_text(v, w);
         EASEL_CHECK(s == "auto" || s == "none", w, ": auto or none, got '", s, "'");
         c.class_weighted = s == "auto";
       },
       [](const C& c) { return Json(c.class_weighted ? "auto" : "none"); }},
      member("smote", &C::smote, "add SMOTE images between same-class neighbours"),
      member("label-smoothing", &C::label_smoothing, "label smoothing of the cross-entropy"),
      member("clip", &C::clip, "clip the gradient norm to this (0: off)"),
      member("patience", &C::patience, "early stopping after this many epochs without improvement (0: off)"),
      member("monitor", &C::monitor, "validation metric: macro_f1, accuracy, weighted_f1, auc, loss"),
      {"aug", Kind::text, "training augmentations, e.g. hflip,noise=0.1,blur=7:2",
       [](C& c, J v, W w) { c.aug = Augment::parse(as_text(v, w)); }, [](const C& c) { return Json(c.aug.str()); }},
      {"eval-aug", Kind::text, "augmentations at evaluation (robustness tests)",
       [](C& c, J v, W w) { c.eval_aug = Augment::parse(as_text(v, w)); }, [](const C& c) { return Json(c.eval_aug.str()); }},
      {"preprocess", Kind::text, "imagenet, caffe, tf or unit ([0, 1] as decoded)",
       [](C& c, J v, W w) { c.pre.preset = as_text(v, w); }, [](const C& c) { return Json(c.pre.preset); }},
      {"grayscale", Kind::flag, "luminance in all three channels (at training and inference)",
       [](C& c, J v, W w) { c.pre.grayscale = as_flag(v, w); }, [](const C& c) { return Json(c.pre.grayscale); }},
      {"size", Kind::integer, "input size in pixels", [](C& c, J v, W w) { c.pre.size = as_integer(v, w); },
       [](const C& c) { return Json(c.pre.size); }},
      {"pad", Kind::flag, "pad to square instead of centre-cropping", [](C& c, J v, W w) { c.pre.pad = as_flag(v, w); },
       [](const C& c) { return Json(c.pre.pad); }},
      member("val", &C::val_ratio, "validation fraction"),
      member("test", &C::test_ratio, "test fraction"),
      member("limit", &C::limit, "use at most this many images (stratified; 0: all)"),
      {"seed", Kind::integer, "seed of the split, initialisation and batches",
       [](C& c, J v, W w) { c.seed = uint64_t(as_integer(v, w)); }, [](const C& c) { return Json(int64_t(c.seed)); }},
      {"workers", Kind::integer, "image-decoding threads", [](C& c, J v, W w) { c.workers = int(as_integer(v, w)); },
       [](const C& c) { return Json(c.workers); }},
      member("device", &C::device, "where to train: cpu, cuda or cuda:N (files stay on the host)"),
      member("dtype", &C::dtype, "f32, or f64: the reference precision (slow; for checking, e.g. --distributed runs)"),
      member("out", &C::out, "run directory"),
      member("resume", &C::resume, "continue the run in --out from its last.npz"),
      member("overwrite", &C::overwrite, "train into an --out that already holds a run, replacing it"),
      member("quiet", &C::quiet, "no progress output"),
      member("stop-after", &C::stop_after, "end this invocation after that epoch (continue with --resume)"),
      member("distributed", &C::distributed, "one rank of an mpirun job: --batch is split between the ranks"),
      member("sync-bn", &C::sync_bn, "with --distributed: batch-norm statistics over every rank's images"),
  };
}

}  // namespace

const std::vector<TrainField>& train_fields() {
  static const std::vector<TrainField> fields = make_fields();
  return fields;
}

TrainConfig train_config_from_json(const Json& j, const std::string& where, bool flag_style) {
  EASEL_CHECK(j.kind() == Json::Kind::object, where, ": expected a JSON object of train settings");
  TrainConfig c;
  for (const auto& [key, value] : j.members()) {
    const TrainField* f = nullptr;
    for (const TrainField& t : train_fields()) f = t.key == key ? &t : f;
    if (!f) {
      std::string list;
      for (const TrainField& t : train_fields()) list += " " + t.key;
      throw Error(where + ": unknown key '" + key + "' (known:" + list + ")");
    }
    f->set(c, value, where + ": " + (flag_style ? "--" : "") + key);
  }
  return c;
}

Json train_config_to_json(const TrainConfig& c) {
  Json j = Json::object();
  for (const TrainField& f : train_fields()) j.set(f.key, f.get(c));
  return j;
}

double effective_weight_decay(const TrainConfig& c) {
  if (c.weight_decay >= 0) return c.weight_decay;
  return c.optimizer == "adamw" ? 0.01 : 0.0;
}

void validate(const TrainConfig& c, const std::string& where) {
  EASEL_CHECK(!c.data.empty(), where, ": --data is required");
  EASEL_CHECK(!c.out.empty(), where, ": --out is required");
  EASEL_CHECK(c.epochs > 0 && c.batch > 0, where, ": --epochs and --batch must be positive");
  EASEL_CHECK(c.accumulate >= 1, where, ": --accumulate must be at least 1, got ", c.accumulate);
  EASEL_CHECK(c.warmup >= 0 && c.warmup <= double(c.epochs), where, ": --warmup must be between 0 and --epochs (", c.epochs, "), got ",
              c.warmup);
  EASEL_CHECK(c.freeze >= 0 && c.freeze < 1, where, ": --freeze must be in [0, 1), got ", c.freeze);
  EASEL_CHECK(c.pre.size >= 8 && c.pre.size <= 4096, where, ": --size must be 8 to 4096 pixels, got ", c.pre.size);
  EASEL_CHECK(c.limit >= 0, where, ": --limit must be 0 (all images) or positive, got ", c.limit);
  EASEL_CHECK(c.workers >= 1 && c.workers <= 64, where, ": --workers must be 1 to 64, got ", c.workers);
  EASEL_CHECK(c.stop_after >= 0 && c.patience >= 0, where, ": --stop-after and --patience must not be negative");
  EASEL_CHECK(c.val_ratio > 0 && c.test_ratio >= 0 && c.val_ratio + c.test_ratio < 1, where,
              ": --val must be positive, --test not negative, and together below 1 (got ", c.val_ratio, ", ", c.test_ratio, ")");
  EASEL_CHECK(c.lr > 0 && std::isfinite(c.lr), where, ": --lr must be positive, got ", c.lr);
  const std::vector<std::string> monitors = {"macro_f1", "accuracy", "weighted_f1", "auc", "loss"};
  EASEL_CHECK(std::find(monitors.begin(), monitors.end(), c.monitor) != monitors.end(), "unknown --monitor '", c.monitor,
              "' (macro_f1, accuracy, weighted_f1, auc, loss)");
  EASEL_CHECK(!(c.distributed && c.smote), where, ": --smote writes images into the run and is not offered with "
              "--distributed yet; make the SMOTE images once (a single-process run) or drop --distributed");
  EASEL_CHECK(c.dtype == "f32" || c.dtype == "f64", where, ": --dtype must be f32 or f64, got '", c.dtype, "'");
  parse_device(c.device);                             // an unknown device fails here
  normalize(Tensor::zeros({3, 1, 1}), c.pre.preset);  // ... and an unknown preset
  {  // ... an unknown optimizer or scheduler (or a scheduler's bad option)
    auto opt = make_optimizer(c.optimizer);
    ParamGroup g;
    g.names = {"probe"}, g.params = {Tensor::zeros({1})}, g.lr = c.lr;
    opt->add_group(g);
    make_scheduler(c.scheduler, *opt, c.epochs, 1);
  }
  bool known = false;
  for (const NetInfo& n : net_registry()) known = known || n.name == c.model;
  if (!known) create_net(c.model, 2);  // throws, listing the registry
}

}  // namespace easel
