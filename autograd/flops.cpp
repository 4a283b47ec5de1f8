#include "autograd/flops.h"

namespace easel {

static thread_local MacCounter* g_counter = nullptr;

MacCounter::MacCounter() : prev_(g_counter) { g_counter = this; }
MacCounter::~MacCounter() {
  g_counter = prev_;
  if (prev_) prev_->macs += macs;
}
void MacCounter::add(int64_t n) {
  if (g_counter) g_counter->macs += n;
}

}  // namespace easel
