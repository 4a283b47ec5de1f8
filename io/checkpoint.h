// Training checkpoints: one .npz whose keys fall into sections by prefix.
//
//   format.version   i64 scalar: kCheckpointVersion when written; files without it are version 1
//   model.*          the net's state_dict (PyTorch names)
//   optimizer.*      the optimizer's state (moments, step count, group learning rates)
//   scheduler.*      the scheduler's state (absent without a scheduler)
//   rng.state        i64[4]: the global generator's xoshiro state;  rng.spare f64[2]: its cached normal
//   meta.*           f64 scalars: the training loop's counters (epoch, best_epoch, ...)
//
// Version 1 (before the format had a number) kept the RNG as meta.rng / meta.rng_spare and its
// counters as i64 or f64 scalars; it still loads. A version newer than this build knows is refused.
#pragma once
#include <map>
#include <string>

#include "tensor/named.h"
#include "tensor/random.h"

namespace easel {

constexpr int64_t kCheckpointVersion = 2;

struct Checkpoint {
  int64_t version = kCheckpointVersion;
  NamedTensors model, optimizer, scheduler;
  Generator::State rng;
  std::map<std::string, double> meta;
  double meta_value(const std::string& key, const std::string& path_for_errors) const;  // errors name the key
};

void save_checkpoint(const std::string& path, const Checkpoint& ck);  // atomic (io/file.h)
Checkpoint load_checkpoint(const std::string& path);
// The same from a file's bytes (a distributed run's rank 0 reads it, every rank parses it); `where` names it.
Checkpoint parse_checkpoint(const std::string& bytes, const std::string& where);

// A model file (`easel export`): a plain state_dict .npz plus one u1 array of this name holding the
// model's metadata as JSON (apps/model/model_file.h). Weight readers skip it.
constexpr const char* kModelMetadataKey = "easel_metadata";

// The weights in a file: a checkpoint's model section, or a plain state_dict .npz as it is
// (a model file's metadata left out).
// Floating arrays holding NaN or Inf are refused, naming the key (check_finite).
NamedTensors load_model_weights(const std::string& path);
void check_finite(const NamedTensors& arrays, const std::string& path);

}  // namespace easel
