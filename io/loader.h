// Batches of prepared images, decoded and augmented by worker threads ahead of the training loop.
// The batches and their contents depend only on the seed and the epoch, never on the number of
// workers or on timing: sample i of epoch e draws its augmentation from Generator(seed, e, i).
#pragma once
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "io/dataset.h"
#include "io/transforms.h"

namespace easel {

struct LoaderOptions {
  int64_t batch = 32;
  bool shuffle = false, drop_last = false;
  int workers = 2, prefetch = 4;  // prefetch: batches prepared ahead of the consumer
  uint64_t seed = 0;
  Preprocess pre;
  Augment aug;       // applied when `augment` is set
  bool augment = false;
  bool skip_bad = true;  // an undecodable image: warn once and skip it (false: fail, naming it)
  // Data parallelism: every rank walks the same batches (the same permutation) and takes part
  // `shard` of `shards` of each, in near-equal contiguous parts. A sharded loader gives every batch,
  // even one with no readable image (images undefined), so that all ranks take the same steps.
  int shard = 0, shards = 1;
};

struct Batch {
  Tensor images;                 // [B, 3, S, S] f32
  Tensor labels;                 // i64 [B]
  std::vector<size_t> indices;   // into the dataset
};

class DataLoader {
 public:
  DataLoader(const Dataset& ds, std::vector<size_t> indices, LoaderOptions opt);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;
  void start_epoch(int64_t epoch);  // order for this epoch; starts the workers
  bool next(Batch* out);            // false at the end of the epoch
  int64_t batches_per_epoch() const;
  int64_t size() const { return int64_t(indices_.size()); }
  const LoaderOptions& options() const { return opt_; }

 private:
  void stop();
  Batch make_batch(int64_t b);
  const Dataset& ds_;
  std::vector<size_t> indices_, order_;
  LoaderOptions opt_;
  int64_t epoch_ = 0, next_to_make_ = 0, next_to_give_ = 0, total_ = 0;
  std::map<int64_t, Batch> ready_;
  std::exception_ptr error_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

}  // namespace easel
