// Dynamic batching: one net, requests from many threads. Each caller hands over one preprocessed
// image [3, S, S] and blocks; a worker thread stacks up to max_batch waiting images (it waits at
// most `wait_ms` after the oldest arrived for the batch to fill), runs the net once, and hands each
// caller its row of softmax(logits / T). A lone client does not pay the wait: when the last batch
// held one image and no other request has announced itself (announce(), while it decodes), the
// image leaves at once (the first batch after start always waits). A batch of n runs as forward
// passes of n's powers of two (13 = 8 + 4 + 1): the allocator caches blocks by exact size, so a
// server meets only log2(max_batch) + 1 shapes and its memory stops growing early, with no padding
// computed. Rows equal single-image inference to f32 round-off (tests/test_serve.cpp).
//
// Warm-up (when `warmup_image` gives one image's shape): while no request waits or decodes, and not
// when draining, the worker runs one forward pass of zeros for each of those sizes, smallest first,
// so the allocator holds the blocks of the largest batch from the start instead of when load first
// fills one: a server's memory is then what it will stay (a request arriving meanwhile waits for
// one such pass at most).
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "nets/net.h"

namespace easel {

struct BatcherOptions {
  int64_t max_batch = 16;
  double wait_ms = 5;
  int64_t max_queue = 256;  // images waiting (not yet in a batch); more are refused
  double temperature = 1;
  int threads = 0;  // the net's compute threads (OpenMP counts are per thread): 0 = the constructing thread's
  std::vector<int64_t> warmup_image;  // one image's shape, e.g. {3, 224, 224}; empty: no warm-up
};

class Batcher {
 public:
  // `on_batch(size)` is called after each batch, before its callers are answered (metrics); it runs on the worker thread.
  Batcher(Net& net, BatcherOptions options, std::function<void(int64_t)> on_batch = nullptr);
  ~Batcher();  // finishes every queued image, then stops

  enum class Status { ok, queue_full };
  struct BatchInfo {
    int64_t size = 0;      // images in the batch this one ran in
    double queued_ms = 0;  // from arrival to its batch starting
    double net_ms = 0;     // the batch's forward pass
  };
  // Blocks until `image`'s class probabilities are in `probs` (or rethrows the net's error).
  Status classify(const Tensor& image, std::vector<double>* probs, BatchInfo* info = nullptr, bool announced = false);
  int64_t queue_depth() const;
  // The forward passes a batch of n runs as: n's powers of two, largest first.
  static std::vector<int64_t> forward_sizes(int64_t n);
  // Whether a batch leaves before its wait is over: full, hurried, or a lone client's image.
  static bool leaves_now(int64_t queued, int64_t max_batch, int64_t announced, int64_t last_batch, bool hurry);
  // A request on its way (decoding its image): batches wait for it. classify(..., true) or
  // withdraw() (the image could not be read) takes the announcement back.
  void announce();
  void withdraw();
  // From now on batches leave at once, without waiting to fill (a server draining on SIGTERM).
  void stop_waiting();
  // Whether every warm-up pass has run (true at once without warm-up; false for good if one failed).
  bool warmed_up() const;
  // Work that must have the net to itself (Grad-CAM runs a backward pass): taken between batches.
  std::mutex& net_mutex() { return net_mutex_; }

 private:
  struct Item {
    Tensor image;
    std::chrono::steady_clock::time_point arrived;
    std::promise<std::pair<std::vector<double>, BatchInfo>> result;
  };
  void run();
  void run_batch(std::vector<Item*>& batch);
  bool warm_up(int64_t k);  // one forward pass of k images of zeros; false if it threw
  Tensor probabilities(const Tensor& x);  // softmax(net(x) / T) on the CPU; x [k, 3, S, S]; under net_mutex_

  Net& net_;
  const BatcherOptions o_;
  std::function<void(int64_t)> on_batch_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::deque<Item*> queue_;
  bool stopping_ = false, no_wait_ = false;
  int64_t announced_ = 0, last_batch_ = 0;  // 0: no batch yet (the first one waits)
  std::deque<int64_t> warmup_left_;         // forward sizes still to warm up, smallest first
  bool warmup_failed_ = false;
  std::mutex net_mutex_;
  std::thread worker_;
};

}  // namespace easel
