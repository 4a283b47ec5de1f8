// easel experiment: variants × trials → per-trial files → one table (see apps/experiment.h).
#include "apps/study/experiment.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include "apps/analysis/branches.h"
#include "apps/analysis/grouped.h"
#include "apps/analysis/outliers.h"
#include "apps/pictures/analysis_charts.h"
#include "apps/pictures/plot.h"
#include "apps/analysis/svm.h"
#include "apps/train/inference.h"
#include "apps/train/run.h"
#include "apps/train/trainer.h"
#include "io/file.h"
#include "io/npz.h"
#include "io/text.h"
#include "tensor/random.h"

namespace fs = std::filesystem;

namespace easel {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// ---- reading the study file ------------------------------------------------------------------------

// "${NAME}" and "${NAME:-default}" from the environment.
std::string expand_env(const std::string& s, const std::string& where) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t open = s.find("${", i);
    if (open == std::string::npos) break;
    const size_t close = s.find('}', open);
    EASEL_CHECK(close != std::string::npos, where, ": unclosed ${ in '", s, "'");
    out += s.substr(i, open - i);
    std::string name = s.substr(open + 2, close - open - 2), fallback;
    const size_t dash = name.find(":-");
    const bool has_default = dash != std::string::npos;
    if (has_default) fallback = name.substr(dash + 2), name = name.substr(0, dash);
    const char* v = std::getenv(name.c_str());
    EASEL_CHECK((v && *v) || has_default, where, ": the environment variable ", name, " is not set (used in '", s, "')");
    out += v && *v ? std::string(v) : fallback;
    i = close + 1;
  }
  return out + s.substr(i);
}

// The train keys a study may use: TrainConfig's (apps/model/config.h).
std::set<std::string> train_keys() {
  std::set<std::string> k;
  for (const TrainField& f : train_fields()) k.insert(f.key);
  return k;
}

std::string flag_value(const Json& v, const std::string& where) {
  switch (v.kind()) {
    case Json::Kind::string: return v.str();
    case Json::Kind::number: return v.num() == std::floor(v.num()) && std::fabs(v.num()) < 1e15 ? std::to_string(v.integer()) : fmt("%.10g", v.num());
    default: throw Error(where + ": give a string, a number or true/false");
  }
}

void check_keys(const Json& obj, const std::set<std::string>& known, const std::string& where) {
  EASEL_CHECK(obj.kind() == Json::Kind::object, where, ": expected a JSON object");
  for (const auto& [k, v] : obj.members())
    if (!known.count(k)) {
      std::string list;
      for (const auto& n : known) list += " " + n;
      throw Error(where + ": unknown key '" + k + "' (known:" + list + ")");
    }
}

struct Variant {
  std::string name, from, weights_note;
  std::string init_from;              // an earlier variant whose trained net (same trial) this one starts from
  Json init_source;                   // that variant's train() (null without init_from): part of this one's identity
  std::string eval_aug;               // "": the run's own --eval-aug; "none": no augmentation at evaluation
  std::map<std::string, Json> flags;  // the variant's TrainConfig keys, in name order
  Json svm;                           // null: the net's own softmax head
  Json train() const {                // TrainConfig's JSON form (apps/model/config.h)
    Json j = Json::object();
    for (const auto& [k, v] : flags) j.set(k, v);
    return j;
  }
  std::string head() const {
    const std::string at_eval = eval_aug.empty() ? "" : eval_aug == "none" ? ", clean test" : ", test with " + eval_aug;
    if (svm.is_null()) return "softmax" + at_eval;
    return "svm (" + svm.get("kernel", std::string("rbf")) + (svm.get("grid", false) ? ", CV grid" : "") + ")" + at_eval;
  }
};

struct Study {
  Json file;
  std::string name, title, scaled, group_by;
  int64_t trials = 3, seed = 0;
  bool keep_checkpoints = false;  // else a trial's .npz checkpoints go once no later variant needs them
  Json analyses = Json::object();
  std::vector<Variant> variants;
};

// Resolves a data path: environment first, then relative to the study file's folder.
std::string resolve_data(const std::string& raw, const std::string& file) {
  std::string p = expand_env(raw, file);
  if (fs::path(p).is_relative()) p = fs::absolute(fs::path(file).parent_path() / p).lexically_normal().string();
  EASEL_CHECK(fs::exists(p), file, ": data '", p, "' not found (from '", raw,
              "'; set EASEL_DATA to the folder holding the sets, e.g. ../shared/data)");
  return p;
}

Study read_study(const ExperimentOptions& o) {
  Study s;
  s.file = Json::load(o.file);
  const std::string& F = o.file;
  check_keys(s.file, {"study", "title", "paper", "scaled", "deviations", "data", "trials", "seed", "train", "group_by", "analyses", "tiny",
                      "keep_checkpoints", "variants"}, F);
  s.name = s.file.get("study", fs::path(F).stem().string());
  s.title = s.file.get("title", s.name);
  s.scaled = s.file.get("scaled", std::string());
  s.group_by = s.file.get("group_by", std::string());
  s.trials = o.trials > 0 ? o.trials : o.tiny ? 2 : int64_t(s.file.get("trials", 3.0));
  s.seed = int64_t(s.file.get("seed", 0.0));
  s.keep_checkpoints = s.file.get("keep_checkpoints", false);
  EASEL_CHECK(s.trials >= 1, F, ": trials must be at least 1, got ", s.trials);
  if (s.file.has("analyses")) {
    s.analyses = s.file["analyses"];
    check_keys(s.analyses, {"branches", "abstractness", "outliers"}, F + ": analyses");
  }
  std::map<std::string, Json> base;
  if (s.file.has("train")) {
    check_keys(s.file["train"], train_keys(), F + ": train");
    for (const auto& [k, v] : s.file["train"].members()) base[k] = v;
  }
  if (s.file.has("data")) base["data"] = s.file["data"];
  std::map<std::string, Json> tiny = {{"epochs", Json(1)}, {"limit", Json(48)}, {"size", Json(32)}, {"batch", Json(8)}};
  if (s.file.has("tiny")) {
    check_keys(s.file["tiny"], train_keys(), F + ": tiny");
    for (const auto& [k, v] : s.file["tiny"].members()) tiny[k] = v;
  }
  const std::string weights_dir = !o.weights_dir.empty() ? o.weights_dir : std::getenv("EASEL_WEIGHTS") ? std::getenv("EASEL_WEIGHTS") : "";
  EASEL_CHECK(s.file.has("variants") && !s.file["variants"].items().empty(), F, ": give a non-empty list of \"variants\"");
  std::set<std::string> seen;
  for (const Json& vj : s.file["variants"].items()) {
    check_keys(vj, {"name", "train", "from", "init_from", "no_weights", "svm", "eval_aug", "note"}, F + ": a variant");
    Variant v;
    v.name = vj["name"].str();
    const std::string where = F + ": variant '" + v.name + "'";
    EASEL_CHECK(!v.name.empty() && v.name.find_first_of("/\\ ") == std::string::npos, where, ": a name without spaces or slashes");
    EASEL_CHECK(seen.insert(v.name).second, where, ": two variants have this name");
    v.from = vj.get("from", std::string());
    if (!v.from.empty()) {
      EASEL_CHECK(seen.count(v.from) && v.from != v.name, where, ": \"from\" must name an earlier variant, got '", v.from, "'");
      EASEL_CHECK(!vj.has("train"), where, ": a variant with \"from\" reuses that variant's nets; it takes no \"train\"");
      EASEL_CHECK(!vj.has("init_from"), where, ": a variant with \"from\" reuses that variant's nets; it takes no \"init_from\"");
      for (const Variant& u : s.variants)
        if (u.name == v.from)
          v.flags = u.flags, v.weights_note = u.weights_note, v.init_source = u.init_source,
          v.from = u.from.empty() ? u.name : u.from;
    } else {
      v.flags = base;
      if (vj.has("train")) {
        check_keys(vj["train"], train_keys(), where + ": train");
        for (const auto& [k, val] : vj["train"].members()) v.flags[k] = val;
      }
      EASEL_CHECK(!v.flags.count("out") && !v.flags.count("seed") && !v.flags.count("resume") && !v.flags.count("stop-after"),
                  where, ": \"out\", \"seed\", \"resume\" and \"stop-after\" are the study's to set (per trial)");
      EASEL_CHECK(!v.flags.count("distributed"), where, ": \"distributed\" is for `mpirun ... easel train`; a study "
                  "trains its trials in one process");
      EASEL_CHECK(v.flags.count("data"), where, ": no \"data\" (give it at the top of the study or in the variant's train)");
      v.flags["data"] = resolve_data(flag_value(v.flags["data"], where + ": data"), F);
      if (o.tiny)
        for (const auto& [k, val] : tiny) v.flags[k] = val;
      if (o.quiet) v.flags["quiet"] = true;
      v.init_from = vj.get("init_from", std::string());
      if (!v.init_from.empty()) {  // a second stage: each trial starts from that variant's trial's best.npz
        const Variant* src = nullptr;
        for (const Variant& u : s.variants) src = u.name == v.init_from ? &u : src;
        EASEL_CHECK(src && src->from.empty() && src->init_from.empty(), where, ": \"init_from\" must name an earlier variant "
                    "that trains its own nets from scratch or from weights (not a \"from\" or another \"init_from\" one), got '",
                    v.init_from, "'");
        // The second stage must see the same split, or its test images may be the first stage's training images.
        for (const char* key : {"data", "limit", "val", "test", "where", "label-column", "path-template"}) {
          const bool mine = v.flags.count(key), theirs = src->flags.count(key);
          EASEL_CHECK(mine == theirs && (!mine || v.flags.at(key).dump() == src->flags.at(key).dump()), where, ": \"", key,
                      "\" differs from \"init_from\" '", v.init_from, "''s: both stages must split the same images");
        }
        v.init_source = src->train();
        EASEL_CHECK(!v.flags.count("weights"), where, ": \"init_from\" and \"weights\" both say where training starts; give one");
        auto model_of = [&](const Variant& x) {
          return x.flags.count("model") ? flag_value(x.flags.at("model"), where + ": model") : TrainConfig().model;
        };
        EASEL_CHECK(model_of(v) == model_of(*src), where, ": \"init_from\" '", v.init_from, "' trains a ", model_of(*src),
                    ", this variant a ", model_of(v));
      }
      if (v.flags.count("weights")) {  // a converted .npz: as given, else in the weights folder, else scratch
        const std::string w = flag_value(v.flags["weights"], where + ": weights");
        std::string found;
        if (fs::exists(w)) found = fs::absolute(w).string();
        else if (!weights_dir.empty() && fs::exists(fs::path(weights_dir) / w)) found = fs::absolute(fs::path(weights_dir) / w).string();
        if (found.empty()) {
          v.flags.erase("weights"), v.flags.erase("reset-head");
          v.weights_note = "no " + w + " (looked in " + (weights_dir.empty() ? std::string("$EASEL_WEIGHTS: unset") : weights_dir) +
                           "): trained from scratch";
          if (vj.has("no_weights")) {  // what the study does instead, e.g. {"freeze": 0}: nothing random stays frozen
            check_keys(vj["no_weights"], train_keys(), where + ": no_weights");
            for (const auto& [k, val] : vj["no_weights"].members()) v.flags[k] = val;
            v.weights_note += ", with " + vj["no_weights"].dump();
          }
        } else {
          v.flags["weights"] = found;
          v.weights_note = "weights " + found;
        }
      }
      // The settings are checked now, before hours of training: unknown keys, bad values, unknown model.
      Json check = v.train();
      check.set("out", "check");
      try {
        const TrainConfig c = train_config_from_json(check, "train");
        validate(c);
        // The weight decay as used, written out: a trial is then never reused across a change of its default.
        if (!v.flags.count("weight-decay")) v.flags["weight-decay"] = Json(effective_weight_decay(c));
      } catch (const Error& e) {
        throw Error(where + ": " + e.what());
      }
    }
    v.eval_aug = vj.get("eval_aug", std::string());
    if (!v.eval_aug.empty() && v.eval_aug != "none") try {
        Augment::parse(v.eval_aug);
      } catch (const Error& e) {
        throw Error(where + ": eval_aug: " + e.what());
      }
    if (vj.has("svm")) {
      v.svm = vj["svm"];
      check_keys(v.svm, {"kernel", "grid", "cv", "C", "gamma", "C_grid", "gamma_grid", "balanced", "standardize"}, where + ": svm");
      if (o.tiny) v.svm.set("cv", 2);
    }
    s.variants.push_back(v);
  }
  return s;
}

Json study_json(const Study& s, const ExperimentOptions& o) {
  Json j = Json::object();
  j.set("study", s.name);
  j.set("title", s.title);
  j.set("file", o.file);
  if (s.file.has("paper")) j.set("paper", s.file["paper"]);
  j.set("scaled", s.scaled);
  if (s.file.has("deviations")) j.set("deviations", s.file["deviations"]);
  j.set("tiny", o.tiny);
  j.set("trials", s.trials);
  j.set("seed", s.seed);
  j.set("group_by", s.group_by);
  j.set("analyses", s.analyses);
  Json vs = Json::array();
  for (const Variant& v : s.variants) {
    Json x = Json::object();
    x.set("name", v.name);
    x.set("head", v.head());
    x.set("trained_as", v.from.empty() ? v.name : v.from);
    if (!v.init_from.empty()) x.set("init_from", v.init_from);
    x.set("train", v.train());
    x.set("svm", v.svm);
    x.set("weights", v.weights_note);
    vs.push(x);
  }
  j.set("variants", vs);
  return j;
}

// ---- one trial ---------------------------------------------------------------------------------------


std::vector<double> svm_values(const Json& svm, const char* key, std::vector<double> fallback) {
  if (!svm.has(key)) return fallback;
  std::vector<double> v;
  for (const Json& x : svm[key].items()) v.push_back(x.num());
  return v;
}

// Trains (or resumes, or reuses) the run behind a variant's trial; `start_from`: the first stage's
// run directory (init_from). The stamp holds what the run depends on — the flags, the seed and the
// first stage's flags — but no paths, so a moved study folder resumes and reuses its runs.
void ensure_trained(const Variant& v, const std::string& run_dir, uint64_t seed, const std::string& start_from = "") {
  Json want = v.train(), identity = v.train();
  want.set("out", run_dir);
  want.set("seed", int64_t(seed));
  identity.set("seed", int64_t(seed));
  if (!v.init_source.is_null()) identity.set("init_from_train", v.init_source);
  if (!start_from.empty()) want.set("weights", fs::absolute(start_from).string());
  const std::string stamp = run_dir + "/train.json";
  const bool same = fs::exists(stamp) && Json::load(stamp).dump() == identity.dump();
  if (same && fs::exists(run_dir + "/test_metrics.json") && fs::exists(run_dir + "/best.npz")) return;  // trained earlier
  bool resume = same && fs::exists(run_dir + "/last.npz");
  if (!resume) fs::remove_all(run_dir);
  fs::create_directories(run_dir);
  write_file_atomically(stamp, identity.dump() + "\n");
  TrainConfig config = train_config_from_json(want, stamp);
  if (resume) {
    std::printf("  resuming the interrupted training in %s\n", run_dir.c_str());
    config.resume = true;
  }
  train(config);
  EASEL_CHECK(fs::exists(run_dir + "/test_metrics.json"), run_dir, ": training ended without a test evaluation");
}

// The planted-label-error check: flip `fraction` of the test labels to another class (seeded) and
// ask each outlier score to find them (AUROC, and precision among the top k = number flipped).
void outlier_check(const Outputs& out, int64_t C, double fraction, uint64_t seed, Json& extra) {
  const size_t n = out.labels.size(), k = std::max<size_t>(1, size_t(std::lround(fraction * double(n))));
  if (n < 4 || C < 2) return;
  Generator g(seed + 1234567);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (size_t i = n - 1; i > 0; --i) std::swap(order[i], order[size_t(g.randint(int64_t(i + 1)))]);
  std::vector<int64_t> given = out.labels;
  std::vector<int> flipped(n, 0);
  for (size_t r = 0; r < k; ++r) {
    const size_t i = order[r];
    given[i] = (given[i] + 1 + g.randint(C - 1)) % C;
    flipped[i] = 1;
  }
  const OutlierScores s = outlier_scores(out.embeddings, out.probs, given, 0.5, 0.1);
  for (const auto& [name, score_of] : {std::make_pair("confidence", &s.confidence), std::make_pair("centroid", &s.centroid),
                                       std::make_pair("mahalanobis", &s.mahalanobis)}) {
    const std::vector<double>* score = score_of;  // (a structured binding cannot be captured before C++20)
    std::vector<size_t> rank(n);
    std::iota(rank.begin(), rank.end(), 0);
    std::stable_sort(rank.begin(), rank.end(), [&](size_t a, size_t b) { return (*score)[a] > (*score)[b]; });
    size_t hits = 0;
    for (size_t r = 0; r < k; ++r) hits += size_t(flipped[rank[r]]);
    extra.set(std::string("outliers ") + name + " AUROC", roc_curve(*score, flipped).auc);
    extra.set(std::string("outliers ") + name + " precision@k", double(hits) / double(k));
  }
  extra.set("outliers planted", int64_t(k));
}

// Trains if needed, evaluates the trial's head on the test split, runs the analyses, and writes
// metrics.json (last, atomically: its presence means the trial is done) and predictions.csv.
Json run_trial(const Study& s, const Variant& v, int64_t trial, const std::string& out) {
  const auto t0 = Clock::now();
  const uint64_t seed = uint64_t(s.seed + trial - 1);
  const std::string dir = out + "/runs/" + v.name + "/trial" + std::to_string(trial);
  const std::string run_dir = out + "/runs/" + (v.from.empty() ? v.name : v.from) + "/trial" + std::to_string(trial) + "/run";
  fs::create_directories(dir);
  const Variant* trains = &v;  // the variant whose flags train run_dir
  for (const Variant& u : s.variants) trains = !v.from.empty() && u.name == v.from ? &u : trains;
  if (!trains->init_from.empty()) {  // the first stage (trained again if its checkpoints are gone), then this one
    const std::string first = out + "/runs/" + trains->init_from + "/trial" + std::to_string(trial) + "/run";
    for (const Variant& u : s.variants)
      if (u.name == trains->init_from) ensure_trained(u, first, seed);
    ensure_trained(*trains, run_dir, seed, first);
  } else {
    ensure_trained(v, run_dir, seed);
  }

  Run run = load_run(run_dir);
  std::vector<size_t> test, val, tr;
  const Dataset data = run_dataset(run, &test, &val, &tr);
  EASEL_CHECK(!test.empty(), v.name, ": the run has no test split (--test 0?)");
  LoaderOptions lo;
  lo.batch = 32, lo.workers = 2, lo.pre = run.pre, lo.aug = run.eval_aug;
  if (!v.eval_aug.empty()) lo.aug = parse_eval_aug(v.eval_aug);
  lo.augment = lo.aug.any();
  DataLoader test_loader(data, test, lo);
  const Outputs te = collect_outputs(*run.net, test_loader);
  const int64_t C = int64_t(run.classes.size());
  Metrics m;
  std::vector<std::vector<double>> scores;
  std::string head = "softmax";
  if (v.svm.is_null()) {
    m = compute_metrics(te.probs, te.labels);
    scores = te.probs;
  } else {
    std::vector<size_t> trainval = tr;
    trainval.insert(trainval.end(), val.begin(), val.end());
    DataLoader tv_loader(data, trainval, lo);
    const Outputs fit_rows = collect_outputs(*run.net, tv_loader);
    SvmParams p;
    p.kernel = v.svm.get("kernel", std::string("rbf"));
    p.C = v.svm.get("C", 1.0), p.gamma = v.svm.get("gamma", 0.0), p.balanced = v.svm.get("balanced", false);
    p.standardize = v.svm.get("standardize", true);
    const double D = double(fit_rows.embeddings.size(1));
    if (v.svm.get("grid", false)) {
      std::vector<double> gammas = {0.1 / D, 0.3 / D, 1 / D, 3 / D, 10 / D};  // the default: multiples of 1 / D
      if (v.svm.has("gamma_grid")) gammas = svm_values(v.svm, "gamma_grid", {});  // γ itself, as svm train --gamma-grid
      const GridResult gr = grid_search(fit_rows.embeddings, fit_rows.labels, C, p, svm_values(v.svm, "C_grid", {0.1, 1, 10, 100}),
                                        gammas, int(v.svm.get("cv", 3.0)), seed);
      p = gr.best;
    }
    OneVsRestSvm svm;
    svm.fit(fit_rows.embeddings, fit_rows.labels, C, p);
    scores = svm.decision(te.embeddings);
    m = svm_metrics(scores, te.labels, C);
    head = "svm " + p.kernel + " C=" + fmt("%g", p.C) + " gamma=" + fmt("%.3g", p.gamma);
  }
  std::vector<int64_t> pred;
  for (const auto& row : scores) pred.push_back(int64_t(std::max_element(row.begin(), row.end()) - row.begin()));

  Json extra = Json::object();
  if (s.analyses.has("branches") && s.analyses["branches"].boolean() && is_two_branch(*run.net)) {
    BranchAnalysis b(*run.net);
    DataLoader bl(data, test, lo);
    b.add(bl);
    const BranchStats st = b.result();
    const Json branches = Json::object({{"branches accuracy both", st.accuracy_both},
                                        {"branches accuracy global only", st.accuracy_global_only},
                                        {"branches accuracy patch only", st.accuracy_patch_only},
                                        {"branches feature norm global", st.feature_norm_global},
                                        {"branches feature norm patch", st.feature_norm_patch},
                                        {"branches head weight norm global", st.weight_norm_global},
                                        {"branches head weight norm patch", st.weight_norm_patch}});
    for (const auto& [key, value] : branches.members()) extra.set(key, value);
  }
  if (s.analyses.has("outliers")) outlier_check(te, C, s.analyses["outliers"].num(), seed, extra);

  std::vector<std::string> groups(te.indices.size(), "");
  Json group_json = Json::object();
  if (!s.group_by.empty()) {
    groups = group_values(data, te.indices, s.group_by);
    const GroupedConfusion g = grouped_confusion(s.group_by, groups, te.labels, pred, run.classes);
    for (size_t k = 0; k < g.groups.size(); ++k) {
      Json e = Json::object();
      e.set("images", g.size[k]);
      e.set("correct", g.correct[k]);
      e.set("accuracy", g.accuracy(k));
      group_json.set(g.groups[k], e);
    }
  }

  std::ostringstream csv;
  csv << "path,label,predicted,group";
  for (int64_t c = 0; c < C; ++c) csv << ",score_" << c;
  csv << "\n";
  for (size_t i = 0; i < te.indices.size(); ++i) {
    csv << csv_quote(data.samples[te.indices[i]].path) << "," << te.labels[i] << "," << pred[i] << "," << csv_quote(groups[i]);
    for (double x : scores[i]) csv << "," << fmt("%.9g", x);
    csv << "\n";
  }
  write_file_atomically(dir + "/predictions.csv", csv.str());

  Json cls = Json::array();
  for (const auto& c : run.classes) cls.push(c);
  const Json j = Json::object(
      {{"study", s.name}, {"variant", v.name}, {"trial", trial}, {"seed", int64_t(seed)}, {"head", head},
       {"run", fs::relative(run_dir, dir).string()}, {"train", v.train()}, {"init_from_train", v.init_source},
       {"svm", v.svm}, {"eval_aug", v.eval_aug},
       {"classes", cls}, {"test_images", m.n}, {"accuracy", m.accuracy}, {"top5", m.top5}, {"macro_f1", m.macro_f1},
       {"weighted_f1", m.weighted_f1}, {"auc", m.auc_macro}, {"extra", extra}, {"groups", group_json},
       {"seconds", since(t0)}});
  write_file_atomically(dir + "/metrics.json", j.dump() + "\n");
  return j;
}

// Checkpoints are big (a VGG's last.npz with Adam's moments is 1.6 GB), so once a trial is scored
// and no later variant evaluates the same nets ("from"), its .npz files go; the run's config, log,
// metrics and pictures stay. A later study that needs them again retrains that trial.
void prune_checkpoints(const Study& s, const Variant& v, int64_t trial, const std::string& out) {
  if (s.keep_checkpoints) return;
  auto needed_after_v = [&](const std::string& root) {  // by a later variant: same nets ("from") or a second stage
    bool after = false;
    for (const Variant& u : s.variants) {
      if (after && (u.from == root || u.name == root || u.init_from == root)) return true;
      after = after || &u == &v;
    }
    return false;
  };
  auto prune = [&](const std::string& root) {
    const std::string run_dir = out + "/runs/" + root + "/trial" + std::to_string(trial) + "/run";
    for (const char* f : {"best.npz", "last.npz"}) fs::remove(run_dir + "/" + f);
    fs::remove_all(run_dir + "/smote");
  };
  const std::string root = v.from.empty() ? v.name : v.from;
  if (!needed_after_v(root)) prune(root);
  for (const Variant& u : s.variants)  // the first stage behind these nets, once nothing later needs it
    if (u.name == root && !u.init_from.empty() && !needed_after_v(u.init_from)) prune(u.init_from);
}

bool trial_done(const Variant& v, const std::string& dir) {
  if (!fs::exists(dir + "/metrics.json") || !fs::exists(dir + "/predictions.csv")) return false;
  const Json m = Json::load(dir + "/metrics.json");
  return m["train"].dump() == v.train().dump() && m["svm"].dump() == v.svm.dump() && m.get("eval_aug", std::string()) == v.eval_aug &&
         (m.has("init_from_train") ? m["init_from_train"] : Json()).dump() == v.init_source.dump();
}

// ---- the table ---------------------------------------------------------------------------------------

struct Stat {
  std::vector<double> values;
  double mean() const {
    double s = 0;
    for (double v : values) s += v;
    return values.empty() ? std::nan("") : s / double(values.size());
  }
  double std() const {  // sample standard deviation (n - 1); 0 for one trial
    if (values.size() < 2) return values.empty() ? std::nan("") : 0;
    const double m = mean();
    double s = 0;
    for (double v : values) s += (v - m) * (v - m);
    return std::sqrt(s / double(values.size() - 1));
  }
  std::string str() const { return values.empty() ? "–" : fmt("%.3f", mean()) + " ± " + fmt("%.3f", std()); }
  Json json() const {
    Json j = Json::object(), v = Json::array();
    for (double x : values) v.push(x);
    j.set("mean", mean());
    j.set("std", std());
    j.set("values", v);
    return j;
  }
};

struct Pooled {  // test predictions of every trial of a variant
  std::vector<std::vector<double>> scores;
  std::vector<int64_t> labels, pred;
  std::vector<std::string> groups;
};

Pooled read_predictions(const std::string& path, int64_t C) {
  Pooled p;
  std::ifstream f(path);
  EASEL_CHECK(f, "cannot read ", path);
  std::string line;
  std::getline(f, line);
  for (int64_t row = 2; std::getline(f, line); ++row) {
    const std::vector<std::string> c = parse_csv_line(line);
    EASEL_CHECK(int64_t(c.size()) == 4 + C, path, ":", row, ": expected ", 4 + C, " fields, got ", c.size());
    const std::string at = path + ":" + std::to_string(row);
    p.labels.push_back(parse_int(c[1], at)), p.pred.push_back(parse_int(c[2], at)), p.groups.push_back(c[3]);
    std::vector<double> s;
    for (int64_t k = 0; k < C; ++k) s.push_back(parse_number(c[size_t(4 + k)], at));
    p.scores.push_back(s);
  }
  return p;
}

void roc_picture(const Pooled& p, const std::vector<std::string>& classes, const std::string& title, const std::string& png) {
  std::vector<Series> lines;
  for (size_t c = 0; c < classes.size() && c < 10; ++c) {
    std::vector<double> s;
    std::vector<int> pos;
    for (size_t i = 0; i < p.labels.size(); ++i) s.push_back(p.scores[i][c]), pos.push_back(p.labels[i] == int64_t(c));
    const RocCurve r = roc_curve(s, pos);
    if (std::isnan(r.auc)) continue;
    lines.push_back({classes[c].substr(0, 64) + " (AUC " + fmt("%.3f", r.auc) + ")", r.fpr, r.tpr, palette(c)});
  }
  Series chance{"chance", {0, 1}, {0, 1}, {0.6f, 0.6f, 0.6f}};
  chance.dashed = true;
  lines.push_back(chance);
  line_chart(title, "false positive rate", "true positive rate", lines, 560, 440, kUnit, kUnit).save(png);
}

// Histogram of the positive class's probability for correct and for wrong predictions.
std::string abstractness_picture(const Pooled& p, int64_t positive, const std::string& cls, const std::string& title,
                                 const std::string& png) {
  std::vector<std::string> bins;
  BarSeries right{"correct", std::vector<double>(10, 0), std::vector<double>(10, 0)};
  BarSeries wrong{"wrong", std::vector<double>(10, 0), std::vector<double>(10, 0)};
  double n[2] = {0, 0}, sum[2] = {0, 0}, margin[2] = {0, 0};  // [wrong, correct]
  for (size_t i = 0; i < p.labels.size(); ++i) {
    const double a = p.scores[i][size_t(positive)];
    const size_t b = std::min<size_t>(9, size_t(std::max(0.0, a) * 10));
    const int ok = p.pred[i] == p.labels[i];
    (ok ? right : wrong).mean[b] += 1;
    n[ok] += 1, sum[ok] += a, margin[ok] += std::fabs(a - 0.5);
  }
  for (size_t b = 0; b < 10; ++b) {
    bins.push_back(fmt("%.1f", 0.1 * double(b)) + "-" + fmt("%.1f", 0.1 * double(b + 1)));
    if (n[1] > 0) right.mean[b] /= n[1];
    if (n[0] > 0) wrong.mean[b] /= n[0];
  }
  bar_chart(title, "share of predictions", bins, {right, wrong}, 760, 400, kUnit).save(png);
  auto part = [&](int ok) {
    return fmt("%.0f", n[ok]) + (ok ? " correct" : " wrong") + " (mean p(" + cls + ") " + fmt("%.3f", n[ok] ? sum[ok] / n[ok] : 0) +
           ", mean |p - 0.5| " + fmt("%.3f", n[ok] ? margin[ok] / n[ok] : 0) + ")";
  };
  return part(1) + ", " + part(0);
}

}  // namespace

// Training curves of a variant's trials: validation and training accuracy per epoch, mean ± std over
// the trials that reached that epoch (a band), from each trial run's log.jsonl. False when no log.
bool curves_picture(const std::string& out, const std::string& variant, int64_t trials, const std::string& png) {
  std::map<int64_t, Stat> val, train;
  for (int64_t t = 1; t <= trials; ++t) {
    const std::string log = out + "/runs/" + variant + "/trial" + std::to_string(t) + "/run/log.jsonl";
    if (!fs::exists(log)) continue;
    std::istringstream lines(read_file(log));
    for (std::string l; std::getline(lines, l);) {
      if (l.empty()) continue;
      const Json j = Json::parse(l, log);
      const int64_t e = j["epoch"].integer();
      val[e].values.push_back(j["val_accuracy"].num());
      if (j.has("train_accuracy")) train[e].values.push_back(j["train_accuracy"].num());
    }
  }
  if (val.empty()) return false;
  auto series = [](const std::string& name, const std::map<int64_t, Stat>& by_epoch, Rgb color) {
    Series s{name, {}, {}, color, {}, {}};
    for (const auto& [e, st] : by_epoch) {
      s.x.push_back(double(e)), s.y.push_back(st.mean());
      s.lo.push_back(st.mean() - st.std()), s.hi.push_back(st.mean() + st.std());
    }
    return s;
  };
  std::vector<Series> all = {series("validation accuracy", val, palette(0))};
  if (!train.empty()) all.push_back(series("training accuracy", train, palette(1)));
  line_chart(variant + ": accuracy per epoch, mean ± std over trials", "epoch", "accuracy", all, 620, 380, kCount, kUnit).save(png);
  return true;
}

Json tabulate_experiment(const std::string& out) {
  const Json st = Json::load(out + "/study.json");
  const int64_t trials = st["trials"].integer();
  const std::vector<std::pair<std::string, const char*>> kMetrics = {
      {"accuracy", "accuracy"}, {"top5", "top-5"}, {"macro_f1", "macro-F1"}, {"weighted_f1", "weighted-F1"}, {"auc", "AUC"}};
  std::ostringstream md, extra_md, group_md, pictures;
  Json results = Json::object(), variants = Json::array();
  results.set("study", st["study"]);
  results.set("title", st["title"]);
  results.set("trials", trials);
  std::vector<std::string> names;
  BarSeries acc{"accuracy", {}, {}}, f1{"macro-F1", {}, {}};
  double compute_seconds = 0;
  std::vector<std::string> classes;
  std::map<std::string, std::map<std::string, Stat>> extras;  // variant → name → values
  std::vector<std::string> extra_names;
  for (const Json& v : st["variants"].items()) {
    const std::string name = v["name"].str();
    std::map<std::string, Stat> stat;
    std::map<std::string, Stat> group_acc;
    Pooled pooled;
    std::string head;
    int64_t done = 0;
    for (int64_t t = 1; t <= trials; ++t) {
      const std::string dir = out + "/runs/" + name + "/trial" + std::to_string(t);
      if (!fs::exists(dir + "/metrics.json")) continue;
      const Json m = Json::load(dir + "/metrics.json");
      ++done;
      head = m["head"].str();
      classes.clear();
      for (const Json& c : m["classes"].items()) classes.push_back(c.str());
      for (const auto& [key, label] : kMetrics)  // top-5 means something with more than 5 classes only
        if (std::isfinite(m[key].num()) && (key != "top5" || classes.size() > 5)) stat[key].values.push_back(m[key].num());
      for (const auto& [k, x] : m["extra"].members()) {
        if (std::find(extra_names.begin(), extra_names.end(), k) == extra_names.end()) extra_names.push_back(k);
        extras[name][k].values.push_back(x.num());
      }
      for (const auto& [g, x] : m["groups"].members()) group_acc[g].values.push_back(x["accuracy"].num());
      compute_seconds += m["seconds"].num();
      const Pooled p = read_predictions(dir + "/predictions.csv", int64_t(classes.size()));
      pooled.scores.insert(pooled.scores.end(), p.scores.begin(), p.scores.end());
      pooled.labels.insert(pooled.labels.end(), p.labels.begin(), p.labels.end());
      pooled.pred.insert(pooled.pred.end(), p.pred.begin(), p.pred.end());
      pooled.groups.insert(pooled.groups.end(), p.groups.begin(), p.groups.end());
    }
    Json vj = Json::object();
    vj.set("name", name);
    vj.set("head", v["head"]);
    vj.set("weights", v["weights"]);
    vj.set("trials_done", done);
    Json mj = Json::object();
    for (const auto& [key, label] : kMetrics) mj.set(key, stat[key].json());
    vj.set("metrics", mj);
    Json ej = Json::object();
    for (const auto& [k, x] : extras[name]) ej.set(k, x.json());
    vj.set("extra", ej);
    names.push_back(name);
    acc.mean.push_back(stat["accuracy"].mean()), acc.err.push_back(stat["accuracy"].std());
    f1.mean.push_back(stat["macro_f1"].mean()), f1.err.push_back(stat["macro_f1"].std());
    md << "| " << name << " | " << v["head"].str() << " | " << done << "/" << trials;
    for (const auto& [key, label] : kMetrics) md << " | " << stat[key].str();
    md << " |\n";
    if (done == 0) {
      variants.push(vj);
      continue;
    }
    if (v["trained_as"].str() == name && curves_picture(out, name, trials, out + "/curves_" + name + ".png"))
      pictures << "![curves " << name << "](curves_" << name << ".png) ";
    const bool show_roc = classes.size() <= 10;
    if (show_roc) {
      roc_picture(pooled, classes, name + ": ROC (" + std::to_string(done) + " trials pooled)", out + "/roc_" + name + ".png");
      pictures << "![ROC " << name << "](roc_" << name << ".png) ";
    }
    if (!group_acc.empty()) {
      const GroupedConfusion g = grouped_confusion(st["group_by"].str(), pooled.groups, pooled.labels, pooled.pred, classes);
      grouped_chart(g, name + ": predictions by " + g.column + " (" + std::to_string(done) + " trials)").save(out + "/groups_" + name + ".png");
      group_md << "\n### " << name << "\n\nAccuracy per " << g.column << " (mean ± std over trials):\n\n| " << g.column
               << " | true class | accuracy |\n|---|---|---:|\n";
      Json gj = Json::object();
      for (size_t k = 0; k < g.groups.size(); ++k) {
        group_md << "| " << g.groups[k] << " | " << g.true_class[k] << " | " << group_acc[g.groups[k]].str() << " |\n";
        gj.set(g.groups[k], group_acc[g.groups[k]].json());
      }
      vj.set("groups", gj);
      group_md << "\nExtended confusion matrix, test sets of all trials together (rows: predicted class, one column per "
               << g.column << "):\n\n" << grouped_markdown(g) << "\n![groups " << name << "](groups_" << name << ".png)\n";
    }
    const std::string positive = st["analyses"].get("abstractness", std::string());
    const auto pos = std::find(classes.begin(), classes.end(), positive);
    if (!positive.empty() && pos != classes.end() && head == "softmax") {
      const std::string summary = abstractness_picture(pooled, pos - classes.begin(), positive,
                                                       name + ": p(" + positive + ") of correct and wrong predictions",
                                                       out + "/abstractness_" + name + ".png");
      extra_md << "- **" << name << "** abstractness score p(" << positive << "): " << summary << " — ![abstractness "
               << name << "](abstractness_" << name << ".png)\n";
      vj.set("abstractness", summary);
    }
    variants.push(vj);
  }
  results.set("variants", variants);
  results.set("compute_seconds", compute_seconds);
  size_t longest = 0;
  for (const auto& n : names) longest = std::max(longest, n.size());
  const int64_t per_group = std::max<int64_t>(120, int64_t(9.5 * double(longest)) + 16);  // room for the names
  const int64_t W = std::max<int64_t>(720, per_group * int64_t(names.size()) + 100);
  bar_chart(st["study"].str() + ": test scores over " + std::to_string(trials) + " trials", "mean ± std", names, {acc, f1}, W, 440,
            kUnit)
      .save(out + "/accuracy.png");

  std::ostringstream doc;
  doc << "# " << st["title"].str() << "\n\n";
  if (st.has("paper")) doc << "Mirrors: " << st["paper"].str() << "\n\n";
  if (!st["scaled"].str().empty()) doc << "**Scaled:** " << st["scaled"].str() << "\n\n";
  if (st.has("deviations") && !st["deviations"].items().empty()) {
    doc << "**Deviations from the paper:**\n\n";
    for (const Json& d : st["deviations"].items()) doc << "- " << d.str() << "\n";
    doc << "\n";
  }
  if (st["tiny"].boolean()) doc << "**Tiny mode** (a smoke test: few images, one epoch): the numbers mean nothing.\n\n";
  doc << "Study file `" << st["file"].str() << "`; " << trials << " trial(s) per variant, seeds " << st["seed"].integer() << "–"
      << st["seed"].integer() + trials - 1 << " (the seed draws the split, the subsample, the initialisation and the batches). "
      << "Test split of each trial; mean ± sample standard deviation over trials. Compute time "
      << fmt("%.0f", compute_seconds) << " s.\n\n";
  std::set<std::string> notes;
  for (const Json& v : st["variants"].items())
    if (!v["weights"].str().empty()) notes.insert(v["name"].str() + ": " + v["weights"].str());
  for (const auto& n : notes) doc << "- " << n << "\n";
  if (!notes.empty()) doc << "\n";
  doc << "| variant | head | trials | accuracy | top-5 | macro-F1 | weighted-F1 | AUC |\n|---|---|---:|---:|---:|---:|---:|---:|\n"
      << md.str() << "\n![accuracy](accuracy.png)\n\n";
  if (!extra_names.empty()) {
    doc << "## Analyses (mean ± std over trials)\n\n| variant";
    for (const auto& k : extra_names) doc << " | " << k;
    doc << " |\n|---";
    for (size_t k = 0; k < extra_names.size(); ++k) doc << "|---:";
    doc << "|\n";
    for (const auto& n : names) {
      if (!extras.count(n) || extras[n].empty()) continue;
      doc << "| " << n;
      for (const auto& k : extra_names) doc << " | " << (extras[n].count(k) ? extras[n][k].str() : "–");
      doc << " |\n";
    }
    doc << "\n";
  }
  if (!extra_md.str().empty()) doc << "## Abstractness scores\n\n" << extra_md.str() << "\n";
  if (!group_md.str().empty()) doc << "## By " << st["group_by"].str() << "\n" << group_md.str() << "\n";
  if (!pictures.str().empty()) doc << "## Training curves and ROC curves per class\n\n" << pictures.str() << "\n";
  doc << "\nPer-trial files: `runs/<variant>/trial<k>/metrics.json`, `predictions.csv`, and the training run in `run/`.\n";
  write_file_atomically(out + "/results.md", doc.str());
  write_file_atomically(out + "/results.json", results.dump() + "\n");
  return results;
}

Json run_experiment(const ExperimentOptions& o) {
  const auto t0 = Clock::now();
  const Study s = read_study(o);
  const std::string out = o.out.empty() ? "experiments-out/" + s.name + (o.tiny ? "-tiny" : "") : o.out;
  fs::create_directories(out);
  write_file_atomically(out + "/study.json", study_json(s, o).dump() + "\n");
  const int64_t total = int64_t(s.variants.size()) * s.trials;
  std::printf("experiment %s: %s\n  %zu variants x %lld trials -> %s/\n", s.name.c_str(), s.title.c_str(), s.variants.size(),
              (long long)s.trials, out.c_str());
  if (!s.scaled.empty()) std::printf("  scaled: %s\n", s.scaled.c_str());
  for (const Variant& v : s.variants)
    if (!v.weights_note.empty()) std::printf("  %s: %s\n", v.name.c_str(), v.weights_note.c_str());
  int64_t k = 0, ran = 0;
  double ran_seconds = 0;
  for (const Variant& v : s.variants) {
    for (int64_t t = 1; t <= s.trials; ++t) {
      ++k;
      const std::string dir = out + "/runs/" + v.name + "/trial" + std::to_string(t);
      if (trial_done(v, dir)) {
        std::printf("[%lld/%lld] %s trial %lld: done earlier\n", (long long)k, (long long)total, v.name.c_str(), (long long)t);
        continue;
      }
      std::string eta = "";
      if (ran > 0) eta = ", ETA " + fmt_time(ran_seconds / double(ran) * double(total - k + 1));
      std::printf("\n[%lld/%lld] %s trial %lld/%lld (seed %lld; head: %s)%s\n", (long long)k, (long long)total, v.name.c_str(),
                  (long long)t, (long long)s.trials, (long long)(s.seed + t - 1), v.head().c_str(), eta.c_str());
      std::fflush(stdout);
      const auto t1 = Clock::now();
      const Json m = run_trial(s, v, t, out);
      ran_seconds += since(t1), ++ran;
      prune_checkpoints(s, v, t, out);
      std::printf("[%lld/%lld] %s trial %lld: accuracy %.3f, macro-F1 %.3f (%s)\n", (long long)k, (long long)total,
                  v.name.c_str(), (long long)t, m["accuracy"].num(), m["macro_f1"].num(), fmt_time(since(t1)).c_str());
      std::fflush(stdout);
    }
  }
  Json r = tabulate_experiment(out);
  std::printf("\nexperiment %s done in %s (%lld trials run now, %lld reused): %s/results.md\n", s.name.c_str(),
              fmt_time(since(t0)).c_str(), (long long)ran, (long long)(total - ran), out.c_str());
  std::ifstream md(out + "/results.md");
  std::string line;
  while (std::getline(md, line))
    if (line.rfind("| ", 0) == 0 || line.rfind("|---", 0) == 0) std::printf("%s\n", line.c_str());
    else if (line.rfind("## ", 0) == 0) break;
  return r;
}

}  // namespace easel
