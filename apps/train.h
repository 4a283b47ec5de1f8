// The training pipeline behind `easel train / eval / predict`: data, net, optimizer, scheduler,
// per-epoch validation, checkpoints (atomic, resumable), and the final test evaluation.
//
// A run directory holds: config.json (everything needed to rebuild the net and its inputs),
// log.jsonl (one JSON object per epoch), last.npz and best.npz (checkpoints: model, optimizer,
// scheduler, epoch, early-stopping and RNG state), test_metrics.json, and the pictures
// curves.png (losses, validation accuracy and macro-F1 per epoch), confusion.png and roc.png (test).
#pragma once
#include <string>
#include <vector>

#include "apps/args.h"
#include "apps/json.h"
#include "apps/metrics.h"
#include "io/dataset.h"
#include "io/loader.h"
#include "nets/net.h"

namespace easel {

struct TrainOptions {
  std::string data;  // ImageFolder folder or CSV manifest
  CsvOptions csv;
  double val_ratio = 0.15, test_ratio = 0.15;
  int64_t limit = 0;  // use at most this many images (stratified), 0 = all
  std::string model = "resnet18", weights;
  bool reset_head = false;  // re-initialise the final Linear after loading weights (needed when the class count differs)
  int64_t epochs = 10, batch = 32;
  std::string optimizer = "adamw", scheduler = "none";
  double lr = 1e-3, weight_decay = 0, label_smoothing = 0, clip = 0;
  double freeze = 0;      // fraction of weight layers (from the input side) kept frozen
  // Learning rate per weight-layer range (1-based) or parameter-name prefix:
  // "1-10:1e-2,11-16:1e-4" or "features:1e-4,classifier:1e-2" (later items win).
  std::string layer_lr;
  std::string reinit;     // "1-10,17-19": weight layers re-initialised before training
  bool class_weighted = false, smote = false;
  int64_t patience = 0;   // early stopping after this many epochs without improvement (0: off)
  std::string monitor = "macro_f1";  // validation metric for best checkpoint, plateau and early stopping
  Preprocess pre;
  Augment aug, eval_aug;
  std::string out;
  uint64_t seed = 0;
  int workers = 2;
  bool resume = false, quiet = false;
  int64_t stop_after = 0;  // end this invocation after that epoch (a planned interruption; --resume goes on)
};

struct TrainResult {
  int64_t best_epoch = 0, epochs_run = 0;
  double best_metric = 0;
  Metrics test;
  double seconds_per_epoch = 0;
};

TrainResult train(const TrainOptions& opt);

std::string fmt_time(double seconds);  // "1h02m", "3m05s", "42s": progress lines

// `easel train`'s flags (apps/cmd_train.cpp) and the options they describe; experiments reuse them.
extern const std::set<std::string> kTrainFlags, kTrainSwitches;
TrainOptions train_options(const Args& a);

// Weight layers in order (Conv2d, Linear, LSTM; a BatchNorm joins the layer before it): the unit
// of --freeze, --layer-lr and --reinit. Each entry lists its parameter names.
std::vector<std::vector<std::string>> weight_layers(const Module& net);

// A trained run, ready for inference.
struct Run {
  Json config;
  std::shared_ptr<Net> net;
  std::vector<std::string> classes;
  Preprocess pre;
  Augment eval_aug;
  double temperature = 1;  // from calibration.json when `easel calibrate` has run
};
Run load_run(const std::string& dir, const std::string& checkpoint = "best.npz");

// curves.png from a run's log.jsonl; confusion.png and roc.png from test metrics.
void write_run_pictures(const std::string& dir, const std::vector<std::string>& classes, const Metrics* test);

// Everything a trained net says about a set of images (eval mode, no grad).
struct Outputs {
  Tensor embeddings;                        // [N, D]: the input of the final Linear, or the chosen layer's output
  std::vector<std::vector<double>> logits;  // rows of the final layer's output
  std::vector<std::vector<double>> probs;   // softmax rows
  std::vector<int64_t> labels;
  std::vector<size_t> indices;              // into the dataset
};
// `layer`: take the embeddings from that module's output instead (global-average-pooled when it
// is a [N, C, h, w] map, flattened otherwise).
Outputs collect_outputs(Net& net, DataLoader& loader, const std::string& layer = "");

// The dataset a run was trained on, and its test / validation / training indices (as `train` split it).
Dataset run_dataset(const Run& run, std::vector<size_t>* test_indices, std::vector<size_t>* val_indices = nullptr,
                    std::vector<size_t>* train_indices = nullptr);

// Class probabilities for every image the loader yields (eval mode, no grad).
Metrics evaluate(Net& net, DataLoader& loader, std::vector<std::vector<double>>* probs = nullptr,
                 std::vector<int64_t>* labels = nullptr, std::vector<size_t>* indices = nullptr);

}  // namespace easel
