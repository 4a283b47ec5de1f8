// A model file: one .npz holding everything inference needs. `easel export` writes it; predict,
// serve and the inference commands taking --run (eval, gradcam, features, outliers, ...) read it.
//
// Its arrays are the net's state_dict under PyTorch's names (torchvision loads them strictly once
// the metadata array is left out). One more array, "easel_metadata" (u1, io/checkpoint.h), holds:
//   {"format": "easel-model", "version": 1, "id": "resnet18-9f2c01ab",   id: architecture + weights hash
//    "model": "resnet18", "classes": [...], "num_classes": 2,
//    "input": {"size": 224, "resize": "...", "pad": false, "preset": "imagenet", "normalization": "...",
//              "grayscale": false, "eval_aug": ""},
//    "temperature": 1,                     from `easel calibrate`, applied to the logits
//    "train": {...},                       the run's TrainConfig (how it was trained; the same keys as config.json)
//    "source": {"run": "/abs/run", "checkpoint": "best.npz"}}   or {"weights": "/abs/W.npz"} (export --model)
// From Python: json.loads(bytes(np.load("model.npz")["easel_metadata"])).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "apps/model/config.h"
#include "io/json.h"
#include "nets/net.h"

namespace easel {

// 2: batch norms folded into the convolutions (export --fold-bn); files without are written as 1.
constexpr int64_t kModelFileVersion = 2;

// A trained model, ready for inference: a run directory (apps/train/run.h) or a model file.
struct Run {
  TrainConfig train;  // how it was trained
  std::shared_ptr<Net> net;
  std::vector<std::string> classes;
  Preprocess pre;          // = train.pre
  Augment eval_aug;        // = train.eval_aug
  double temperature = 1;  // from calibration.json when `easel calibrate` has run
  std::string model_id;    // a model file's id (apps/model/model_file.h); "" for a run directory
  std::vector<std::string> folded_batch_norms;  // their paths, after export --fold-bn (inference only)
};

// A decoded image [3, H, W] as `run`'s net sees it [3, S, S]: its preprocessing, and its --eval-aug
// drawn from `seed` (predict, serve and the C API all use seed 0, so they see the same input).
Tensor model_input(const Run& run, const Tensor& image, uint64_t seed = 0);

// The metadata above for `run` (its net's current weights give the id).
Json model_metadata(const Run& run, const std::string& source_run, const std::string& checkpoint);
// Writes `run`'s net (its current weights) and metadata to `path`, atomically; returns the metadata.
// An empty `checkpoint`: `source_run` names the weights file the net was loaded from, not a run.
Json save_model_file(const std::string& path, const Run& run, const std::string& source_run,
                     const std::string& checkpoint);

// export --fold-bn: `run`'s batch norms folded into their convolutions (layers/surgery.h), checked on
// the logits of two random images, which may move by f32 round-off only (else an error, the net
// unchanged is not promised). Returns what was done, in words.
std::string fold_batch_norms_checked(Run& run);

bool is_model_file(const std::string& path);            // a regular .npz file with the metadata array
Json read_model_metadata(const std::string& path);      // errors name the file and the key
// Eval mode; `metadata`, when given, receives the metadata the net was built from.
Run load_model_file(const std::string& path, const Device& device = Device::cpu(), Json* metadata = nullptr);

}  // namespace easel
