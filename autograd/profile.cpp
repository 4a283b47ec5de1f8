#include "autograd/profile.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace easel {

static thread_local OpProfile* g_profile = nullptr;
using Clock = std::chrono::steady_clock;

OpProfile::OpProfile() : prev_(g_profile), last_(Clock::now()) { g_profile = this; }
OpProfile::~OpProfile() { g_profile = prev_; }

bool OpProfile::active() { return g_profile != nullptr; }

void OpProfile::lap(const char* op) {
  if (!g_profile || g_profile->paused_) return;
  const auto now = Clock::now();
  Row& r = g_profile->rows[op];
  r.forward_s += std::chrono::duration<double>(now - g_profile->last_).count();
  r.calls += 1;
  g_profile->last_ = now;
}

void OpProfile::restart() {
  if (g_profile) g_profile->last_ = Clock::now();
}

OpProfile::Section::Section(const char* what) : what_(what), start_(Clock::now()) { pause(true); }
OpProfile::Section::~Section() {
  if (g_profile) g_profile->rows[what_].forward_s += std::chrono::duration<double>(Clock::now() - start_).count();
  pause(false);
}

void OpProfile::add_backward(const std::string& op, double seconds) {
  if (g_profile) g_profile->rows[op].backward_s += seconds;
}

void OpProfile::pause(bool on) {
  if (!g_profile) return;
  g_profile->paused_ = on;
  if (!on) g_profile->last_ = Clock::now();
}

double OpProfile::total_s() const {
  double t = 0;
  for (const auto& [name, r] : rows) t += r.forward_s + r.backward_s;
  return t;
}

std::string OpProfile::table(int64_t steps) const {
  std::vector<std::pair<std::string, Row>> sorted(rows.begin(), rows.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second.forward_s + a.second.backward_s > b.second.forward_s + b.second.backward_s;
  });
  const double total = std::max(total_s(), 1e-12), per = 1e3 / double(std::max<int64_t>(steps, 1));
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line, "%-26s %8s %12s %12s %12s %7s\n", "op", "calls", "forward ms", "backward ms",
                "total ms", "share");
  out += line;
  for (const auto& [name, r] : sorted) {
    std::snprintf(line, sizeof line, "%-26s %8lld %12.2f %12.2f %12.2f %6.1f%%\n", name.c_str(),
                  (long long)(r.calls / std::max<int64_t>(steps, 1)), r.forward_s * per, r.backward_s * per,
                  (r.forward_s + r.backward_s) * per, 100 * (r.forward_s + r.backward_s) / total);
    out += line;
  }
  std::snprintf(line, sizeof line, "%-26s %8s %12s %12s %12.2f %6.1f%%\n", "(all, per step)", "", "", "",
                total * per, 100.0);
  out += line;
  return out;
}

}  // namespace easel
