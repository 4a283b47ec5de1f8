// Seeded random numbers. Easel implements its own generator (xoshiro256**) and its own
// uniform/normal transforms so that a seed gives the same numbers with every compiler and
// standard library: runs are reproducible bit for bit on any machine.
#pragma once
#include <array>
#include <cstdint>

namespace easel {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0x5eed) { manual_seed(seed); }
  void manual_seed(uint64_t seed);
  uint64_t next_u64();
  double uniform();             // [0, 1), 53 random bits
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal();              // standard normal (Box-Muller; the spare value is kept)
  int64_t randint(int64_t high);  // [0, high), unbiased

  // Full state, for checkpoints: the four xoshiro words, the cached normal and its flag.
  struct State {
    std::array<uint64_t, 4> s{};
    double spare = 0;
    bool has_spare = false;
  };
  State state() const { return {s_, spare_, has_spare_}; }
  void set_state(const State& st) { s_ = st.s; spare_ = st.spare; has_spare_ = st.has_spare; }

 private:
  std::array<uint64_t, 4> s_{};
  double spare_ = 0;
  bool has_spare_ = false;
};

Generator& default_generator();    // the global generator used when none is passed
void manual_seed(uint64_t seed);   // reseeds the global generator

}  // namespace easel
