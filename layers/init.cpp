#include "layers/init.h"

#include <cmath>

#include "tensor/random.h"

namespace easel::init {

namespace {
thread_local bool g_skip_random = false;
}  // namespace

SkipRandomInit::SkipRandomInit() : previous_(g_skip_random) { g_skip_random = true; }
SkipRandomInit::~SkipRandomInit() { g_skip_random = previous_; }

int64_t fan_in(const Tensor& w) {
  int64_t f = w.size(1);
  for (int64_t d = 2; d < w.dim(); ++d) f *= w.size(d);
  return f;
}

int64_t fan_out(const Tensor& w) {
  int64_t f = w.size(0);
  for (int64_t d = 2; d < w.dim(); ++d) f *= w.size(d);
  return f;
}

// Drawn into the tensor itself: a temporary of the same size would stay in the allocator's cache
// (VGG's classifier alone is 10^8 values), raising the process's memory by the whole net's size.
void uniform_(Tensor& t, double lo, double hi) {
  if (!g_skip_random) t.uniform_(lo, hi);
}

void normal_(Tensor& t, double mean, double std) {
  if (!g_skip_random) t.normal_(mean, std);
}

void constant_(Tensor& t, double v) {
  t.copy_(Tensor::full({}, v, t.dtype()));
}

void default_uniform_(Tensor& w, int64_t fan) {
  const double bound = 1.0 / std::sqrt(double(fan));
  uniform_(w, -bound, bound);
}

void kaiming_normal_fan_out_(Tensor& w) { normal_(w, 0.0, std::sqrt(2.0 / double(fan_out(w)))); }

}  // namespace easel::init
