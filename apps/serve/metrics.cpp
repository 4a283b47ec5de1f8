#include "apps/serve/metrics.h"

#include <cstdio>
#include <limits>
#include <unistd.h>

namespace easel {

namespace {

std::string number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds) : bounds(std::move(upper_bounds)), counts(bounds.size(), 0) {}

void Histogram::observe(double v) {
  for (size_t i = 0; i < bounds.size(); ++i)
    if (v <= bounds[i]) ++counts[i];
  ++count;
  sum += v;
}

double Histogram::quantile(double q) const {
  const double rank = q * double(count);
  for (size_t i = 0; i < bounds.size(); ++i)
    if (double(counts[i]) >= rank) return bounds[i];
  return std::numeric_limits<double>::infinity();  // past the last bound
}

std::string Histogram::text(const std::string& name, const std::string& help) const {
  std::string s = "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  for (size_t i = 0; i < bounds.size(); ++i)
    s += name + "_bucket{le=\"" + number(bounds[i]) + "\"} " + std::to_string(counts[i]) + "\n";
  s += name + "_bucket{le=\"+Inf\"} " + std::to_string(count) + "\n";
  s += name + "_sum " + number(sum) + "\n" + name + "_count " + std::to_string(count) + "\n";
  return s;
}

ServeMetrics::ServeMetrics()
    : latency_({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}),
      batch_size_({1, 2, 4, 8, 16, 32, 64, 128}) {}

void ServeMetrics::request(const std::string& path, int status) {
  static const char* known[] = {"/v1/predict", "/v1/gradcam", "/v1/model", "/healthz", "/metrics"};
  std::string p = "other";
  for (const char* k : known)
    if (path == k) p = k;
  std::lock_guard<std::mutex> l(m_);
  ++requests_[{p, status}];
}

void ServeMetrics::predict_latency(double seconds) {
  std::lock_guard<std::mutex> l(m_);
  latency_.observe(seconds);
}

void ServeMetrics::batch(int64_t size) {
  std::lock_guard<std::mutex> l(m_);
  batch_size_.observe(double(size));
  images_ += size;
}

int64_t ServeMetrics::requests() const {
  std::lock_guard<std::mutex> l(m_);
  int64_t n = 0;
  for (const auto& [k, v] : requests_) n += v;
  return n;
}

int64_t resident_memory_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long long pages = 0, resident = 0;
  const bool ok = std::fscanf(f, "%lld %lld", &pages, &resident) == 2;
  std::fclose(f);
  return ok ? int64_t(resident) * int64_t(sysconf(_SC_PAGESIZE)) : 0;
}

std::string ServeMetrics::text(int64_t queue_depth, int64_t resident_bytes, int64_t cached_bytes) const {
  std::lock_guard<std::mutex> l(m_);
  std::string s = "# HELP easel_requests_total HTTP requests answered, by path and status.\n"
                  "# TYPE easel_requests_total counter\n";
  for (const auto& [k, v] : requests_)
    s += "easel_requests_total{path=\"" + k.first + "\",status=\"" + std::to_string(k.second) + "\"} " +
         std::to_string(v) + "\n";
  s += latency_.text("easel_predict_duration_seconds", "Time from a /v1/predict request read to its answer.");
  s += batch_size_.text("easel_batch_size", "Images in each batch the net ran.");
  s += "# HELP easel_queue_depth Images waiting for a batch.\n# TYPE easel_queue_depth gauge\neasel_queue_depth " +
       std::to_string(queue_depth) + "\n";
  s += "# HELP easel_images_total Images classified.\n# TYPE easel_images_total counter\neasel_images_total " +
       std::to_string(images_) + "\n";
  s += "# HELP easel_resident_memory_bytes The process's resident set.\n# TYPE easel_resident_memory_bytes gauge\n"
       "easel_resident_memory_bytes " + std::to_string(resident_bytes) + "\n";
  s += "# HELP easel_allocator_cached_bytes Freed tensor blocks kept for reuse.\n# TYPE easel_allocator_cached_bytes gauge\n"
       "easel_allocator_cached_bytes " + std::to_string(cached_bytes) + "\n";
  return s;
}

}  // namespace easel
