// Shared test helpers.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "layers/module.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace easel::test {

// Uniform f64 values in [lo, hi), seeded, as a leaf that requires grad (unless grad = false).
inline Tensor rnd(const Shape& s, uint64_t seed, double lo = -1, double hi = 1, bool grad = true) {
  Generator g(seed);
  Tensor t = Tensor::uniform(s, lo, hi, DType::f64, &g);
  if (grad) t.requires_grad_();
  return t;
}

// Counts gradcheck runs; with EASEL_COUNT_GRADCHECKS set, the test binary prints the total at exit.
struct GradcheckCounter {
  int64_t runs = 0, elements = 0;
  ~GradcheckCounter() {
    if (std::getenv("EASEL_COUNT_GRADCHECKS")) std::printf("gradcheck runs: %lld, elements checked: %lld\n", (long long)runs, (long long)elements);
  }
};
inline GradcheckCounter gradcheck_counter;

// gradcheck with PyTorch's tolerances; reports the failing element on failure.
inline void check_grad(const GradFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions opt = {}) {
  const GradcheckResult r = gradcheck(fn, inputs, opt);
  gradcheck_counter.runs++;
  gradcheck_counter.elements += r.elements_checked;
  CHECK_MESSAGE(r.ok, r.message);
  CHECK(r.elements_checked > 0);
}

// Every element of `t` within tol of `expect` (row-major).
inline void check_values(const Tensor& t, const std::vector<double>& expect, double tol = 1e-6) {
  const std::vector<double> got = t.to_vector();
  REQUIRE(got.size() == expect.size());
  for (size_t i = 0; i < got.size(); ++i)
    CHECK_MESSAGE(std::abs(got[i] - expect[i]) <= tol * (1 + std::abs(expect[i])),
                  "element " << i << ": got " << got[i] << ", expected " << expect[i]);
}

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  REQUIRE(x.size() == y.size());
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

// Real painting images: $EASEL_DATA, else ../shared/data beside the checkout. Tests that need them
// skip when the folder is absent.
inline std::string data_root() {
  if (const char* e = std::getenv("EASEL_DATA")) return e;
  return std::string(EASEL_SOURCE_DIR) + "/../shared/data";
}
inline bool has_data() { return std::ifstream(data_root() + "/wikiart_style10/manifest.csv").good(); }

// One tensor of a state dict by name.
inline Tensor npz_like(const NamedTensors& sd, const std::string& key) {
  for (const auto& [k, t] : sd)
    if (k == key) return t;
  FAIL("no tensor named " << key);
  return Tensor();
}

// The message of the easel::Error that `f` throws ("" if it throws none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace easel::test
