// Error reporting: every check in Easel throws easel::Error with a message that names the
// op, the shapes or values involved, so that a user can act on it without a debugger.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace easel {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace easel

// EASEL_CHECK(cond, parts...): throw easel::Error("parts...") unless cond holds.
#define EASEL_CHECK(cond, ...)                                        \
  do {                                                                \
    if (!(cond)) throw ::easel::Error(::easel::detail::concat(__VA_ARGS__)); \
  } while (0)
