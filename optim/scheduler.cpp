#include "optim/scheduler.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace easel {

NamedTensors Scheduler::state_dict() const { return {{"t", Tensor::scalar(double(t_), DType::i64)}}; }

void Scheduler::load_state_dict(const NamedTensors& sd) {
  for (const auto& [k, v] : sd)
    if (k == "t") t_ = int64_t(v.item());
}

StepLR::StepLR(Optimizer& opt, int64_t s, double g) : Scheduler(opt), step_size(s), gamma(g) {
  EASEL_CHECK(s > 0, "StepLR: step_size must be positive, got ", s);
}

void StepLR::step(double) {
  ++t_;
  for (ParamGroup& g : opt_.groups()) g.lr = g.initial_lr * std::pow(gamma, double(t_ / step_size));
}

CosineLR::CosineLR(Optimizer& opt, int64_t t, double e) : Scheduler(opt), t_max(t), eta_min(e) {
  EASEL_CHECK(t > 0, "CosineLR: T_max must be positive, got ", t);
}

void CosineLR::step(double) {
  ++t_;
  for (ParamGroup& g : opt_.groups())
    g.lr = eta_min + (g.initial_lr - eta_min) * (1 + std::cos(M_PI * double(t_) / double(t_max))) / 2;
}

OneCycleLR::OneCycleLR(Optimizer& opt, std::vector<double> max_lr, int64_t total, double pct, double div, double final_div,
                       bool cycle_m, double base_m, double max_m)
    : Scheduler(opt), max_lr_(std::move(max_lr)), div_(div), final_div_(final_div), pct_(pct), base_m_(base_m),
      max_m_(max_m), total_(total), cycle_m_(cycle_m) {
  EASEL_CHECK(total > 0 && pct > 0 && pct < 1, "OneCycleLR: need total_steps > 0 and 0 < pct_start < 1");
  const size_t groups = opt_.groups().size();
  if (max_lr_.empty())
    for (const ParamGroup& g : opt_.groups()) max_lr_.push_back(g.lr);
  else if (max_lr_.size() == 1)
    max_lr_.assign(groups, max_lr_[0]);
  EASEL_CHECK(max_lr_.size() == groups, "OneCycleLR: ", max_lr_.size(), " max_lr values for ", groups, " parameter groups");
  for (size_t i = 0; i < groups; ++i) opt_.groups()[i].initial_lr = max_lr_[i] / div_;
  apply();
}

static double cos_anneal(double start, double end, double pct) { return end + (start - end) / 2 * (std::cos(M_PI * pct) + 1); }

// One phase position p ∈ [0, 1] for the whole step; each group scales it from its own η_max.
void OneCycleLR::apply() {
  // As PyTorch, total_steps steps may follow the construction (a loop steps after each of its
  // total_steps batches); the rate after the last one is never used by an update and stays at the floor.
  EASEL_CHECK(t_ <= total_, "OneCycleLR: stepped ", t_, " times, more than total_steps = ", total_);
  const double warm_end = pct_ * double(total_) - 1, end = double(total_) - 1, t = double(t_);
  const bool warming = t <= warm_end;
  const double p = warming ? t / warm_end : std::min(1.0, (t - warm_end) / (end - warm_end));
  const double m = warming ? cos_anneal(max_m_, base_m_, p) : cos_anneal(base_m_, max_m_, p);
  for (size_t i = 0; i < opt_.groups().size(); ++i) {
    ParamGroup& g = opt_.groups()[i];
    const double peak = max_lr_[i], initial = peak / div_, floor = initial / final_div_;
    g.lr = warming ? cos_anneal(initial, peak, p) : cos_anneal(peak, floor, p);
    if (cycle_m_) g.momentum = m;
  }
}

void OneCycleLR::step(double) {
  ++t_;
  apply();
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& opt, bool max, double f, int64_t p, double th, int64_t cd, double mlr)
    : Scheduler(opt), maximize(max), factor(f), threshold(th), min_lr(mlr), patience(p), cooldown(cd),
      best_(max ? -INFINITY : INFINITY) {
  EASEL_CHECK(f < 1, "ReduceLROnPlateau: factor must be < 1, got ", f);
}

void ReduceLROnPlateau::step(double metric) {
  EASEL_CHECK(!std::isnan(metric), "ReduceLROnPlateau: step() needs the watched metric");
  ++t_;
  const bool better = maximize ? metric > best_ * (1 + threshold) : metric < best_ * (1 - threshold);  // as PyTorch
  if (better) {
    best_ = metric;
    bad_ = 0;
  } else {
    ++bad_;
  }
  if (cooldown_left_ > 0) {
    --cooldown_left_;
    bad_ = 0;
  }
  if (bad_ > patience) {
    for (ParamGroup& g : opt_.groups()) {
      const double next = std::max(g.lr * factor, min_lr);
      if (g.lr - next > 1e-8) g.lr = next;
    }
    cooldown_left_ = cooldown;
    bad_ = 0;
  }
}

NamedTensors ReduceLROnPlateau::state_dict() const {
  return {{"t", Tensor::scalar(double(t_), DType::i64)},
          {"best", Tensor::scalar(best_, DType::f64)},
          {"bad", Tensor::scalar(double(bad_), DType::i64)},
          {"cooldown_left", Tensor::scalar(double(cooldown_left_), DType::i64)}};
}

void ReduceLROnPlateau::load_state_dict(const NamedTensors& sd) {
  for (const auto& [k, v] : sd) {
    if (k == "t") t_ = int64_t(v.item());
    if (k == "best") best_ = v.item();
    if (k == "bad") bad_ = int64_t(v.item());
    if (k == "cooldown_left") cooldown_left_ = int64_t(v.item());
  }
}

PlateauCycleLR::PlateauCycleLR(Optimizer& opt, double r, int64_t p, int64_t d, double f, double th)
    : Scheduler(opt), raise(r), floor(f), threshold(th), patience(p), decay_epochs(d) {
  EASEL_CHECK(r >= 1 && f > 0 && p >= 1 && d >= 1, "plateau-cycle: need raise >= 1, floor > 0, patience >= 1 and decay >= 1 (got ",
              r, ", ", f, ", ", p, ", ", d, ")");
  for (ParamGroup& g : opt_.groups()) g.initial_lr = g.initial_lr > 0 ? g.initial_lr : g.lr;
}

void PlateauCycleLR::apply() {
  double scale = 1;
  if (raised_at_ > 0) scale = raise + (floor - raise) * std::min(1.0, double(t_ - raised_at_) / double(decay_epochs));
  for (ParamGroup& g : opt_.groups()) g.lr = g.initial_lr * scale;
}

void PlateauCycleLR::step(double metric) {
  EASEL_CHECK(!std::isnan(metric), "plateau-cycle: step() needs the watched metric");
  ++t_;
  if (raised_at_ == 0) {
    if (metric > best_ + std::abs(best_) * threshold || std::isinf(best_)) best_ = metric, bad_ = 0;
    else if (++bad_ >= patience) raised_at_ = t_;  // the plateau: raise now, decay from the next epoch
  }
  apply();
}

NamedTensors PlateauCycleLR::state_dict() const {
  return {{"t", Tensor::scalar(double(t_), DType::i64)},
          {"best", Tensor::scalar(best_, DType::f64)},
          {"bad", Tensor::scalar(double(bad_), DType::i64)},
          {"raised_at", Tensor::scalar(double(raised_at_), DType::i64)}};
}

void PlateauCycleLR::load_state_dict(const NamedTensors& sd) {
  for (const auto& [k, v] : sd) {
    if (k == "t") t_ = int64_t(v.item());
    if (k == "best") best_ = v.item();
    if (k == "bad") bad_ = int64_t(v.item());
    if (k == "raised_at") raised_at_ = int64_t(v.item());
  }
}

bool EarlyStopping::update(double metric) {
  const bool better = maximize ? metric > best + std::abs(best) * threshold || std::isinf(best)
                               : metric < best - std::abs(best) * threshold || std::isinf(best);
  if (better) {
    best = metric;
    bad = 0;
  } else {
    ++bad;
  }
  return better;
}

std::unique_ptr<Scheduler> make_scheduler(const std::string& name, Optimizer& opt, int64_t epochs, int64_t steps) {
  if (name == "none" || name.empty()) return nullptr;
  if (name == "step") return std::make_unique<StepLR>(opt, std::max<int64_t>(1, epochs / 3), 0.1);
  if (name == "cosine") return std::make_unique<CosineLR>(opt, std::max<int64_t>(1, epochs));
  if (name == "onecycle") return std::make_unique<OneCycleLR>(opt, std::vector<double>{}, epochs * steps);
  if (name == "plateau") return std::make_unique<ReduceLROnPlateau>(opt, true, 0.5, 2, 1e-3);
  if (name.rfind("plateau-cycle", 0) == 0 && (name.size() == 13 || name[13] == ':')) {
    double raise = 2, floor = 0.01, patience = 3, decay = 30;
    std::stringstream items(name.size() > 13 ? name.substr(14) : "");
    for (std::string item; std::getline(items, item, ',');) {
      const size_t eq = item.find('=');
      const std::string key = item.substr(0, eq);
      double* slot = key == "raise" ? &raise : key == "floor" ? &floor : key == "patience" ? &patience : key == "decay" ? &decay : nullptr;
      char* end = nullptr;
      const double v = eq == std::string::npos ? NAN : std::strtod(item.c_str() + eq + 1, &end);
      EASEL_CHECK(slot && std::isfinite(v) && end && *end == 0, "--scheduler ", name, ": '", item,
                  "' is not one of raise=X, patience=N, decay=N, floor=X");
      EASEL_CHECK((slot != &patience && slot != &decay) || (v == std::floor(v) && v >= 1 && v <= 1e6), "--scheduler ",
                  name, ": ", key, " counts epochs: a whole number from 1 to 1000000, got ", item.substr(eq + 1));
      *slot = v;
    }
    return std::make_unique<PlateauCycleLR>(opt, raise, int64_t(patience), int64_t(decay), floor);
  }
  throw Error("unknown scheduler '" + name + "' (none, step, cosine, onecycle, plateau, plateau-cycle[:raise=2,patience=3,decay=30,floor=0.01])");
}

}  // namespace easel
