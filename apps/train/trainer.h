// The trainer behind `easel train`: data, net, optimizer, scheduler, per-epoch validation,
// checkpoints (atomic, resumable) and the final test evaluation, into a run directory
// (apps/train/run.h describes what it holds).
#pragma once
#include <string>

#include "apps/analysis/metrics.h"
#include "apps/model/config.h"

namespace easel {

struct TrainResult {
  int64_t best_epoch = 0, epochs_run = 0;
  double best_metric = 0;
  Metrics test;
  double seconds_per_epoch = 0;
};

TrainResult train(const TrainConfig& config);

std::string fmt_time(double seconds);  // "1h02m", "3m05s", "42s": progress lines

}  // namespace easel
