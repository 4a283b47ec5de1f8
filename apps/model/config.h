// TrainConfig: everything `easel train` needs, with one JSON form.
//
// The JSON keys are the flag names: `easel train --lr 1e-3 --reset-head`, a study's
// "train": {"lr": 1e-3, "reset-head": true} and the "train" section of a run's config.json are
// read by the same table (train_fields()), so a key means the same thing everywhere and is
// checked the same way. Values may be JSON numbers / booleans or their text (flags are text).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "io/json.h"
#include "io/transforms.h"

namespace easel {

struct TrainConfig {
  std::string data;  // ImageFolder folder or CSV manifest
  CsvOptions csv;
  double val_ratio = 0.15, test_ratio = 0.15;
  int64_t limit = 0;  // use at most this many images (stratified), 0 = all
  std::string model = "resnet18", weights;  // weights: a .npz, a checkpoint or a run directory (apps/train/weights.h)
  bool reset_head = false;  // the final Linear starts fresh even when the file's head fits
  int64_t epochs = 10, batch = 32;
  int64_t accumulate = 1;  // batches whose gradients add up before each optimizer step
  double warmup = 0;       // epochs over which every rate rises linearly to its schedule's value
  std::string optimizer = "adamw", scheduler = "none";
  double lr = 1e-3, label_smoothing = 0, clip = 0;
  double weight_decay = -1;  // -1 ("auto"): the optimizer's PyTorch default, 0.01 for adamw and 0 for the others
  double freeze = 0;      // fraction of weight layers (from the input side; per backbone) kept frozen
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
  std::string device = "cpu";  // where the net trains: cpu, cuda or cuda:N
  std::string dtype = "f32";   // f32, or f64: the reference precision (slow; for checking results)
  bool resume = false, quiet = false;
  bool overwrite = false;  // train into an --out that holds another run (its files are replaced)
  int64_t stop_after = 0;  // end this invocation after that epoch (a planned interruption; --resume goes on)
  // Data parallelism over the ranks of mpirun (tensor/comm.h): --batch is the global batch, split
  // between the ranks; rank 0 evaluates and writes the run. sync_bn: batch statistics over all ranks.
  bool distributed = false, sync_bn = false;
};

// One key of the JSON form (= one flag of `easel train`).
struct TrainField {
  enum class Kind { text, integer, number, flag };
  std::string key;
  Kind kind;
  std::string help;
  std::function<void(TrainConfig&, const Json&, const std::string& where)> set;
  std::function<Json(const TrainConfig&)> get;
};
const std::vector<TrainField>& train_fields();

// Reads the keys present over the defaults; an unknown key or a bad value is an error naming
// `where` and the key (`flag_style`: keys shown as --key, for the command line).
TrainConfig train_config_from_json(const Json& j, const std::string& where, bool flag_style = false);
Json train_config_to_json(const TrainConfig& c);  // every key, in train_fields() order

// --weight-decay as used: the value given, or PyTorch's default for the optimizer (AdamW 0.01, else 0).
double effective_weight_decay(const TrainConfig& c);

// What can be checked before any work: required keys, ranges, a known model, preset and monitor.
void validate(const TrainConfig& c, const std::string& where = "train");

}  // namespace easel
