// What `easel serve` counts, in Prometheus' text exposition format (GET /metrics):
//   easel_requests_total{path, status}        counter: every answered request
//   easel_predict_duration_seconds            histogram: /v1/predict, from the request read to the answer
//   easel_batch_size                          histogram: images per batch the net ran
//   easel_queue_depth                         gauge: images waiting for a batch
//   easel_images_total                        counter: images classified
//   easel_resident_memory_bytes               gauge: the process's resident set (/proc/self/statm)
//   easel_allocator_cached_bytes              gauge: freed tensor blocks the CPU allocator keeps for reuse
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace easel {

// A cumulative histogram over fixed upper bounds (the +Inf bucket is the count).
struct Histogram {
  std::vector<double> bounds;
  std::vector<int64_t> counts;  // counts[i]: observations <= bounds[i]
  int64_t count = 0;
  double sum = 0;
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  double quantile(double q) const;  // the bound of the first bucket holding the q-th observation (+inf past the last)
  std::string text(const std::string& name, const std::string& help) const;
};

int64_t resident_memory_bytes();  // 0 where /proc/self/statm cannot be read

class ServeMetrics {
 public:
  ServeMetrics();
  void request(const std::string& path, int status);  // any path outside the API is counted as "other"
  void predict_latency(double seconds);
  void batch(int64_t size);
  std::string text(int64_t queue_depth, int64_t resident_bytes, int64_t cached_bytes) const;
  int64_t requests() const;

 private:
  mutable std::mutex m_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  Histogram latency_, batch_size_;
  int64_t images_ = 0;
};

}  // namespace easel
