#include "apps/train.h"

#include "apps/plot.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "autograd/node.h"
#include "io/image.h"
#include "io/npz.h"
#include "layers/init.h"
#include "optim/scheduler.h"
#include "tensor/random.h"

namespace fs = std::filesystem;

namespace easel {

std::vector<std::vector<std::string>> weight_layers(const Module& net) {
  std::vector<std::vector<std::string>> layers;
  for (auto& [path, m] : net.named_modules()) {
    const bool starts = dynamic_cast<Conv2d*>(m) || dynamic_cast<Linear*>(m) || dynamic_cast<LSTM*>(m);
    const bool joins = dynamic_cast<BatchNorm*>(m) != nullptr;
    if (!starts && !(joins && !layers.empty())) continue;
    if (starts) layers.emplace_back();
    for (auto& [name, t] : m->named_parameters()) layers.back().push_back(path + "." + name);
  }
  return layers;
}

namespace {

// "1-10,17-19" or "1-10:1e-2,11-16:1e-4" -> (first, last, value) with 1-based inclusive ranges.
struct LayerRange {
  int64_t first, last;
  double value;
  std::string prefix;  // set instead of first/last for a name-prefix item
};
std::vector<LayerRange> parse_ranges(const std::string& spec, int64_t n_layers, bool with_value, const char* flag) {
  std::vector<LayerRange> out;
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty()) continue;
    LayerRange r{0, 0, 0};
    const size_t colon = item.find(':');
    EASEL_CHECK(with_value == (colon != std::string::npos), flag, ": '", item, "' should be ",
                with_value ? "FIRST-LAST:VALUE" : "FIRST-LAST");
    const std::string range = item.substr(0, colon);
    if (with_value && !range.empty() && !isdigit(uint8_t(range[0]))) {  // a parameter-name prefix
      r.prefix = range;
      try {
        r.value = std::stod(item.substr(colon + 1));
      } catch (const std::exception&) {
        throw Error(std::string(flag) + ": cannot read '" + item + "'");
      }
      out.push_back(r);
      continue;
    }
    const size_t dash = range.find('-');
    try {
      r.first = std::stoll(range.substr(0, dash));
      r.last = dash == std::string::npos ? r.first : std::stoll(range.substr(dash + 1));
      if (with_value) r.value = std::stod(item.substr(colon + 1));
    } catch (const std::exception&) {
      throw Error(std::string(flag) + ": cannot read '" + item + "'");
    }
    EASEL_CHECK(r.first >= 1 && r.first <= r.last && r.last <= n_layers, flag, ": range ", r.first, "-", r.last,
                " outside the net's weight layers 1-", n_layers);
    out.push_back(r);
  }
  return out;
}

void reinit_layer(Module& net, const std::vector<std::string>& names) {
  NoGradGuard ng;
  for (const auto& [name, p] : net.named_parameters()) {
    if (std::find(names.begin(), names.end(), name) == names.end()) continue;
    Tensor t = p;
    const std::string leaf = name.substr(name.rfind('.') + 1);
    Module* owner = net.find(name.substr(0, name.rfind('.')));
    if (dynamic_cast<BatchNorm*>(owner)) init::constant_(t, leaf == "weight" ? 1.0 : 0.0);
    else if (t.dim() >= 2) init::default_uniform_(t, init::fan_in(t));
    else init::uniform_(t, -0.01, 0.01);
  }
}


NamedTensors prefixed(const std::string& p, const NamedTensors& t) {
  NamedTensors out;
  for (const auto& [k, v] : t) out.emplace_back(p + k, v);
  return out;
}

NamedTensors strip(const std::string& p, const NamedTensors& t) {
  NamedTensors out;
  for (const auto& [k, v] : t)
    if (k.rfind(p, 0) == 0) out.emplace_back(k.substr(p.size()), v);
  return out;
}

double metric_of(const Metrics& m, const std::string& name) {
  if (name == "macro_f1") return m.macro_f1;
  if (name == "accuracy") return m.accuracy;
  if (name == "weighted_f1") return m.weighted_f1;
  if (name == "auc") return m.auc_macro;
  if (name == "loss") return -m.log_loss;  // larger is better everywhere
  throw Error("unknown --monitor '" + name + "' (macro_f1, accuracy, weighted_f1, auc, loss)");
}

Json config_json(const TrainOptions& o, const Dataset& d, const Split& split) {
  Json c = Json::object();
  c.set("model", o.model);
  c.set("num_classes", int64_t(d.classes.size()));
  Json classes = Json::array();
  for (const auto& n : d.classes) classes.push(n);
  c.set("classes", classes);
  c.set("data", fs::absolute(o.data).string());
  c.set("label_column", o.csv.label_column);
  c.set("path_template", o.csv.path_template);
  Json where = Json::array();
  for (const auto& [k, v] : o.csv.where) where.push(k + "=" + v);
  c.set("where", where);
  c.set("preset", o.pre.preset);
  c.set("size", o.pre.size);
  c.set("pad", o.pre.pad);
  c.set("aug", o.aug.str());
  c.set("eval_aug", o.eval_aug.str());
  c.set("weights", o.weights);
  c.set("reset_head", o.reset_head);
  c.set("epochs", o.epochs);
  c.set("batch", o.batch);
  c.set("optimizer", o.optimizer);
  c.set("scheduler", o.scheduler);
  c.set("lr", o.lr);
  c.set("weight_decay", o.weight_decay);
  c.set("freeze", o.freeze);
  c.set("layer_lr", o.layer_lr);
  c.set("reinit", o.reinit);
  c.set("class_weights", o.class_weighted);
  c.set("smote", o.smote);
  c.set("label_smoothing", o.label_smoothing);
  c.set("monitor", o.monitor);
  c.set("seed", double(o.seed));
  c.set("val_ratio", o.val_ratio);
  c.set("test_ratio", o.test_ratio);
  c.set("limit", o.limit);
  c.set("train_size", int64_t(split.train.size()));
  c.set("val_size", int64_t(split.val.size()));
  c.set("test_size", int64_t(split.test.size()));
  return c;
}

}  // namespace

// --limit: a stratified subsample of at most `limit` images (0: all), the same for a given seed.
static Dataset limit_dataset(Dataset data, int64_t limit, uint64_t seed) {
  if (limit <= 0 || int64_t(data.samples.size()) <= limit) return data;
  return data.subset(stratified_split(data.labels(), double(limit) / double(data.samples.size()), 0, seed + 7).train);
}

Outputs collect_outputs(Net& net, DataLoader& loader, const std::string& layer) {
  net.eval();
  NoGradGuard ng;
  if (!layer.empty()) net.at(layer);  // an unknown name fails here, listing the modules
  Outputs out;
  std::vector<Tensor> emb;
  loader.start_epoch(0);
  Batch b;
  while (loader.next(&b)) {
    Tensor e, z;
    if (layer.empty()) {
      e = net.embed(b.images);
      z = net.at(net.head_path)(e);
    } else {
      FeatureCapture cap(net, {layer});
      z = net(b.images);
      e = cap.get(layer);
      e = e.dim() == 4 ? mean(e, {2, 3}) : e.contiguous().reshape({e.size(0), -1});
    }
    const Tensor p = softmax(z, 1);
    emb.push_back(e);
    const int64_t C = p.size(1);
    const std::vector<double> flat = p.to_vector(), lab = b.labels.to_vector(), zf = z.to_vector();
    for (int64_t i = 0; i < p.size(0); ++i) {
      out.logits.emplace_back(zf.begin() + i * C, zf.begin() + (i + 1) * C);
      out.probs.emplace_back(flat.begin() + i * C, flat.begin() + (i + 1) * C);
      out.labels.push_back(int64_t(lab[size_t(i)]));
      out.indices.push_back(b.indices[size_t(i)]);
    }
  }
  EASEL_CHECK(!emb.empty(), "no image could be read");
  out.embeddings = concat(emb, 0);
  return out;
}

Metrics evaluate(Net& net, DataLoader& loader, std::vector<std::vector<double>>* probs_out, std::vector<int64_t>* labels_out,
                 std::vector<size_t>* indices_out) {
  Outputs o = collect_outputs(net, loader);
  Metrics m = compute_metrics(o.probs, o.labels);
  if (probs_out) *probs_out = std::move(o.probs);
  if (labels_out) *labels_out = std::move(o.labels);
  if (indices_out) *indices_out = std::move(o.indices);
  return m;
}

std::string fmt_time(double s) {
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", int(s / 3600), int(s / 60) % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s / 60), int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%.0fs", s);
  return buf;
}

TrainResult train(const TrainOptions& o) {
  EASEL_CHECK(!o.out.empty(), "train: --out RUN_DIR is required");
  EASEL_CHECK(o.epochs > 0 && o.batch > 0, "train: --epochs and --batch must be positive");
  fs::create_directories(o.out);
  manual_seed(o.seed);

  // ---- data --------------------------------------------------------------------------------
  Dataset data = limit_dataset(open_dataset(o.data, o.csv), o.limit, o.seed);
  const int64_t C = int64_t(data.classes.size());
  EASEL_CHECK(C >= 2, o.data, ": need at least 2 classes, found ", C);
  const Split split = stratified_split(data.labels(), 1 - o.val_ratio - o.test_ratio, o.val_ratio, o.seed);
  EASEL_CHECK(!split.train.empty() && !split.val.empty(), "train: the split left no training or no validation images (",
              data.samples.size(), " images, val ", o.val_ratio, ", test ", o.test_ratio, ")");
  if (!o.quiet) std::printf("%s", data.summary().c_str());
  std::vector<size_t> train_idx = split.train;
  if (o.smote) {  // synthetic training images between same-class neighbours, written as PNGs
    const std::string dir = o.out + "/smote";
    fs::create_directories(dir);
    std::vector<Tensor> rows;
    std::vector<int64_t> labels;
    const int64_t s = o.pre.size;
    for (size_t i : split.train) {
      Preprocess geo = o.pre;
      Generator g(0);
      rows.push_back(denormalize(prepare_image(load_image(data.samples[i].path), geo, nullptr, g), o.pre.preset).reshape({1, -1}));
      labels.push_back(data.samples[i].label);
    }
    const Smoted sm = smote(concat(rows, 0), labels, 5, o.seed);
    for (int64_t r = int64_t(rows.size()); r < int64_t(sm.labels.size()); ++r) {
      const std::string p = dir + "/" + std::to_string(r) + ".png";
      save_png(p, sm.features.select(0, r).reshape({3, s, s}));
      data.samples.push_back({p, sm.labels[size_t(r)], {}});
      train_idx.push_back(data.samples.size() - 1);
    }
    if (!o.quiet) std::printf("SMOTE: %zu synthetic training images added\n", sm.labels.size() - rows.size());
  }
  std::vector<int64_t> train_labels;
  for (size_t i : train_idx) train_labels.push_back(data.samples[i].label);
  if (!o.quiet)
    std::printf("split: %zu train, %zu validation, %zu test (seed %llu)\n", train_idx.size(), split.val.size(),
                split.test.size(), (unsigned long long)o.seed);

  LoaderOptions lo;
  lo.batch = o.batch, lo.workers = o.workers, lo.seed = o.seed, lo.pre = o.pre;
  LoaderOptions train_lo = lo, eval_lo = lo;
  train_lo.shuffle = true, train_lo.drop_last = int64_t(train_idx.size()) > o.batch, train_lo.augment = true;
  train_lo.aug = o.aug;
  eval_lo.augment = o.eval_aug.any();
  eval_lo.aug = o.eval_aug;
  DataLoader train_loader(data, train_idx, train_lo), val_loader(data, split.val, eval_lo);

  // ---- net -----------------------------------------------------------------------------------
  auto net = create_net(o.model, C);
  if (!o.weights.empty()) {
    LoadOptions l;
    l.allow_missing = true;  // backbone-only files (ImageNet weights of a seed net's trunk)
    if (o.reset_head) l.reset_prefix = net->head_path;
    NamedTensors file = load_npz(o.weights);
    if (o.reset_head)  // the file's head is not used at all
      file.erase(std::remove_if(file.begin(), file.end(), [&](const auto& kv) { return kv.first.rfind(net->head_path + ".", 0) == 0; }),
                 file.end());
    try {
      const LoadReport rep = net->load_state_dict(file, l);
      if (!o.quiet)
        std::printf("weights: %s (%zu tensors kept their fresh initialisation)\n", o.weights.c_str(), rep.missing.size());
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + "(if the class count differs from the file's, add --reset-head)");
    }
  }
  const auto layers = weight_layers(*net);
  const int64_t L = int64_t(layers.size());
  for (const LayerRange& r : parse_ranges(o.reinit, L, false, "--reinit"))
    for (int64_t l = r.first; l <= r.last; ++l) reinit_layer(*net, layers[size_t(l - 1)]);
  EASEL_CHECK(o.freeze >= 0 && o.freeze < 1, "train: --freeze must be in [0, 1), got ", o.freeze);
  const int64_t frozen = int64_t(std::floor(o.freeze * double(L)));
  std::map<std::string, int64_t> layer_of;
  for (int64_t l = 0; l < L; ++l)
    for (const auto& n : layers[size_t(l)]) layer_of[n] = l + 1;
  for (auto& [name, p] : net->named_parameters()) p.requires_grad_(!layer_of.count(name) || layer_of[name] > frozen);

  // ---- optimizer: one group per learning rate ------------------------------------------------
  auto opt = make_optimizer(o.optimizer);
  const std::vector<LayerRange> lrs = parse_ranges(o.layer_lr, L, true, "--layer-lr");
  std::map<double, ParamGroup> by_lr;
  for (auto& [name, p] : net->named_parameters()) {
    if (!p.requires_grad()) continue;
    double lr = o.lr;
    for (const LayerRange& r : lrs) {
      const bool hit = r.prefix.empty() ? layer_of.count(name) && layer_of[name] >= r.first && layer_of[name] <= r.last
                                        : name == r.prefix || name.rfind(r.prefix + ".", 0) == 0;
      if (hit) lr = r.value;
    }
    ParamGroup& g = by_lr[lr];
    g.lr = lr, g.weight_decay = o.weight_decay;
    g.names.push_back(name), g.params.push_back(p);
  }
  for (auto& [lr, g] : by_lr) opt->add_group(g);
  const int64_t steps = train_loader.batches_per_epoch();
  auto sched = make_scheduler(o.scheduler, *opt, o.epochs, steps);
  EarlyStopping early(o.patience > 0 ? o.patience : o.epochs + 1);
  CrossEntropyOptions ce;
  ce.label_smoothing = o.label_smoothing;
  if (o.class_weighted) ce.weight = Tensor::from(class_weights(train_labels, C), {C});
  if (!o.quiet) {
    int64_t trainable = 0;
    for (const Tensor& p : net->parameters()) trainable += p.requires_grad() ? p.numel() : 0;
    std::printf("model: %s, %lld parameters (%lld trainable, %lld of %lld weight layers frozen), %zu lr group(s)\n",
                o.model.c_str(), (long long)net->num_parameters(), (long long)trainable, (long long)frozen, (long long)L,
                by_lr.size());
  }

  // ---- checkpoints -------------------------------------------------------------------------------
  const std::string last_path = o.out + "/last.npz", best_path = o.out + "/best.npz", log_path = o.out + "/log.jsonl";
  int64_t start_epoch = 1, best_epoch = 0;
  auto save_checkpoint = [&](const std::string& path, int64_t epoch) {
    NamedTensors ck = prefixed("model.", net->state_dict());
    for (auto& kv : prefixed("optimizer.", opt->state_dict())) ck.push_back(kv);
    if (sched)
      for (auto& kv : prefixed("scheduler.", sched->state_dict())) ck.push_back(kv);
    const Generator::State st = default_generator().state();
    ck.emplace_back("meta.epoch", Tensor::scalar(double(epoch), DType::i64));
    ck.emplace_back("meta.best_epoch", Tensor::scalar(double(best_epoch), DType::i64));
    ck.emplace_back("meta.early_best", Tensor::scalar(early.best, DType::f64));
    ck.emplace_back("meta.early_bad", Tensor::scalar(double(early.bad), DType::i64));
    Tensor rng = Tensor::empty({4}, DType::i64);
    for (int i = 0; i < 4; ++i) rng.data<int64_t>()[i] = int64_t(st.s[size_t(i)]);
    ck.emplace_back("meta.rng", rng);
    ck.emplace_back("meta.rng_spare", Tensor::from({st.spare, double(st.has_spare)}, {2}, DType::f64));
    save_npz(path, ck);
  };
  if (o.resume) {
    EASEL_CHECK(fs::exists(last_path), "train --resume: no checkpoint at ", last_path);
    const NamedTensors ck = load_npz(last_path);
    net->load_state_dict(strip("model.", ck));
    opt->load_state_dict(strip("optimizer.", ck));
    if (sched) sched->load_state_dict(strip("scheduler.", ck));
    start_epoch = int64_t(npz_get(ck, "meta.epoch", last_path).item()) + 1;
    best_epoch = int64_t(npz_get(ck, "meta.best_epoch", last_path).item());
    early.best = npz_get(ck, "meta.early_best", last_path).item();
    early.bad = int64_t(npz_get(ck, "meta.early_bad", last_path).item());
    const Tensor rng = npz_get(ck, "meta.rng", last_path), spare = npz_get(ck, "meta.rng_spare", last_path);
    Generator::State st;
    for (int i = 0; i < 4; ++i) st.s[size_t(i)] = uint64_t(rng.data<int64_t>()[i]);
    st.spare = spare.at({0}), st.has_spare = spare.at({1}) != 0;
    default_generator().set_state(st);
    if (!o.quiet) std::printf("resuming after epoch %lld from %s\n", (long long)(start_epoch - 1), last_path.c_str());
  } else {
    std::ofstream(log_path, std::ios::trunc);
  }
  std::ofstream(o.out + "/config.json") << config_json(o, data, split).dump() << "\n";

  // ---- epochs ------------------------------------------------------------------------------------
  TrainResult result;
  double total_secs = 0;
  const bool tty = isatty(1);
  for (int64_t epoch = start_epoch; epoch <= o.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    net->train();
    train_loader.start_epoch(epoch);
    double loss_sum = 0;
    int64_t seen = 0, correct = 0, step = 0;
    Batch b;
    while (train_loader.next(&b)) {
      const Tensor logits = (*net)(b.images);
      const Tensor loss = cross_entropy(logits, b.labels, ce);
      opt->zero_grad();
      loss.backward();
      if (o.clip > 0) clip_grad_norm(net->parameters(), o.clip);
      opt->step();
      if (sched && o.scheduler == "onecycle") sched->step();
      const int64_t n = b.images.size(0);
      loss_sum += loss.item() * double(n);
      seen += n;
      const std::vector<double> pred = argmax(logits, 1).to_vector(), lab = b.labels.to_vector();
      for (size_t i = 0; i < pred.size(); ++i) correct += pred[i] == lab[i];
      ++step;
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!o.quiet && (tty || step == steps || step % std::max<int64_t>(1, steps / 4) == 0)) {
        const int width = 20, filled = int(width * step / std::max<int64_t>(steps, 1));
        std::printf("%sepoch %lld/%lld [%s%s] %lld/%lld  loss %.4f  acc %.1f%%  %.1f img/s  ETA %s%s", tty ? "\r" : "",
                    (long long)epoch, (long long)o.epochs, std::string(size_t(filled), '#').c_str(),
                    std::string(size_t(width - filled), '.').c_str(), (long long)step, (long long)steps,
                    loss_sum / double(seen), 100.0 * double(correct) / double(seen), double(seen) / el,
                    fmt_time(el / double(step) * double(steps - step + steps * (o.epochs - epoch))).c_str(),
                    tty ? "   " : "\n");
        std::fflush(stdout);
      }
    }
    if (tty && !o.quiet) std::printf("\n");
    const double train_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const Metrics val = evaluate(*net, val_loader);
    const double watched = metric_of(val, o.monitor);
    if (sched && o.scheduler == "plateau") sched->step(watched);
    else if (sched && o.scheduler != "onecycle") sched->step();
    const bool improved = early.update(watched);
    if (improved) best_epoch = epoch;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    total_secs += secs;
    Json line = Json::object();
    line.set("epoch", epoch);
    line.set("train_loss", seen ? loss_sum / double(seen) : 0.0);
    line.set("train_accuracy", seen ? double(correct) / double(seen) : 0.0);
    line.set("val_loss", val.log_loss);
    line.set("val_accuracy", val.accuracy);
    line.set("val_macro_f1", val.macro_f1);
    line.set("val_auc", val.auc_macro);
    line.set("lr", opt->groups()[0].lr);
    line.set("seconds", secs);
    line.set("images_per_s", double(seen) / train_secs);
    std::ofstream(log_path, std::ios::app) << line.dump() << "\n";
    save_checkpoint(last_path, epoch);
    if (improved) fs::copy_file(last_path, best_path, fs::copy_options::overwrite_existing);
    if (!o.quiet)
      std::printf("epoch %lld: val loss %.4f  acc %.1f%%  macro-F1 %.3f%s  (%.1fs)\n", (long long)epoch, val.log_loss,
                  100 * val.accuracy, val.macro_f1, improved ? "  * best" : "", secs);
    result.epochs_run++;
    if (o.stop_after > 0 && epoch >= o.stop_after && epoch < o.epochs) {
      if (!o.quiet) std::printf("stopping after epoch %lld as asked; continue with --resume\n", (long long)epoch);
      break;
    }
    if (early.should_stop()) {
      if (!o.quiet) std::printf("early stopping: no improvement in %s for %lld epochs\n", o.monitor.c_str(), (long long)o.patience);
      break;
    }
  }
  // ---- the best checkpoint on the held-out test split ----------------------------------------------
  net->load_state_dict(strip("model.", load_npz(best_path)));
  result.best_epoch = best_epoch;
  result.best_metric = early.best;
  result.seconds_per_epoch = result.epochs_run ? total_secs / double(result.epochs_run) : 0;
  if (!split.test.empty()) {
    DataLoader test_loader(data, split.test, eval_lo);
    result.test = evaluate(*net, test_loader);
    write_file_atomically(o.out + "/test_metrics.json", result.test.to_json() + "\n");
    if (!o.quiet)
      std::printf("test (best epoch %lld): accuracy %.1f%%, macro-F1 %.3f, top-5 %.1f%% on %lld images\n",
                  (long long)best_epoch, 100 * result.test.accuracy, result.test.macro_f1, 100 * result.test.top5,
                  (long long)result.test.n);
  }
  write_run_pictures(o.out, data.classes, split.test.empty() ? nullptr : &result.test);
  return result;
}

void write_run_pictures(const std::string& dir, const std::vector<std::string>& classes, const Metrics* test) {
  std::vector<Json> lines;
  {
    std::ifstream f(dir + "/log.jsonl");
    for (std::string l; std::getline(f, l);)
      if (!l.empty()) lines.push_back(Json::parse(l, dir + "/log.jsonl"));
  }
  Series tl{"train loss", {}, {}, palette(0)}, vl{"val loss", {}, {}, palette(1)};
  Series va{"val accuracy", {}, {}, palette(2)}, vf{"val macro-F1", {}, {}, palette(3)};
  for (const Json& l : lines) {
    const double e = l["epoch"].num();
    tl.x.push_back(e), tl.y.push_back(l["train_loss"].num());
    vl.x.push_back(e), vl.y.push_back(l["val_loss"].num());
    va.x.push_back(e), va.y.push_back(l["val_accuracy"].num());
    vf.x.push_back(e), vf.y.push_back(l["val_macro_f1"].num());
  }
  const Canvas loss = line_chart("loss", "epoch", "cross-entropy", {tl, vl}, 560, 360);
  const Canvas score = line_chart("validation", "epoch", "score", {va, vf}, 560, 360);
  Tensor both = concat({loss.image(), score.image()}, 2);
  save_png(dir + "/curves.png", both);
  if (!test) return;
  confusion_chart(test->confusion, classes).save(dir + "/confusion.png");
  std::vector<Series> roc;
  for (size_t c = 0; c < test->roc.size() && c < 10; ++c)
    if (!std::isnan(test->roc[c].auc)) {
      char name[96];
      std::snprintf(name, sizeof name, "%.20s (AUC %.3f)", classes[c].c_str(), test->roc[c].auc);
      roc.push_back({name, test->roc[c].fpr, test->roc[c].tpr, palette(c)});
    }
  roc.push_back({"chance", {0, 1}, {0, 1}, {0.7f, 0.7f, 0.7f}});
  line_chart("ROC (test, one-vs-rest)", "false positive rate", "true positive rate", roc, 560, 440).save(dir + "/roc.png");
}

Dataset run_dataset(const Run& run, std::vector<size_t>* test_indices, std::vector<size_t>* val_indices,
                    std::vector<size_t>* train_indices) {
  CsvOptions c;
  c.label_column = run.config.get("label_column", std::string("label"));
  c.path_template = run.config.get("path_template", std::string());
  for (const Json& w : run.config["where"].items()) {
    const std::string s = w.str();
    c.where.emplace_back(s.substr(0, s.find('=')), s.substr(s.find('=') + 1));
  }
  const uint64_t seed = uint64_t(run.config["seed"].num());
  Dataset data = limit_dataset(open_dataset(run.config["data"].str(), c), run.config["limit"].integer(), seed);
  const double val = run.config["val_ratio"].num(), test = run.config["test_ratio"].num();
  const Split split = stratified_split(data.labels(), 1 - val - test, val, seed);
  if (test_indices) *test_indices = split.test;
  if (val_indices) *val_indices = split.val;
  if (train_indices) *train_indices = split.train;
  return data;
}

Run load_run(const std::string& dir, const std::string& checkpoint) {
  Run r;
  r.config = Json::load(dir + "/config.json");
  for (const Json& c : r.config["classes"].items()) r.classes.push_back(c.str());
  r.net = create_net(r.config["model"].str(), int64_t(r.classes.size()));
  r.net->load_state_dict(strip("model.", load_npz(dir + "/" + checkpoint)));
  r.net->eval();
  r.pre.preset = r.config["preset"].str();
  r.pre.size = r.config["size"].integer();
  r.pre.pad = r.config["pad"].boolean();
  r.eval_aug = Augment::parse(r.config.get("eval_aug", std::string()));
  if (std::filesystem::exists(dir + "/calibration.json")) r.temperature = Json::load(dir + "/calibration.json")["temperature"].num();
  return r;
}

}  // namespace easel
