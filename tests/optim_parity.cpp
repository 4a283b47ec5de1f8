// Replays tests/parity/optim_golden.py's gradients through Easel's optimizers and schedulers and
// compares with torch.optim's trajectories (f64, max relative error <= 1e-6).
//   optim_parity GOLDEN.npz
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>

#include "io/npz.h"
#include "optim/scheduler.h"

using namespace easel;

static NamedTensors golden;
static std::string path;
static Tensor G(const std::string& k) { return npz_get(golden, k, path); }

static double rel_err(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  double num = 0, den = 1e-300;
  for (size_t i = 0; i < x.size(); ++i) num = std::max(num, std::abs(x[i] - y[i])), den = std::max(den, std::abs(y[i]));
  return num / den;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: optim_parity GOLDEN.npz\n");
    return 2;
  }
  path = argv[1];
  golden = load_npz(path);
  int failed = 0, passed = 0;
  auto report = [&](const std::string& what, double err) {
    const bool ok = err <= 1e-6;
    std::printf("%s %-22s max relative error %.2e\n", ok ? "PASS" : "FAIL", what.c_str(), err);
    ok ? ++passed : ++failed;
  };
  using Make = std::function<std::unique_ptr<Optimizer>(Tensor a, Tensor b)>;
  auto one_group = [](std::unique_ptr<Optimizer> o, Tensor a, Tensor b, double lr, double wd) {
    ParamGroup g;
    g.names = {"a", "b"}, g.params = {a, b}, g.lr = lr, g.weight_decay = wd;
    o->add_group(g);
    return o;
  };
  const std::vector<std::pair<std::string, Make>> configs = {
      {"sgd", [&](Tensor a, Tensor b) { return one_group(std::make_unique<SGD>(), a, b, 0.1, 0); }},
      {"sgd_momentum_wd", [&](Tensor a, Tensor b) { return one_group(std::make_unique<SGD>(0.9), a, b, 0.1, 1e-2); }},
      {"sgd_nesterov", [&](Tensor a, Tensor b) { return one_group(std::make_unique<SGD>(0.9, true), a, b, 0.05, 0); }},
      {"adam", [&](Tensor a, Tensor b) { return one_group(std::make_unique<Adam>(), a, b, 1e-2, 0); }},
      {"adam_wd", [&](Tensor a, Tensor b) { return one_group(std::make_unique<Adam>(), a, b, 1e-2, 1e-2); }},
      {"adamw", [&](Tensor a, Tensor b) {
         return one_group(std::make_unique<Adam>(0.9, 0.999, 1e-8, true), a, b, 1e-2, 1e-2);
       }},
      {"adamw_groups", [&](Tensor a, Tensor b) {
         auto o = std::make_unique<Adam>(0.9, 0.999, 1e-8, true);
         ParamGroup ga, gb;
         ga.names = {"a"}, ga.params = {a}, ga.lr = 1e-2, ga.weight_decay = 0.05;
         gb.names = {"b"}, gb.params = {b}, gb.lr = 1e-4, gb.weight_decay = 0.05;
         o->add_group(ga);
         o->add_group(gb);
         return std::unique_ptr<Optimizer>(std::move(o));
       }}};
  for (const auto& [name, make] : configs) {
    Tensor a = G("init.a").clone().requires_grad_(), b = G("init.b").clone().requires_grad_();
    auto opt = make(a, b);
    double worst = 0;
    for (int s = 0; s < 10; ++s) {
      opt->zero_grad();
      const std::string gs = "grad." + std::to_string(s) + ".";
      a.impl().grad = G(gs + "a").clone().impl_;
      b.impl().grad = G(gs + "b").clone().impl_;
      opt->step();
      const std::string es = name + "." + std::to_string(s) + ".";
      worst = std::max({worst, rel_err(a, G(es + "a")), rel_err(b, G(es + "b"))});
    }
    report("optimizer " + name, worst);
  }
  // Schedulers: lr (and momentum) after construction and after each step, as PyTorch records them.
  auto run_sched = [&](const std::string& name, bool adam, int steps, const std::function<std::unique_ptr<Scheduler>(Optimizer&)>& make,
                       const std::vector<double>& metric = {}) {
    std::unique_ptr<Optimizer> opt = adam ? std::unique_ptr<Optimizer>(std::make_unique<Adam>())
                                          : std::unique_ptr<Optimizer>(std::make_unique<SGD>(0.9));
    ParamGroup g;
    g.names = {"p"}, g.params = {Tensor::zeros({1}, DType::f64).requires_grad_()}, g.lr = 0.1;
    opt->add_group(g);
    auto sched = make(*opt);
    std::vector<double> lr{opt->groups()[0].lr}, mom{opt->groups()[0].momentum};
    for (int i = 0; i < steps; ++i) {
      sched->step(metric.empty() ? NAN : metric[size_t(i)]);
      lr.push_back(opt->groups()[0].lr);
      mom.push_back(opt->groups()[0].momentum);
    }
    report("schedule " + name, rel_err(Tensor::from(lr, {int64_t(lr.size())}, DType::f64), G("sched." + name + ".lr")));
    if (name.rfind("onecycle", 0) == 0)
      report("momentum " + name,
             rel_err(Tensor::from(mom, {int64_t(mom.size())}, DType::f64), G("sched." + name + ".momentum")));
  };
  run_sched("step", false, 10, [](Optimizer& o) { return std::make_unique<StepLR>(o, 3, 0.1); });
  run_sched("cosine", false, 10, [](Optimizer& o) { return std::make_unique<CosineLR>(o, 10); });
  run_sched("cosine_min", false, 8, [](Optimizer& o) { return std::make_unique<CosineLR>(o, 8, 0.01); });
  run_sched("onecycle", false, 19, [](Optimizer& o) { return std::make_unique<OneCycleLR>(o, std::vector<double>{0.1}, 20); });
  run_sched("onecycle_adam", true, 19, [](Optimizer& o) { return std::make_unique<OneCycleLR>(o, std::vector<double>{0.1}, 20); });
  const std::vector<double> metric = G("plateau.metric").to_vector();
  run_sched("plateau", false, int(metric.size()),
            [](Optimizer& o) { return std::make_unique<ReduceLROnPlateau>(o, true, 0.5, 2, 1e-3); }, metric);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
