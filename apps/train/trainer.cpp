#include "apps/train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "apps/train/inference.h"
#include "apps/train/run.h"
#include "apps/train/weights.h"
#include "autograd/node.h"
#include "io/checkpoint.h"
#include "io/file.h"
#include "io/image.h"
#include "io/loader.h"
#include "io/npz.h"
#include "layers/basic.h"
#include "layers/surgery.h"
#include "optim/data_parallel.h"
#include "optim/scheduler.h"
#include "tensor/comm.h"
#include "tensor/parallel.h"
#include "tensor/random.h"

namespace fs = std::filesystem;

namespace easel {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// ---- data --------------------------------------------------------------------------------------------

struct TrainData {
  Dataset data;
  Split split;
  std::vector<size_t> train;  // split.train plus any SMOTE images
  int64_t classes = 0;
};

// SMOTE: synthetic training images between same-class neighbours, written as PNGs into the run.
void add_smote_images(const TrainConfig& o, TrainData& d) {
  const std::string dir = o.out + "/smote";
  fs::create_directories(dir);
  std::vector<Tensor> rows;
  std::vector<int64_t> labels;
  const int64_t s = o.pre.size;
  for (size_t i : d.split.train) {
    Generator g(0);
    rows.push_back(denormalize(prepare_image(load_image(d.data.samples[i].path), o.pre, nullptr, g), o.pre.preset).reshape({1, -1}));
    labels.push_back(d.data.samples[i].label);
  }
  const Smoted sm = smote(concat(rows, 0), labels, 5, o.seed);
  for (int64_t r = int64_t(rows.size()); r < int64_t(sm.labels.size()); ++r) {
    const std::string p = dir + "/" + std::to_string(r) + ".png";
    save_png(p, sm.features.select(0, r).reshape({3, s, s}));
    d.data.samples.push_back({p, sm.labels[size_t(r)], {}});
    d.train.push_back(d.data.samples.size() - 1);
  }
  if (!o.quiet) std::printf("SMOTE: %zu synthetic training images added\n", sm.labels.size() - rows.size());
}

TrainData load_train_data(const TrainConfig& o) {
  TrainData d;
  d.data = limit_dataset(open_dataset(o.data, o.csv), o.limit, o.seed);
  d.classes = int64_t(d.data.classes.size());
  EASEL_CHECK(d.classes >= 2, o.data, ": need at least 2 classes, found ", d.classes);
  d.split = run_split(o, d.data);
  EASEL_CHECK(!d.split.train.empty() && !d.split.val.empty(), "train: the split left no training or no validation images (",
              d.data.samples.size(), " images, val ", o.val_ratio, ", test ", o.test_ratio, ")");
  if (!o.quiet) std::printf("%s", d.data.summary().c_str());
  std::vector<int64_t> in_test(size_t(d.classes), 0);
  for (size_t i : d.split.test) in_test[size_t(d.data.samples[i].label)]++;
  for (int64_t c = 0; c < d.classes && !d.split.test.empty(); ++c)
    if (!in_test[size_t(c)])
      std::fprintf(stderr, "warning: class '%s' has too few images (%lld) to appear in the test split: its test metrics "
                   "and the macro AUC are undefined\n", d.data.classes[size_t(c)].c_str(),
                   (long long)d.data.class_counts()[size_t(c)]);
  d.train = d.split.train;
  if (o.smote) add_smote_images(o, d);
  if (!o.quiet)
    std::printf("split: %zu train, %zu validation, %zu test (seed %llu)\n", d.train.size(), d.split.val.size(),
                d.split.test.size(), (unsigned long long)o.seed);
  return d;
}

LoaderOptions loader_options(const TrainConfig& o, bool training) {
  LoaderOptions lo;
  lo.batch = o.batch, lo.workers = o.workers, lo.seed = o.seed, lo.pre = o.pre;
  lo.shuffle = training, lo.augment = training || o.eval_aug.any();
  lo.aug = training ? o.aug : o.eval_aug;
  if (training) lo.shard = world().rank(), lo.shards = world().size();  // each rank its part of every batch
  return lo;
}

// ---- the net and what trains ---------------------------------------------------------------------------

std::shared_ptr<Net> build_net(const TrainConfig& o, int64_t classes) {
  auto net = create_net(o.model, classes);
  if (!o.weights.empty()) {
    const std::string account = load_starting_weights(*net, read_starting_weights(o.weights, o.model), o.reset_head);
    if (!o.quiet) std::printf("%s\n", account.c_str());
  }
  reinit_layers(*net, o.reinit);
  return net;
}

// One parameter group per learning rate (--lr, or --layer-lr's value for the layers it names).
// The group of the base --lr comes first (the log's "lr"), then the others in the net's order.
std::unique_ptr<Optimizer> build_optimizer(const TrainConfig& o, const Net& net) {
  auto opt = make_optimizer(o.optimizer);
  std::vector<ParamGroup> groups(1);
  std::map<double, size_t> index = {{o.lr, 0}};
  const std::map<std::string, double> lr = layer_learning_rates(net, o.layer_lr, o.lr);
  for (const auto& [name, p] : net.named_parameters()) {
    if (!p.requires_grad()) continue;
    const double rate = lr.at(name);
    if (!index.count(rate)) index[rate] = groups.size(), groups.emplace_back();
    ParamGroup& g = groups[index[rate]];
    g.lr = rate, g.weight_decay = o.weight_decay;
    g.names.push_back(name), g.params.push_back(p);
  }
  for (ParamGroup& g : groups)
    if (!g.params.empty()) opt->add_group(g);
  EASEL_CHECK(!opt->groups().empty(), "train: every parameter is frozen (--freeze ", o.freeze, "); nothing would train");
  return opt;
}

void print_model_summary(const TrainConfig& o, const Net& net, int64_t frozen, const Optimizer& opt) {
  if (o.quiet) return;
  int64_t trainable = 0;
  for (const Tensor& p : net.parameters()) trainable += p.requires_grad() ? p.numel() : 0;
  std::printf("model: %s, %lld parameters (%lld trainable, %lld of %lld weight layers frozen), %zu lr group(s)\n",
              o.model.c_str(), (long long)net.num_parameters(), (long long)trainable, (long long)frozen,
              (long long)weight_layers(net).size(), opt.groups().size());
}

double metric_of(const Metrics& m, const std::string& name) {
  if (name == "macro_f1") return m.macro_f1;
  if (name == "accuracy") return m.accuracy;
  if (name == "weighted_f1") return m.weighted_f1;
  if (name == "auc") return m.auc_macro;
  if (name == "loss") return -m.log_loss;  // larger is better everywhere
  throw Error("unknown --monitor '" + name + "' (macro_f1, accuracy, weighted_f1, auc, loss)");
}

// ---- the loop's state and its checkpoints ------------------------------------------------------------

struct Trainer {
  const TrainConfig& o;
  std::shared_ptr<Net> net;
  std::unique_ptr<Optimizer> opt;
  std::unique_ptr<Scheduler> sched;
  EarlyStopping early;
  CrossEntropyOptions ce;
  int64_t best_epoch = 0, steps = 0;  // steps: batches per epoch
  int64_t updates = 0;                  // optimizer steps per epoch: ceil(steps / --accumulate)
  Device device = Device::cpu();  // the net's; batches are moved there, files stay on the host
  DType dtype = DType::f32;       // the net's and the batches' (--dtype)
  std::vector<Tensor> trainable;  // what all_reduce_gradients sums in a distributed run
};

void save_state(const Trainer& t, const std::string& path, int64_t epoch) {
  Checkpoint ck;
  ck.model = t.net->state_dict();
  ck.optimizer = t.opt->state_dict();
  if (t.sched) ck.scheduler = t.sched->state_dict();
  ck.rng = default_generator().state();
  ck.meta = {{"epoch", double(epoch)}, {"best_epoch", double(t.best_epoch)}, {"early_best", t.early.best},
             {"early_bad", double(t.early.bad)}};
  save_checkpoint(path, ck);
}

// A kill between a log line and its checkpoint leaves the log one epoch ahead: drop what the
// checkpoint does not hold.
void trim_log(const std::string& log, int64_t last_epoch) {
  if (!fs::exists(log)) return;
  std::string kept, text = read_file(log);
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string line = text.substr(at, end - at);
    if (!line.empty() && Json::parse(line, log)["epoch"].integer() <= last_epoch) kept += line + "\n";
    at = end + 1;
  }
  write_file_atomically(log, kept);
}

// Rank 0 reads the file and every rank parses its bytes: the other ranks need no access to the run.
int64_t restore_state(Trainer& t, const std::string& path) {  // returns the epoch the file ended
  std::string bytes;
  if (world().rank() == 0) {
    EASEL_CHECK(fs::exists(path), "train --resume: no checkpoint at ", path);
    bytes = read_file(path);
  }
  broadcast(bytes);
  const Checkpoint ck = parse_checkpoint(bytes, path);
  t.net->load_state_dict(ck.model);
  t.opt->load_state_dict(ck.optimizer);
  if (t.sched) t.sched->load_state_dict(ck.scheduler);
  default_generator().set_state(ck.rng);
  t.best_epoch = int64_t(ck.meta_value("best_epoch", path));
  t.early.best = ck.meta_value("early_best", path);
  t.early.bad = int64_t(ck.meta_value("early_bad", path));
  return int64_t(ck.meta_value("epoch", path));
}

// ---- one epoch -------------------------------------------------------------------------------------------

// Training that produced a NaN / Inf stops at once: nothing non-finite is logged or checkpointed.
[[noreturn]] void diverged(const TrainConfig& o, int64_t epoch, int64_t batch, const char* what, double value) {
  const std::string last = o.out + "/last.npz", best = o.out + "/best.npz";
  std::string kept = "no checkpoint was written yet";
  if (fs::exists(best)) kept = "the best finite model is in " + best + ", the last finite epoch in " + last;
  std::ostringstream msg;
  msg << "training diverged: the " << what << " is " << (std::isnan(value) ? "NaN" : "infinite") << " at epoch " << epoch;
  if (batch > 0) msg << ", batch " << batch;
  msg << " (--lr " << o.lr << "); " << kept << ". Try a lower --lr or --clip 1";
  throw Error(msg.str());
}

struct EpochStats {
  double loss_sum = 0, seconds = 0, comm_seconds = 0;  // comm: summing gradients over the ranks
  int64_t seen = 0, correct = 0;                        // over all ranks
};

void print_progress(const TrainConfig& o, int64_t epoch, int64_t step, int64_t steps, const EpochStats& s, double elapsed) {
  const bool tty = isatty(1);
  if (o.quiet || !(tty || step == steps || step % std::max<int64_t>(1, steps / 4) == 0)) return;
  const int width = 20, filled = int(width * step / std::max<int64_t>(steps, 1));
  const double eta = elapsed / double(step) * double(steps - step + steps * (o.epochs - epoch));
  std::printf("%sepoch %lld/%lld [%s%s] %lld/%lld  loss %.4f  acc %.1f%%  %.1f img/s  ETA %s%s", tty ? "\r" : "",
              (long long)epoch, (long long)o.epochs, std::string(size_t(filled), '#').c_str(),
              std::string(size_t(width - filled), '.').c_str(), (long long)step, (long long)steps, s.loss_sum / double(s.seen),
              100.0 * double(s.correct) / double(s.seen), double(s.seen) / elapsed, fmt_time(eta).c_str(), tty ? "   " : "\n");
  if (tty && step == steps) std::printf("\n");
  std::fflush(stdout);
}

// The weight of a batch in the global mean: cross_entropy divides by Σ class weight of the targets
// (the image count without class weights).
double loss_weight(const Batch& b, const CrossEntropyOptions& ce) {
  if (!b.labels.defined()) return 0;
  if (!ce.weight.defined()) return double(b.labels.numel());
  double w = 0;
  for (double label : b.labels.to_vector()) w += ce.weight.at({int64_t(label)});
  return w;
}

// The warm-up factor of optimizer step u (0-based, counted over the whole run): linear from
// 1/(W·U) to 1 over W epochs of U updates each, then 1; it scales the rates the schedule sets.
double warmup_factor(const Trainer& t, int64_t u) {
  const double ramp = t.o.warmup * double(t.updates);
  return ramp > 0 ? std::min(1.0, double(u + 1) / ramp) : 1.0;
}

// One optimizer step on the gradients summed so far: over the ranks, clipped, at the rates the
// schedule sets (times the warm-up factor, for this step only).
void update(Trainer& t, EpochStats& s, int64_t u) {
  s.comm_seconds += all_reduce_gradients(t.trainable);  // the sum over the ranks
  if (t.o.clip > 0) clip_grad_norm(t.net->parameters(), t.o.clip);
  const double f = warmup_factor(t, u);
  std::vector<double> scheduled;
  for (ParamGroup& g : t.opt->groups()) scheduled.push_back(g.lr), g.lr *= f;
  t.opt->step();
  for (size_t k = 0; k < scheduled.size(); ++k) t.opt->groups()[k].lr = scheduled[k];
  if (t.sched && t.sched->cadence() == Scheduler::Cadence::per_batch) t.sched->step();
}

// One epoch. In a distributed run each rank holds its part of every global batch; the loss is the
// global batch's mean, L = Σ_r (w_r/W)·L_r (w_r: rank r's loss weight, W = Σ w_r), so each rank
// backpropagates its own mean scaled by w_r/W and the gradients are summed over the ranks. With
// --accumulate K the gradients of K batches add up, each scaled by 1/K (1/k for a last window of
// k < K batches), before one optimizer step: the mean over the K batches.
EpochStats train_epoch(Trainer& t, DataLoader& loader, int64_t epoch) {
  const auto t0 = Clock::now();
  const bool spread = world().size() > 1;
  const int64_t K = t.o.accumulate;
  t.net->train();
  loader.start_epoch(epoch);
  EpochStats s;
  int64_t step = 0;
  bool pending = false;  // gradients added since the last update
  // The window of batches `step` belongs to: its size, and whether `step` closes it (an update).
  auto window = [&](int64_t b) { return std::min(K, t.steps - (b - b % K)); };
  auto closes = [&](int64_t b) { return b % K + 1 == window(b) || b + 1 == t.steps; };
  auto update_index = [&](int64_t b) { return (epoch - 1) * t.updates + b / K; };
  for (Batch b; loader.next(&b);) {
    const bool here = b.images.defined();  // every image of this rank's part may have been unreadable
    if (step % K == 0) t.opt->zero_grad();  // forget the last update's gradients
    if (spread) {  // every rank takes this step, or none does (synchronised batch norm needs them all)
      const double with_images = all_reduce_sum(here ? 1.0 : 0.0);
      if (with_images == 0 || (t.o.sync_bn && with_images < world().size())) {
        if (world().rank() == 0) std::fprintf(stderr, "warning: step %lld of epoch %lld skipped: a rank has no readable image in its "
                                     "part of the batch\n", (long long)(step + 1), (long long)epoch);
        if (closes(step) && pending) update(t, s, update_index(step)), pending = false;  // the window's other batches

        ++step;
        continue;
      }
    }
    Tensor logits, loss;
    double part[4] = {0, 0, 0, 0};  // loss weight, images, correct, weighted loss
    if (here) {
      logits = (*t.net)(b.images.to(t.device).to(t.dtype));  // forward
      loss = cross_entropy(logits, b.labels, t.ce);   // loss: this rank's mean
      const std::vector<double> pred = argmax(logits, 1).to_vector(), lab = b.labels.to_vector();
      part[0] = loss_weight(b, t.ce), part[1] = double(lab.size()), part[3] = loss.item() * part[0];
      for (size_t i = 0; i < pred.size(); ++i) part[2] += pred[i] == lab[i];
    }
    world().all_reduce_sum(part, 4);
    const double global_loss = part[3] / part[0];
    if (!std::isfinite(global_loss)) diverged(t.o, epoch, step + 1, "training loss", global_loss);
    if (here) {  // every parameter's .grad
      const double share = (spread ? loss_weight(b, t.ce) / part[0] : 1.0) / double(window(step));
      (share != 1.0 ? loss * share : loss).backward();
    }
    pending = true;
    if (closes(step)) update(t, s, update_index(step)), pending = false;

    s.loss_sum += global_loss * part[1];
    s.seen += int64_t(part[1]);
    s.correct += int64_t(part[2]);
    print_progress(t.o, epoch, ++step, t.steps, s, since(t0));
  }
  // A batch the loader dropped (every image unreadable) can leave the last window open.
  if (pending) update(t, s, update_index(step - 1));
  s.seconds = since(t0);
  return s;
}

// "lr" is the first group's rate (the base --lr without --layer-lr); with several groups "lr_groups"
// gives each group's current rate and the parameter prefix it starts with.
Json epoch_line(int64_t epoch, const EpochStats& s, const Metrics& val, const Optimizer& opt, double seconds) {
  const double n = double(std::max<int64_t>(s.seen, 1));
  Json line = Json::object({{"epoch", epoch}, {"train_loss", s.loss_sum / n}, {"train_accuracy", double(s.correct) / n},
                            {"val_loss", val.log_loss}, {"val_accuracy", val.accuracy}, {"val_macro_f1", val.macro_f1},
                            {"val_auc", val.auc_macro}, {"lr", opt.groups()[0].lr}, {"seconds", seconds},
                            {"images_per_s", double(s.seen) / s.seconds}});
  if (opt.groups().size() > 1) {
    Json groups = Json::array();
    for (const ParamGroup& g : opt.groups())
      groups.push(Json::object({{"first", g.names.empty() ? std::string() : g.names[0]},
                                {"parameters", int64_t(g.names.size())}, {"lr", g.lr}}));
    line.set("lr_groups", groups);
  }
  if (world().size() > 1) line.set("ranks", int64_t(world().size())), line.set("comm_seconds", s.comm_seconds);
  return line;
}

// The best checkpoint on the held-out test split: test_metrics.json and the run's pictures.
void evaluate_best(const TrainConfig& o, Trainer& t, const TrainData& d, TrainResult& result) {
  t.net->load_state_dict(load_model_weights(o.out + "/best.npz"));
  if (!d.split.test.empty()) {
    DataLoader test_loader(d.data, d.split.test, loader_options(o, false));
    result.test = evaluate(*t.net, test_loader);
    write_file_atomically(o.out + "/test_metrics.json", result.test.to_json() + "\n");
  }
  if (!o.quiet && !d.split.test.empty()) {
    char top5[32] = "";  // top-5 means something with more than 5 classes only
    if (d.classes > 5) std::snprintf(top5, sizeof top5, ", top-5 %.1f%%", 100 * result.test.top5);
    std::printf("test (best epoch %lld): accuracy %.1f%%, macro-F1 %.3f%s on %lld images\n", (long long)t.best_epoch,
                100 * result.test.accuracy, result.test.macro_f1, top5, (long long)result.test.n);
  }
  write_run_pictures(o.out, d.data.classes, d.split.test.empty() ? nullptr : &result.test);
}

// ---- distributed runs --------------------------------------------------------------------------------

// What every rank must agree on, a line each; rank 0's is sent to all and compared line by line.
std::string run_fingerprint(const TrainConfig& o, const TrainData& d, const Net& net) {
  std::ostringstream f;
  const std::set<std::string> per_rank = {"data", "out", "workers", "quiet", "device"};
  const Json settings = train_config_to_json(o);  // kept: members() refers into it
  for (const auto& [key, value] : settings.members())
    if (!per_rank.count(key)) f << "--" << key << " " << (value.kind() == Json::Kind::string ? value.str() : value.dump()) << "\n";
  f << "parameter count " << net.num_parameters() << "\nimage count " << d.data.samples.size() << "\nclasses "
    << d.data.classes.size() << "\nsplit " << d.train.size() << " train, " << d.split.val.size() << " validation, "
    << d.split.test.size() << " test\n";
  return f.str();
}

void check_same_run(const TrainConfig& o, const TrainData& d, const Net& net) {
  const std::string mine = run_fingerprint(o, d, net);
  std::string first = mine;
  broadcast(first);
  std::istringstream a(mine), b(first);
  for (std::string la, lb; std::getline(a, la) && std::getline(b, lb);)
    EASEL_CHECK(la == lb, "train --distributed: rank ", world().rank(), " is not set up as rank 0 is: '", la,
                "' here, '", lb, "' on rank 0. Give every rank the same flags and the same data set");
  EASEL_CHECK(first == mine, "train --distributed: rank ", world().rank(), " is not set up as rank 0 is");
}

// With --distributed and --device cuda, each rank of a machine takes its own GPU (cuda:local rank).
Device rank_device(const TrainConfig& o) {
  const Device d = parse_device(o.device);
  if (!o.distributed || !d.is_cuda() || o.device != "cuda") return d;
  return Device::cuda(world().local_rank());
}

// GPU ranks sum gradients GPU to GPU when every rank is on a GPU and can open NCCL; otherwise
// through the host (MPI). Every rank must take the same way, so they count first.
void use_nccl_if_everyone_can(const TrainConfig& o, Device device) {
  const bool can = device.is_cuda() && cuda::nccl_usable();
  const double able = all_reduce_sum(can ? 1.0 : 0.0);
  if (able == world().size()) {
    set_device_comm(cuda::open_nccl(device.index, world().rank(), world().size(),
                                    [](void* bytes, int64_t n) { world().broadcast(bytes, n, 0); }));
    if (!o.quiet) std::printf("distributed: gradients summed GPU to GPU (%s)\n", cuda::nccl_status().c_str());
  } else if (able > 0 && !o.quiet) {
    std::printf("distributed: gradients summed through the host (NCCL not usable on %d of %d ranks)\n",
                world().size() - int(able), world().size());
  }
}

}  // namespace

std::string fmt_time(double s) {
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", int(s / 3600), int(s / 60) % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s / 60), int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%.0fs", s);
  return buf;
}

// --out must be new, or the run to --resume, or given up with --overwrite; files a killed write
// left half-made (*.tmp.<pid>) are removed.
void prepare_out_folder(const TrainConfig& o) {
  if (fs::exists(o.out + "/config.json") && !o.resume && !o.overwrite)
    throw Error(o.out + " already holds a run (config.json): continue it with --resume, replace it with --overwrite, "
                "or choose another --out");
  fs::create_directories(o.out);
  for (const auto& e : fs::directory_iterator(o.out))
    if (e.is_regular_file() && e.path().filename().string().find(".tmp.") != std::string::npos) fs::remove(e.path());
}

TrainResult train(const TrainConfig& config) {
  validate(config);
  const int rank = world().rank(), ranks = world().size();
  TrainConfig o = config;
  o.quiet = o.quiet || rank != 0;  // rank 0 alone reports, evaluates and writes the run
  if (o.resume && o.weight_decay < 0) {  // "auto" goes on with the value the run recorded (defaults change)
    double recorded = -1;
    if (rank == 0 && fs::exists(o.out + "/config.json")) recorded = read_run_config(o.out, nullptr).weight_decay;
    world().broadcast(&recorded, sizeof recorded, 0);
    o.weight_decay = recorded;
  }
  o.weight_decay = effective_weight_decay(o);  // config.json records the value used
  if (rank == 0) prepare_out_folder(o);
  manual_seed(o.seed);
  const TrainData d = load_train_data(o);
  LoaderOptions train_lo = loader_options(o, true);
  train_lo.drop_last = int64_t(d.train.size()) > o.batch;
  DataLoader train_loader(d.data, d.train, train_lo), val_loader(d.data, d.split.val, loader_options(o, false));

  Trainer t{o, build_net(o, d.classes), nullptr, nullptr, EarlyStopping(o.patience > 0 ? o.patience : o.epochs + 1), {}};
  const int64_t frozen = freeze_first_layers(*t.net, o.freeze, t.net->backbone_paths);
  if (ranks > 1) {
    check_same_run(o, d, *t.net);
    EASEL_CHECK(o.batch >= ranks && int64_t(d.train.size()) >= ranks, "train --distributed: ", ranks, " ranks need a --batch "
                "and a training split of at least ", ranks, " images each (each rank takes a part of every batch); got --batch ",
                o.batch, " and ", d.train.size(), " training images");
    NamedTensors state = t.net->state_dict();
    broadcast_tensors(state);  // every rank starts from rank 0's weights
    if (o.sync_bn)
      for (auto& [name, m] : t.net->named_modules())
        if (auto* bn = dynamic_cast<BatchNorm*>(m)) bn->sync = true;
  }
  t.device = rank_device(o);
  t.dtype = o.dtype == "f64" ? DType::f64 : DType::f32;
  t.net->to(t.device);
  t.net->to(t.dtype);
  t.opt = build_optimizer(o, *t.net);
  for (const Tensor& p : t.net->parameters())
    if (p.requires_grad()) t.trainable.push_back(p);
  if (ranks > 1) use_nccl_if_everyone_can(o, t.device);
  t.steps = train_loader.batches_per_epoch();
  t.updates = (t.steps + o.accumulate - 1) / o.accumulate;
  t.sched = make_scheduler(o.scheduler, *t.opt, o.epochs, t.updates);
  t.ce.label_smoothing = o.label_smoothing;
  if (o.class_weighted) {
    std::vector<int64_t> labels;
    for (size_t i : d.train) labels.push_back(d.data.samples[i].label);
    t.ce.weight = Tensor::from(class_weights(labels, d.classes), {d.classes});
  }
  print_model_summary(o, *t.net, frozen, *t.opt);
  if (!o.quiet && ranks > 1)
    std::printf("distributed: %d ranks (MPI), %lld images per rank and step, %d threads per rank%s\n", ranks,
                (long long)((o.batch + ranks - 1) / ranks), num_threads(), o.sync_bn ? ", synchronised batch norm" : "");

  const std::string last = o.out + "/last.npz", best = o.out + "/best.npz", log = o.out + "/log.jsonl";
  int64_t start = 1;
  if (o.resume) {
    start = restore_state(t, last) + 1;
    if (rank == 0) trim_log(log, start - 1);
    if (!o.quiet) std::printf("resuming after epoch %lld from %s\n", (long long)(start - 1), last.c_str());
  } else if (rank == 0) {
    write_file_atomically(log, "");
  }
  if (rank == 0) write_run_config(o.out, o, d.data, d.split);

  TrainResult result;
  double total_secs = 0;
  for (int64_t epoch = start; epoch <= o.epochs; ++epoch) {
    const auto t0 = Clock::now();
    const EpochStats s = train_epoch(t, train_loader, epoch);
    Metrics val;
    double judged[2] = {0, 0};  // validation loss, the monitored metric: rank 0's, sent to all
    if (rank == 0) val = evaluate(*t.net, val_loader), judged[0] = val.log_loss, judged[1] = metric_of(val, o.monitor);
    world().broadcast(judged, sizeof judged, 0);
    if (!std::isfinite(judged[0])) diverged(o, epoch, 0, "validation loss", judged[0]);
    const double watched = judged[1];
    if (t.sched && t.sched->cadence() == Scheduler::Cadence::per_epoch) t.sched->step(watched);
    const bool improved = t.early.update(watched);
    if (improved) t.best_epoch = epoch;
    const double secs = since(t0);
    total_secs += secs;
    if (rank == 0) {
      Json line = epoch_line(epoch, s, val, *t.opt, secs);
      if (o.warmup > 0) line.set("warmup", warmup_factor(t, epoch * t.updates - 1));  // at the epoch's last update
      append_line_atomically(log, line.dump());
      // best.npz before last.npz: a kill between the two leaves last.npz an epoch behind, so --resume
      // redoes that epoch; the other order could leave a best epoch recorded with no best.npz.
      if (improved) save_state(t, best, epoch);
      if (improved) copy_file_atomically(best, last);
      else save_state(t, last, epoch);
    }
    if (!o.quiet)
      std::printf("epoch %lld: val loss %.4f  acc %.1f%%  macro-F1 %.3f%s  (%.1fs%s)\n", (long long)epoch, val.log_loss,
                  100 * val.accuracy, val.macro_f1, improved ? "  * best" : "", secs,
                  ranks > 1 ? (", " + std::to_string(int(100 * s.comm_seconds / s.seconds + 0.5)) +
                               "% of training time summing gradients").c_str() : "");
    result.epochs_run++;
    if (o.stop_after > 0 && epoch >= o.stop_after && epoch < o.epochs) {
      if (!o.quiet) std::printf("stopping after epoch %lld as asked; continue with --resume\n", (long long)epoch);
      break;
    }
    if (t.early.should_stop()) {
      if (!o.quiet) std::printf("early stopping: no improvement in %s for %lld epochs\n", o.monitor.c_str(), (long long)o.patience);
      break;
    }
  }
  result.best_epoch = t.best_epoch;
  result.best_metric = t.early.best;
  result.seconds_per_epoch = result.epochs_run ? total_secs / double(result.epochs_run) : 0;
  if (rank == 0) evaluate_best(o, t, d, result);
  world().barrier();  // the other ranks wait for the test evaluation: a failure there ends them too
  return result;
}

}  // namespace easel
