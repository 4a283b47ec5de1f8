#include "optim/optimizer.h"

#include <cmath>
#include <cstdlib>
#include <map>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "optim/cuda/steps.h"
#include "optim/step_math.h"
#include "tensor/parallel.h"
#include "tensor/strided.h"

namespace easel {

void Optimizer::add_group(ParamGroup g) {
  EASEL_CHECK(g.names.size() == g.params.size(), "add_group: ", g.names.size(), " names for ", g.params.size(), " tensors");
  for (const Tensor& p : g.params)
    EASEL_CHECK(p.is_leaf() && is_floating(p.dtype()), "optimizer: parameters must be floating leaves, got ", p.describe());
  if (g.initial_lr == 0) g.initial_lr = g.lr;
  if (g.momentum < 0) g.momentum = default_momentum_;
  state_.emplace_back(g.params.size());
  groups_.push_back(std::move(g));
}

void Optimizer::zero_grad() {
  for (ParamGroup& g : groups_)
    for (Tensor& p : g.params) p.zero_grad();
}

Tensor& Optimizer::slot(size_t g, size_t i, const std::string& name, const Tensor& like) {
  auto& slots = state_[g][i];
  auto it = slots.find(name);
  if (it == slots.end()) it = slots.emplace(name, Tensor::zeros(like.shape(), like.dtype(), like.device())).first;
  else if (it->second.device() != like.device()) it->second = it->second.to(like.device());  // the module moved
  return it->second;
}

NamedTensors Optimizer::state_dict() const {
  NamedTensors out{{"steps", Tensor::scalar(double(steps_), DType::i64)}};
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string pre = "group." + std::to_string(g) + ".";
    out.emplace_back(pre + "lr", Tensor::scalar(groups_[g].lr, DType::f64));
    out.emplace_back(pre + "momentum", Tensor::scalar(groups_[g].momentum, DType::f64));
    for (size_t i = 0; i < groups_[g].params.size(); ++i)
      for (const auto& [n, t] : state_[g][i])
        out.emplace_back("state." + std::to_string(g) + "." + groups_[g].names[i] + "." + n, t);
  }
  return out;
}

// Slots are matched to parameters by name, in whichever group holds them now; a saved group's lr
// and momentum go to the group that now holds that group's parameters. So a checkpoint loads into
// groups numbered differently (an older Easel ordered --layer-lr groups by rate).
void Optimizer::load_state_dict(const NamedTensors& sd) {
  struct Key {
    std::string kind, rest;
    size_t group;
  };
  auto parse = [](const std::string& k) {
    const size_t dot1 = k.find('.'), dot2 = k.find('.', dot1 + 1);
    EASEL_CHECK(dot1 != std::string::npos && dot2 != std::string::npos, "optimizer state: bad key '", k, "'");
    const std::string group = k.substr(dot1 + 1, dot2 - dot1 - 1);
    EASEL_CHECK(!group.empty() && group.size() < 7 && group.find_first_not_of("0123456789") == std::string::npos,
                "optimizer state: bad group number in key '", k, "'");
    return Key{k.substr(0, dot1), k.substr(dot2 + 1), size_t(std::atoi(group.c_str()))};
  };
  auto holder = [&](const std::string& pname) -> std::pair<size_t, size_t> {  // (group, index) or groups_.size()
    for (size_t g = 0; g < groups_.size(); ++g)
      for (size_t i = 0; i < groups_[g].names.size(); ++i)
        if (groups_[g].names[i] == pname) return {g, i};
    return {groups_.size(), 0};
  };
  std::map<size_t, size_t> now;  // saved group -> the group holding its parameters now
  for (const auto& [k, t] : sd) {
    if (k == "steps" || k.rfind("group.", 0) == 0) continue;
    const Key key = parse(k);
    const std::string pname = key.rest.substr(0, key.rest.rfind('.'));
    const size_t g = holder(pname).first;
    if (g < groups_.size()) now.emplace(key.group, g);
  }
  for (const auto& [k, t] : sd) {
    if (k == "steps") {
      steps_ = int64_t(t.item());
      continue;
    }
    const Key key = parse(k);
    if (key.kind == "group") {
      const size_t g = now.count(key.group) ? now[key.group] : key.group;
      EASEL_CHECK(g < groups_.size(), "optimizer state: key '", k, "' names group ", key.group, " of ", groups_.size());
      if (key.rest == "lr") groups_[g].lr = t.item();
      else if (key.rest == "momentum") groups_[g].momentum = t.item();
      continue;
    }
    const size_t last = key.rest.rfind('.');
    const std::string pname = key.rest.substr(0, last), sname = key.rest.substr(last + 1);
    const auto [g, i] = holder(pname);
    EASEL_CHECK(g < groups_.size(), "optimizer state: no parameter '", pname, "' in any group (key '", k, "')");
    // step counts stay host scalars; moments and buffers live with their parameter (device, dtype)
    const bool bookkeeping = sname == "step" || sname == "started";
    Tensor& s = slot(g, i, sname, bookkeeping ? t : groups_[g].params[i]);
    EASEL_CHECK(s.shape() == t.shape(), "optimizer state '", k, "': shape ", shape_str(t.shape()), " but the slot has ",
                shape_str(s.shape()));
    s.copy_(t);
  }
}

void Optimizer::for_each_param(const char* who, const std::function<void(size_t, size_t, Tensor&, const Tensor&)>& f) {
  NoGradGuard ng;
  ++steps_;
  for (size_t gi = 0; gi < groups_.size(); ++gi)
    for (size_t i = 0; i < groups_[gi].params.size(); ++i) {
      Tensor p = groups_[gi].params[i];
      if (!p.grad().defined()) continue;  // frozen, or unused in this step
      EASEL_CHECK(p.is_contiguous(), who, ": parameter ", groups_[gi].names[i], " is not contiguous");
      f(gi, i, p, dense(p.grad()));
    }
}

// The updates run as one fused loop per parameter (no temporaries), in the parameter's dtype.
void SGD::step() {
  for_each_param("SGD", [&](size_t gi, size_t i, Tensor& p, const Tensor& g) {
      const ParamGroup& G = groups_[gi];
      const bool use_buf = G.momentum != 0;
      Tensor started = use_buf ? slot(gi, i, "started", Tensor::zeros({}, DType::f64)) : Tensor();
      Tensor buf = use_buf ? slot(gi, i, "momentum_buffer", p) : Tensor();
      const bool first = use_buf && started.item() == 0;
      if (use_buf) started.set({}, 1);
      const math::SgdUpdate u{G.lr, G.weight_decay, G.momentum, dampening, nesterov, first};
      if (p.device().is_cuda()) return cuda::sgd_step(p, g, buf, u);
      dispatch_float(p.dtype(), "SGD", [&](auto zero) {
        using T = decltype(zero);
        T* pp = p.data<T>();
        const T* pg = g.data<T>();
        T* pb = use_buf ? buf.data<T>() : nullptr;
        parallel_for(p.numel(), [&](int64_t k) { u(pp[k], pg[k], pb ? pb + k : nullptr); });
      });
  });
}

void Adam::step() {
  for_each_param("Adam", [&](size_t gi, size_t i, Tensor& p, const Tensor& g) {
      const ParamGroup& G = groups_[gi];
      Tensor count = slot(gi, i, "step", Tensor::zeros({}, DType::f64));
      const double t = count.item() + 1;
      count.set({}, t);
      Tensor m = slot(gi, i, "exp_avg", p), v = slot(gi, i, "exp_avg_sq", p);
      const double b1 = G.momentum, bc1 = 1 - std::pow(b1, t), sqrt_bc2 = std::sqrt(1 - std::pow(beta2, t));
      const math::AdamUpdate u{G.lr, G.weight_decay, b1, beta2, eps, bc1, sqrt_bc2, decoupled};
      if (p.device().is_cuda()) return cuda::adam_step(p, g, m, v, u);
      dispatch_float(p.dtype(), "Adam", [&](auto zero) {
        using T = decltype(zero);
        T *pp = p.data<T>(), *pm = m.data<T>(), *pv = v.data<T>();
        const T* pg = g.data<T>();
        parallel_for(p.numel(), [&](int64_t k) { u(pp[k], pg[k], pm[k], pv[k]); });
      });
  });
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name) {
  if (name == "sgd") return std::make_unique<SGD>(0.9);
  if (name == "nesterov") return std::make_unique<SGD>(0.9, true);
  if (name == "adam") return std::make_unique<Adam>();
  if (name == "adamw") return std::make_unique<Adam>(0.9, 0.999, 1e-8, true);
  throw Error("unknown optimizer '" + name + "' (sgd, nesterov, adam, adamw)");
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  NoGradGuard ng;
  double total = 0;
  for (const Tensor& p : params)
    if (p.grad().defined()) {
      const Tensor g = p.grad().to(DType::f64);
      total += sum(g * g).item();
    }
  const double norm = std::sqrt(total), scale = max_norm / (norm + 1e-6);  // as torch.nn.utils.clip_grad_norm_
  if (scale < 1)
    for (const Tensor& p : params)
      if (p.grad().defined()) {
        Tensor g = p.grad();
        g.copy_(g * scale);
      }
  return norm;
}

}  // namespace easel
