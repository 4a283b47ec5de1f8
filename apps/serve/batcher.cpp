#include "apps/serve/batcher.h"

#include "autograd/node.h"
#include "autograd/ops.h"
#include "tensor/parallel.h"

namespace easel {

Batcher::Batcher(Net& net, BatcherOptions options, std::function<void(int64_t)> on_batch)
    : net_(net), o_(options), on_batch_(std::move(on_batch)) {
  EASEL_CHECK(o_.max_batch >= 1, "serve: --max-batch must be at least 1, got ", o_.max_batch);
  EASEL_CHECK(o_.wait_ms >= 0 && o_.wait_ms <= 10000, "serve: --batch-wait-ms must be in [0, 10000], got ", o_.wait_ms);
  EASEL_CHECK(o_.max_queue >= 1, "serve: --max-queue must be at least 1, got ", o_.max_queue);
  if (!o_.warmup_image.empty())
    for (int64_t k = 1; k <= o_.max_batch; k *= 2) warmup_left_.push_back(k);
  const int threads = o_.threads > 0 ? o_.threads : num_threads();
  worker_ = std::thread([this, threads] {
    set_num_threads(threads);  // a new thread starts from OpenMP's global default, not its creator's setting
    run();
  });
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> l(m_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void Batcher::stop_waiting() {
  {
    std::lock_guard<std::mutex> l(m_);
    no_wait_ = true;
  }
  cv_.notify_all();
}

bool Batcher::leaves_now(int64_t queued, int64_t max_batch, int64_t announced, int64_t last_batch, bool hurry) {
  return hurry || queued >= max_batch || (last_batch == 1 && announced == 0);
}

void Batcher::announce() {
  std::lock_guard<std::mutex> l(m_);
  ++announced_;
}

void Batcher::withdraw() {
  {
    std::lock_guard<std::mutex> l(m_);
    --announced_;
  }
  cv_.notify_all();
}

bool Batcher::warmed_up() const {
  std::lock_guard<std::mutex> l(m_);
  return warmup_left_.empty() && !warmup_failed_;
}

int64_t Batcher::queue_depth() const {
  std::lock_guard<std::mutex> l(m_);
  return int64_t(queue_.size());
}

Batcher::Status Batcher::classify(const Tensor& image, std::vector<double>* probs, BatchInfo* info, bool announced) {
  Item item;
  item.image = image;
  item.arrived = std::chrono::steady_clock::now();
  auto done = item.result.get_future();
  {
    std::lock_guard<std::mutex> l(m_);
    if (announced) --announced_;
    EASEL_CHECK(!stopping_, "serve: the batcher has stopped");
    if (int64_t(queue_.size()) >= o_.max_queue) return Status::queue_full;
    queue_.push_back(&item);
  }
  cv_.notify_all();
  auto [p, batch] = done.get();  // rethrows what the batch threw
  *probs = std::move(p);
  if (info) *info = batch;
  return Status::ok;
}

void Batcher::run() {
  const auto wait = std::chrono::microseconds(int64_t(o_.wait_ms * 1000));
  for (;;) {
    std::vector<Item*> batch;
    int64_t warm = 0;
    {
      std::unique_lock<std::mutex> l(m_);
      // Idle: nothing queued, nothing decoding, not draining. Then a warm-up pass may run.
      const auto idle = [&] { return queue_.empty() && announced_ == 0 && !stopping_ && !no_wait_; };
      cv_.wait(l, [&] { return stopping_ || !queue_.empty() || (idle() && !warmup_left_.empty()); });
      if (queue_.empty() && !stopping_) {
        warm = warmup_left_.front();  // taken off the list once it has run (warmed_up() waits for the last)
      } else {
        if (queue_.empty()) return;  // stopping, nothing left
        // A batch leaves when it is full, or `wait` after its oldest image arrived (at once when stopping).
        const auto deadline = queue_.front()->arrived + wait;
        cv_.wait_until(l, deadline, [&] {
          return leaves_now(int64_t(queue_.size()), o_.max_batch, announced_, last_batch_, stopping_ || no_wait_);
        });
        while (!queue_.empty() && int64_t(batch.size()) < o_.max_batch) {
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
        last_batch_ = int64_t(batch.size());
      }
    }
    if (warm) {
      const bool ok = warm_up(warm);
      std::lock_guard<std::mutex> l(m_);
      warmup_left_.pop_front();
      if (!ok) warmup_left_.clear(), warmup_failed_ = true;  // a real batch will meet the same error and report it
      continue;
    }
    run_batch(batch);
  }
}

std::vector<int64_t> Batcher::forward_sizes(int64_t n) {
  std::vector<int64_t> sizes;
  for (int64_t bit = int64_t(1) << 62; bit > 0; bit >>= 1)
    if (n & bit) sizes.push_back(bit);
  return sizes;
}

bool Batcher::warm_up(int64_t k) {
  try {
    std::lock_guard<std::mutex> l(net_mutex_);
    std::vector<int64_t> shape{k};
    shape.insert(shape.end(), o_.warmup_image.begin(), o_.warmup_image.end());
    probabilities(Tensor::zeros(shape));  // the blocks a batch of k takes
    return true;
  } catch (...) {
    return false;
  }
}

Tensor Batcher::probabilities(const Tensor& x) {
  NoGradGuard no_grad;
  const std::vector<Tensor> params = net_.parameters();  // the batch goes where the net is, in its dtype
  const Device device = params.empty() ? Device::cpu() : params[0].device();
  const DType dtype = params.empty() ? DType::f32 : params[0].dtype();
  return softmax(net_(x.to(device).to(dtype)) * (1.0 / o_.temperature), 1).cpu();
}

void Batcher::run_batch(std::vector<Item*>& batch) {
  using ms = std::chrono::duration<double, std::milli>;
  const int64_t n = int64_t(batch.size());
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::vector<double>> rows;
  std::exception_ptr failure;
  try {
    std::lock_guard<std::mutex> l(net_mutex_);
    std::vector<Tensor> images;
    for (Item* it : batch) images.push_back(it->image.unsqueeze(0));
    int64_t first = 0;
    for (const int64_t k : forward_sizes(n)) {
      const std::vector<Tensor> part(images.begin() + first, images.begin() + first + k);
      const Tensor p = probabilities(k == 1 ? part[0] : concat(part, 0));  // [k, C]
      const std::vector<double> all = p.to_vector();
      const size_t C = size_t(p.size(1));
      for (int64_t i = 0; i < k; ++i) rows.emplace_back(all.begin() + i * C, all.begin() + (i + 1) * C);
      first += k;
    }
  } catch (...) {
    failure = std::current_exception();
  }
  // Counted before anyone is answered: a caller that reads the metrics after its answer sees its batch.
  if (on_batch_ && !failure) on_batch_(n);
  // Each caller is answered exactly once; after its answer its Item is gone.
  const double net_ms = ms(std::chrono::steady_clock::now() - start).count();
  for (int64_t i = 0; i < n; ++i) {
    Item* it = batch[size_t(i)];
    if (failure)
      it->result.set_exception(failure);
    else
      it->result.set_value({std::move(rows[size_t(i)]), BatchInfo{n, ms(start - it->arrived).count(), net_ms}});
  }
}

}  // namespace easel
