// Learning-rate schedulers with PyTorch's semantics (checked against torch.optim.lr_scheduler):
//   step:     η_e = η₀·γ^⌊e/s⌋
//   cosine:   η_e = η_min + (η₀ - η_min)(1 + cos(πe/T))/2
//   onecycle: η warms from η_max/div to η_max over pct·T steps, then anneals to η_max/(div·final_div)
//             (cosine), while the momentum / β₁ goes max → base → max; η_max per group
//   plateau:  η ← max(η·factor, η_min) after `patience` epochs without a relative improvement of
//             `threshold` in the watched metric (mode max: accuracy, macro-F1; min: loss)
// plus early stopping, which watches a metric the same way. Each rewrites the optimizer groups' lr.
#pragma once
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "optim/optimizer.h"

namespace easel {

class Scheduler {
 public:
  explicit Scheduler(Optimizer& opt) : opt_(opt) {}
  virtual ~Scheduler() = default;
  // When the training loop calls step(): after every optimizer step, or once per epoch (with the
  // validation metric, which only plateau reads). The loop asks; it never tests the kind.
  enum class Cadence { per_epoch, per_batch };
  virtual Cadence cadence() const { return Cadence::per_epoch; }
  virtual void step(double metric = NAN) = 0;
  virtual NamedTensors state_dict() const;
  virtual void load_state_dict(const NamedTensors& sd);
  int64_t last_step() const { return t_; }

 protected:
  Optimizer& opt_;
  int64_t t_ = 0;
};

class StepLR : public Scheduler {
 public:
  StepLR(Optimizer& opt, int64_t step_size, double gamma = 0.1);
  void step(double = NAN) override;
  int64_t step_size;
  double gamma;
};

class CosineLR : public Scheduler {
 public:
  CosineLR(Optimizer& opt, int64_t t_max, double eta_min = 0);
  void step(double = NAN) override;
  int64_t t_max;
  double eta_min;
};

// max_lr: one value for every group, or one per group (PyTorch's list form); empty: each group's
// own lr at construction, so per-layer rates keep their ratios through the cycle.
class OneCycleLR : public Scheduler {
 public:
  OneCycleLR(Optimizer& opt, std::vector<double> max_lr, int64_t total_steps, double pct_start = 0.3,
             double div_factor = 25, double final_div_factor = 1e4, bool cycle_momentum = true,
             double base_momentum = 0.85, double max_momentum = 0.95);
  void step(double = NAN) override;
  Cadence cadence() const override { return Cadence::per_batch; }

 private:
  void apply();
  std::vector<double> max_lr_;  // per group
  double div_, final_div_, pct_, base_m_, max_m_;
  int64_t total_;
  bool cycle_m_;
};

class ReduceLROnPlateau : public Scheduler {
 public:
  ReduceLROnPlateau(Optimizer& opt, bool maximize = true, double factor = 0.1, int64_t patience = 10,
                    double threshold = 1e-4, int64_t cooldown = 0, double min_lr = 0);
  void step(double metric) override;
  NamedTensors state_dict() const override;
  void load_state_dict(const NamedTensors& sd) override;
  bool maximize;
  double factor, threshold, min_lr;
  int64_t patience, cooldown;

 private:
  double best_;
  int64_t bad_ = 0, cooldown_left_ = 0;
};

// The pose seed's one-cycle variant, per epoch on the watched metric (mode max): hold η₀ until
// `patience` epochs pass without a relative improvement of `threshold`, then raise to raise·η₀ and
// decay linearly over `decay_epochs` to floor·η₀, then hold that:
//   η_e = η₀ (holding);  raise·η₀ + (floor - raise)·η₀·min(1, (e - e_r)/decay_epochs) after the raise at e_r
// Every group from its own η₀.
class PlateauCycleLR : public Scheduler {
 public:
  PlateauCycleLR(Optimizer& opt, double raise = 2, int64_t patience = 3, int64_t decay_epochs = 30, double floor = 0.01,
                 double threshold = 1e-3);
  void step(double metric) override;
  NamedTensors state_dict() const override;
  void load_state_dict(const NamedTensors& sd) override;
  double raise, floor, threshold;
  int64_t patience, decay_epochs;
  int64_t raised_at() const { return raised_at_; }  // the epoch of the raise, 0 before it

 private:
  void apply();
  double best_ = -INFINITY;
  int64_t bad_ = 0, raised_at_ = 0;
};

// Stops training after `patience` epochs without improvement (relative threshold, as plateau).
class EarlyStopping {
 public:
  EarlyStopping(int64_t patience, bool maximize = true, double threshold = 0)
      : patience(patience), maximize(maximize), threshold(threshold), best(maximize ? -INFINITY : INFINITY) {}
  bool update(double metric);  // true when the metric is a new best
  bool should_stop() const { return bad >= patience; }
  int64_t patience;
  bool maximize;
  double threshold, best;
  int64_t bad = 0;
};

// "none", "step" (step_size = epochs/3, γ 0.1), "cosine" (T = epochs), "onecycle" (per batch, each
// group peaking at its own lr),
// "plateau" (mode max, factor 0.5, patience 2, threshold 1e-3: the abstract-vs-figurative seed's),
// "plateau-cycle" (the pose seed's; options after a colon: "plateau-cycle:raise=1.5,patience=3,
// decay=30,floor=0.01").
std::unique_ptr<Scheduler> make_scheduler(const std::string& name, Optimizer& opt, int64_t epochs,
                                          int64_t steps_per_epoch);

}  // namespace easel
