// A small end-to-end run that needs no data and no download: a conv net learns to tell three
// kinds of generated 16×16 colour images apart (horizontal stripes, vertical stripes, blobs).
// It exercises conv2d, batch_norm, relu, max_pool2d, adaptive_avg_pool2d, linear, cross_entropy,
// the backward engine and SGD, without the data pipeline. Used by the training tests.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "tensor/tensor.h"

namespace easel::toy {

constexpr int64_t kClasses = 3, kSize = 16;

// n images [n, 3, 16, 16] in roughly [-1, 1] and their labels i64[n], class i % 3.
void make_stripes(int64_t n, uint64_t seed, Tensor* images, Tensor* labels);

struct TrainConfig {
  int64_t steps = 120, batch = 32;
  double lr = 0.05, momentum = 0.9;
  uint64_t seed = 7;
  DType dtype = DType::f32;
};

struct StepLog {
  int64_t step;
  double loss, accuracy, images_per_s;
};

struct TrainResult {
  std::vector<double> losses;  // one per step
  double val_accuracy = 0, val_loss = 0;
};

// Trains the small net from scratch; `on_step` (optional) sees every step's figures.
TrainResult train_stripes(const TrainConfig& cfg, const std::function<void(const StepLog&)>& on_step = {});

}  // namespace easel::toy
