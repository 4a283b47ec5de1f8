// Readable printing, in the spirit of PyTorch's: nested brackets, a common number format chosen
// from the values, and large tensors summarised with "..." (first and last 3 along each dim).
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "tensor/tensor.h"

namespace easel {

namespace {

constexpr int64_t kSummariseAbove = 1000, kEdge = 3;

struct Format {
  bool integral = true, scientific = false;
  int width = 1;
  std::string operator()(double v) const {
    char buf[64];
    if (std::isnan(v) || std::isinf(v)) std::snprintf(buf, sizeof buf, "%s", std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
    else if (integral) std::snprintf(buf, sizeof buf, "%.0f", v);
    else if (scientific) std::snprintf(buf, sizeof buf, "%.4e", v);
    else std::snprintf(buf, sizeof buf, "%.4f", v);
    std::string s(buf);
    return std::string(size_t(std::max<int>(0, width - int(s.size()))), ' ') + s;
  }
};

void print_rec(std::ostream& os, const Tensor& t, std::vector<int64_t>& idx, int64_t d, const Format& f,
               bool summarise, int indent) {
  const int64_t n = t.shape()[size_t(d)];
  os << '[';
  for (int64_t i = 0; i < n; ++i) {
    if (summarise && n > 2 * kEdge && i == kEdge) {
      os << (d + 1 == t.dim() ? "..., " : "...,\n" + std::string(size_t(indent + 1), ' '));
      i = n - kEdge;
    }
    idx[size_t(d)] = i;
    if (d + 1 == t.dim()) os << f(t.at(idx));
    else print_rec(os, t, idx, d + 1, f, summarise, indent + 1);
    if (i + 1 < n) os << (d + 1 == t.dim() ? ", " : ",\n" + std::string(size_t(indent + 1), ' '));
  }
  os << ']';
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& device_tensor) {
  if (!device_tensor.defined()) return os << "tensor(undefined)";
  const Tensor t = device_tensor.device().is_cpu() ? device_tensor : device_tensor.detach().cpu();
  const bool summarise = t.numel() > kSummariseAbove;
  Format f;
  double max_abs = 0, min_abs = INFINITY;
  for (double v : t.to_vector()) {  // format from all values (cheap next to printing them)
    if (!std::isfinite(v)) continue;
    if (v != std::floor(v)) f.integral = false;
    max_abs = std::max(max_abs, std::fabs(v));
    if (v != 0) min_abs = std::min(min_abs, std::fabs(v));
  }
  if (t.dtype() != DType::i64 && !f.integral) f.scientific = max_abs >= 1e8 || min_abs < 1e-4;
  if (t.dtype() != DType::i64 && f.integral && max_abs >= 1e8) f.integral = false, f.scientific = true;
  for (double v : t.to_vector()) f.width = std::max<int>(f.width, int(Format{f.integral, f.scientific, 1}(v).size()));
  os << "tensor(";
  if (t.dim() == 0) os << f(t.item());
  else {
    std::vector<int64_t> idx(static_cast<size_t>(t.dim()), 0);
    print_rec(os, t, idx, 0, f, summarise, 7);
  }
  os << ", " << dtype_name(t.dtype()) << shape_str(t.shape());
  if (device_tensor.device().is_cuda()) os << ", " << device_tensor.device().str();
  if (device_tensor.requires_grad()) os << ", requires_grad";
  return os << ')';
}

std::string to_string(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

}  // namespace easel
