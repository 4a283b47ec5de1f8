// A run directory, as `easel train` leaves it:
//   config.json        {"format": "easel-run", "version": 2, "train": <TrainConfig's JSON form>,
//                       "classes": [...], "num_classes", "train_size", "val_size", "test_size"}
//   log.jsonl          one JSON object per epoch
//   last.npz, best.npz checkpoints (io/checkpoint.h)
//   test_metrics.json, curves.png, confusion.png, roc.png
// Version-1 config.json files (flat keys, before the format had a number) still load.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "apps/analysis/metrics.h"
#include "apps/model/model_file.h"
#include "io/dataset.h"
#include "io/loader.h"
#include "nets/net.h"

namespace easel {

constexpr int64_t kRunConfigVersion = 2;

// The net in eval mode on `device` (files stay on the host; collect_outputs moves batches to the net).
// `dir` may also be a model file (`easel export`'s .npz): its metadata stands for config.json.
Run load_run(const std::string& dir, const std::string& checkpoint = "best.npz", const Device& device = Device::cpu());
// For the commands that read or write a run's own files (calibrate, report, branches): a model
// file is refused by name.
void require_run_directory(const std::string& path, const std::string& command);

// Every image a command reads for inference goes through the run's preprocessing and its --eval-aug
// (noise / blur at evaluation: the robustness protocol), so predict, eval, features, outliers,
// calibrate, gradcam, featuremaps, branches and the report see the same inputs.
// A command's own --eval-aug replaces the run's: parse_eval_aug("none") is clean images.
Augment parse_eval_aug(const std::string& spec);
LoaderOptions inference_loader_options(const Run& run, int64_t batch = 32, int workers = 2);
Tensor inference_input(const Run& run, const std::string& image_path, uint64_t seed = 0);  // [1, 3, S, S]

// config.json: written once the data set is split, read back by load_run.
void write_run_config(const std::string& dir, const TrainConfig& c, const Dataset& d, const Split& split);
TrainConfig read_run_config(const std::string& dir, std::vector<std::string>* classes);

// --limit: a stratified subsample of at most `limit` images (0: all), the same for a given seed.
Dataset limit_dataset(Dataset data, int64_t limit, uint64_t seed);
// The train / validation / test split of a run's configuration.
Split run_split(const TrainConfig& c, const Dataset& data);
// The dataset a run was trained on, and its test / validation / training indices (as `train` split it).
Dataset run_dataset(const Run& run, std::vector<size_t>* test_indices, std::vector<size_t>* val_indices = nullptr,
                    std::vector<size_t>* train_indices = nullptr);

// curves.png from a run's log.jsonl; confusion.png and roc.png from test metrics.
void write_run_pictures(const std::string& dir, const std::vector<std::string>& classes, const Metrics* test);

}  // namespace easel
