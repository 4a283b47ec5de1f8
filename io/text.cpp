#include "io/text.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "tensor/error.h"

namespace easel {

int64_t parse_int(const std::string& text, const std::string& what) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  EASEL_CHECK(!text.empty() && *end == 0 && errno == 0, what, ": expected an integer, got '", text, "'");
  return v;
}

double parse_number(const std::string& text, const std::string& what) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  EASEL_CHECK(!text.empty() && *end == 0 && std::isfinite(v), what, ": expected a number, got '", text, "'");
  return v;
}

}  // namespace easel
