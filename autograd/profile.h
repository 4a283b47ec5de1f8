// Where the time goes, per op: while an OpProfile lives (per thread), every op's forward and
// backward wall time is added up under the op's name ("conv2d 3x3", "batch_norm", "add", ...).
// `easel bench --profile` prints it.
//
// Forward time is measured as laps: every op calls OpProfile::lap(name) when its result is ready
// (record() does, for all differentiable ops), and the time since the previous lap is charged to
// it. Work that is not an op (the optimizer step) runs inside a Section charged to its own name.
// Backward time is measured per node by the engine.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace easel {

class OpProfile {
 public:
  OpProfile();
  ~OpProfile();
  OpProfile(const OpProfile&) = delete;
  OpProfile& operator=(const OpProfile&) = delete;

  struct Row {
    double forward_s = 0, backward_s = 0;
    int64_t calls = 0;  // forward calls
  };
  std::map<std::string, Row> rows;
  double total_s() const;
  std::string table(int64_t steps) const;  // per step: ms forward / backward, share of the total

  static bool active();
  static void lap(const char* op);                       // forward of `op` just finished
  static void restart();                                 // the next lap starts now
  static void add_backward(const std::string& op, double seconds);
  static void pause(bool on);  // no laps while paused (the backward walk, a Section); resuming restarts

  // Everything between construction and destruction is charged to `what` (e.g. "optimizer step").
  class Section {
   public:
    explicit Section(const char* what);
    ~Section();
    Section(const Section&) = delete;
    Section& operator=(const Section&) = delete;

   private:
    const char* what_;
    std::chrono::steady_clock::time_point start_;
  };

 private:
  OpProfile* prev_;
  std::chrono::steady_clock::time_point last_;
  bool paused_ = false;
};

}  // namespace easel
