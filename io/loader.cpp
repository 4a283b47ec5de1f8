#include "io/loader.h"

#include <cstdio>
#include <set>

#include <omp.h>

#include "autograd/ops.h"
#include "io/image.h"
#include "tensor/random.h"

namespace easel {

DataLoader::DataLoader(const Dataset& ds, std::vector<size_t> indices, LoaderOptions opt)
    : ds_(ds), indices_(std::move(indices)), opt_(std::move(opt)) {
  EASEL_CHECK(opt_.batch > 0, "--batch must be positive, got ", opt_.batch);
  EASEL_CHECK(opt_.workers >= 0 && opt_.workers <= 64, "--workers must be 0 to 64, got ", opt_.workers);
  for (size_t i : indices_) EASEL_CHECK(i < ds_.samples.size(), "DataLoader: index ", i, " outside the dataset");
  EASEL_CHECK(opt_.shards >= 1 && opt_.shard >= 0 && opt_.shard < opt_.shards, "DataLoader: shard ", opt_.shard, " of ",
              opt_.shards, " does not exist");
}

DataLoader::~DataLoader() { stop(); }

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = size();
  return opt_.drop_last ? n / opt_.batch : (n + opt_.batch - 1) / opt_.batch;
}

void DataLoader::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  stopping_ = false;
}

static void warn_once(const std::string& path, const std::string& why) {
  static std::mutex m;
  static std::set<std::string> seen;
  std::lock_guard<std::mutex> lk(m);
  if (seen.insert(path).second) std::fprintf(stderr, "warning: skipping %s\n", why.c_str());
}

Batch DataLoader::make_batch(int64_t b) {
  Batch out;
  std::vector<Tensor> imgs;
  std::vector<double> labels;
  const int64_t first = b * opt_.batch, whole = std::min<int64_t>(first + opt_.batch, int64_t(order_.size())) - first;
  const int64_t lo = first + whole * opt_.shard / opt_.shards, hi = first + whole * (opt_.shard + 1) / opt_.shards;
  for (int64_t k = lo; k < hi; ++k) {
    const size_t i = order_[size_t(k)];
    const Sample& s = ds_.samples[i];
    Tensor img;
    try {
      img = load_image(s.path);
    } catch (const Error& e) {
      if (!opt_.skip_bad) throw;
      warn_once(s.path, e.what());
      continue;
    }
    Generator g(opt_.seed ^ (uint64_t(epoch_) * 0x9e3779b97f4a7c15ULL) ^ (uint64_t(i) * 0xbf58476d1ce4e5b9ULL));
    imgs.push_back(prepare_image(img, opt_.pre, opt_.augment ? &opt_.aug : nullptr, g).unsqueeze(0));
    labels.push_back(double(s.label));
    out.indices.push_back(i);
  }
  if (!imgs.empty()) {
    out.images = concat(imgs, 0);
    out.labels = Tensor::from(labels, {int64_t(labels.size())}, DType::i64);
  }
  return out;
}

void DataLoader::start_epoch(int64_t epoch) {
  stop();
  epoch_ = epoch;
  order_ = indices_;
  if (opt_.shuffle) {
    Generator g(opt_.seed * 1000003 + uint64_t(epoch));
    for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[size_t(g.randint(int64_t(i)))]);
  }
  total_ = batches_per_epoch();
  next_to_make_ = next_to_give_ = 0;
  ready_.clear();
  error_ = nullptr;
  for (int w = 0; w < opt_.workers; ++w)
    threads_.emplace_back([this] {
      omp_set_num_threads(1);  // image work stays on this thread; the training loop owns the cores
      for (;;) {
        int64_t b;
        {
          std::unique_lock<std::mutex> lk(mu_);
          cv_.wait(lk, [&] { return stopping_ || next_to_make_ >= total_ || next_to_make_ < next_to_give_ + opt_.prefetch; });
          if (stopping_ || next_to_make_ >= total_) return;
          b = next_to_make_++;
        }
        Batch batch;
        std::exception_ptr err;
        try {
          batch = make_batch(b);
        } catch (...) {
          err = std::current_exception();
        }
        {
          std::lock_guard<std::mutex> lk(mu_);
          if (err && !error_) error_ = err;
          ready_[b] = std::move(batch);
        }
        cv_.notify_all();
      }
    });
}

bool DataLoader::next(Batch* out) {
  for (;;) {
    if (next_to_give_ >= total_) return false;
    if (opt_.workers == 0) {  // synchronous
      *out = make_batch(next_to_give_++);
    } else {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return error_ || ready_.count(next_to_give_); });
      if (error_) std::rethrow_exception(error_);
      *out = std::move(ready_[next_to_give_]);
      ready_.erase(next_to_give_++);
      lk.unlock();
      cv_.notify_all();
    }
    if (out->images.defined() || opt_.shards > 1) return true;  // every image was unreadable: go on, unless sharded
  }
}

}  // namespace easel
