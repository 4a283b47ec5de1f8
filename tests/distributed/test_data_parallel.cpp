// Data parallelism on real MPI ranks: run by CTest as `mpirun -np 2 easel_mpi_tests` (label: mpi).
// Every rank runs every case in the same order (the collectives pair up); each rank also computes
// the single-process reference itself, so each compares its own result with it.
//
// The central check (the equivalence): N optimizer steps with the global batch split over
// the ranks — each rank's part forward and backward, loss scaled by its share, gradients summed by
// all_reduce_gradients, batch norm synchronised — give the weights of one process that takes the
// whole batch: with SGD, f64 to 1e-12 and f32 to 1e-5 (max |a - b| / max |b| over the state).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "layers/basic.h"
#include "nets/net.h"
#include "optim/data_parallel.h"
#include "optim/optimizer.h"
#include "tensor/comm.h"
#include "tensor/cuda/runtime.h"
#include "tensor/random.h"

using namespace easel;

namespace {

struct Setup {
  std::string model = "resnet18", optimizer = "adamw";
  DType dtype = DType::f64;
  int64_t batch = 16, size = 64, classes = 3, steps = 3;
  double lr = 1e-2;
  bool sync_bn = true;
};

std::shared_ptr<Net> fresh_net(const Setup& s) {
  manual_seed(11);  // the same initial weights on every rank and for the reference
  auto net = create_net(s.model, s.classes);
  net->to(s.dtype);
  net->train();
  return net;
}

std::unique_ptr<Optimizer> optimizer_for(const Setup& s, Net& net) {
  auto opt = make_optimizer(s.optimizer);
  ParamGroup g;
  g.lr = s.lr, g.weight_decay = 0.01;
  g.momentum = 0.9;
  for (const auto& [name, p] : net.named_parameters()) g.names.push_back(name), g.params.push_back(p);
  opt->add_group(std::move(g));
  return opt;
}

// The global batch of step k: the same on every rank.
std::pair<Tensor, Tensor> global_batch(const Setup& s, int64_t k) {
  Generator g(100 + uint64_t(k));
  const Tensor x = Tensor::randn({s.batch, 3, s.size, s.size}, s.dtype, &g);
  std::vector<double> labels;
  for (int64_t i = 0; i < s.batch; ++i) labels.push_back(double((i * 5 + k) % s.classes));
  return {x, Tensor::from(labels, {s.batch}, DType::i64)};
}

// One process, whole batches.
NamedTensors train_alone(const Setup& s) {
  auto net = fresh_net(s);
  auto opt = optimizer_for(s, *net);
  for (int64_t k = 0; k < s.steps; ++k) {
    const auto [x, y] = global_batch(s, k);
    opt->zero_grad();
    cross_entropy((*net)(x), y).backward();
    opt->step();
  }
  return net->state_dict();
}

// This rank's contiguous part of every batch (as the sharded DataLoader takes it), the loss scaled
// by its share of the batch, gradients summed over the ranks.
NamedTensors train_spread(const Setup& s) {
  auto net = fresh_net(s);
  if (s.sync_bn)
    for (auto& [name, m] : net->named_modules())
      if (auto* bn = dynamic_cast<BatchNorm*>(m)) bn->sync = true;
  auto opt = optimizer_for(s, *net);
  std::vector<Tensor> params = net->parameters();
  const int64_t r = world().rank(), R = world().size();
  const int64_t lo = s.batch * r / R, hi = s.batch * (r + 1) / R;
  for (int64_t k = 0; k < s.steps; ++k) {
    const auto [x, y] = global_batch(s, k);
    opt->zero_grad();
    const Tensor loss = cross_entropy((*net)(x.slice(0, lo, hi)), y.slice(0, lo, hi));
    (loss * (double(hi - lo) / double(s.batch))).backward();
    all_reduce_gradients(params, 64 << 10);  // small buckets: several per step
    opt->step();
  }
  return net->state_dict();
}

// max |a - b| over every floating element of the state, divided by max |b| over the same elements:
// the error relative to the weights' scale. (Per tensor it would be ill-posed: a bias whose gradient
// is analytically ~0 — it feeds a train-mode batch norm through a linear path — is rounding noise
// in both runs.) `worst` names the tensor holding the largest |a - b|.
double max_relative_difference(const NamedTensors& a, const NamedTensors& b, std::string* worst = nullptr) {
  REQUIRE(a.size() == b.size());
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].second.dtype() == DType::i64) continue;
    const std::vector<double> u = a[i].second.to_vector(), v = b[i].second.to_vector();
    for (size_t j = 0; j < u.size(); ++j) {
      if (std::fabs(u[j] - v[j]) > diff && worst) *worst = a[i].first;
      diff = std::max(diff, std::fabs(u[j] - v[j]));
      scale = std::max(scale, std::fabs(v[j]));
    }
  }
  return diff / scale;
}

}  // namespace

TEST_CASE("the launcher gave this test two ranks or more") { REQUIRE(world().size() >= 2); }

// SGD with momentum carries gradients into weights with a factor of lr, so rounding differences stay
// at rounding size. Adam divides by √v + ε: a gradient that is analytically ~0 (rounding noise, of a
// different value in each run) becomes a step of up to lr, so its bound is looser (checked in f64).
// The f64 SGD case is the exactness check (measured 9e-16). In f32 the two runs sum the stem's
// weight gradient (16 × 12544 terms per weight) in different orders and groupings: 1.5e-6 with
// Eigen's GEMM, 2.4e-5 with Easel's blocked one (which sums each 256-long block of k in one chain;
// on that product alone its error against an f64 reference is 1.1e-6, Eigen's 6e-7), hence 5e-5.
TEST_CASE("resnet18 on a batch split over the ranks with synchronised batch norm equals one process") {
  struct Case {
    const char* optimizer;
    DType dtype;
    double lr, bound;
  };
  for (const Case& c : {Case{"sgd", DType::f64, 1e-2, 1e-12}, Case{"sgd", DType::f32, 1e-3, 5e-5},
                        Case{"adamw", DType::f64, 1e-2, 1e-6}}) {
    Setup s;
    s.optimizer = c.optimizer, s.dtype = c.dtype, s.lr = c.lr;
    const NamedTensors alone = train_alone(s), spread = train_spread(s);
    std::string worst;
    const double err = max_relative_difference(spread, alone, &worst);
    const double moved = max_relative_difference(alone, fresh_net(s)->state_dict());
    if (world().rank() == 0)
      std::printf("equivalence %s %s, %d ranks x %lld images, %lld steps: max |difference| / max |weight| = %.3g "
                  "(largest in %s); the steps changed the state by up to %.3g of its largest value\n", c.optimizer,
                  dtype_name(c.dtype), world().size(), (long long)(s.batch / world().size()), (long long)s.steps, err,
                  worst.c_str(), moved);
    CHECK(moved > 1e-3);  // the steps did change the weights
    CHECK(err <= c.bound);
  }
}

TEST_CASE("without synchronised batch norm the same split is not the same computation (the check above can fail)") {
  Setup s;
  s.sync_bn = false;
  const double err = max_relative_difference(train_spread(s), train_alone(s));
  CHECK(err > 1e-6);
}

TEST_CASE("all_reduce_gradients: a gradient on one rank only reaches every rank; none anywhere stays none") {
  Tensor a = Tensor::zeros({3}, DType::f64), b = Tensor::zeros({2, 2}, DType::f32), c = Tensor::zeros({1}, DType::f64);
  for (Tensor* t : {&a, &b, &c}) t->requires_grad_();
  const double r = world().rank();
  a.set_grad(Tensor::from({1 + r, 2 + r, 3 + r}, {3}, DType::f64));
  if (world().rank() == 1) b.set_grad(Tensor::from({1, 2, 3, 4}, {2, 2}, DType::f32));
  all_reduce_gradients({a, b, c}, 8);  // 8 bytes: a bucket per tensor
  const double R = world().size(), offsets = R * (R - 1) / 2;  // Σ_r r
  CHECK(a.grad().to_vector() == std::vector<double>{R + offsets, 2 * R + offsets, 3 * R + offsets});
  REQUIRE(b.grad().defined());
  CHECK(b.grad().to_vector() == std::vector<double>{1, 2, 3, 4});
  CHECK_FALSE(c.grad().defined());
}

TEST_CASE("broadcast_tensors and broadcast: every rank gets rank 0's values") {
  Tensor t = Tensor::full({4}, double(world().rank() + 5), DType::f32);
  Tensor n = Tensor::full({}, double(world().rank()), DType::i64);
  broadcast_tensors({{"t", t}, {"n", n}});
  CHECK(t.to_vector() == std::vector<double>{5, 5, 5, 5});
  CHECK(n.item() == 0);
  std::string s = world().rank() == 0 ? std::string(3 << 20, 'x') : "short";
  broadcast(s);
  CHECK(s == std::string(3 << 20, 'x'));
}

// GPU ranks: NCCL on a GPU build with a device per rank; on the simulated device its stand-in (MPI
// on the devices' memory), reached through the same calls. Skipped where no device is visible.
TEST_CASE("device gradients are summed device to device through NCCL" * doctest::skip(cuda::device_count() == 0)) {
  const Device dev = Device::cuda(world().local_rank() % cuda::device_count());
  set_device_comm(cuda::open_nccl(dev.index, world().rank(), world().size(),
                                  [](void* bytes, int64_t n) { world().broadcast(bytes, n, 0); }));
  REQUIRE(has_device_comm());
  const double r = world().rank(), R = world().size();
  Tensor t = Tensor::from({1 + r, 2 + r, 3 + r}, {3}, DType::f64).to(dev);
  all_reduce_sum(t);
  const double offsets = R * (R - 1) / 2;
  CHECK(t.to_vector() == std::vector<double>{R + offsets, 2 * R + offsets, 3 * R + offsets});
  // gradients on the device, in a bucket (small) and alone (large), against the same sums on the CPU
  std::vector<Tensor> on_device, on_host;
  for (int64_t n : {5, 300000}) {
    Generator g(50 + uint64_t(n) + uint64_t(world().rank()));
    const Tensor grad = Tensor::randn({n}, DType::f32, &g);
    for (std::vector<Tensor>* v : {&on_device, &on_host}) {
      Tensor p = Tensor::zeros({n}, DType::f32, v == &on_device ? dev : Device::cpu());
      p.requires_grad_();
      p.set_grad(grad.to(p.device()));
      v->push_back(p);
    }
  }
  all_reduce_gradients(on_device);
  all_reduce_gradients(on_host);
  for (size_t i = 0; i < on_host.size(); ++i)
    CHECK(max_relative_difference({{"g", on_device[i].grad().cpu()}}, {{"g", on_host[i].grad()}}) < 1e-6);
  set_device_comm(nullptr);
}

int main(int argc, char** argv) {
  set_world(open_mpi());
  doctest::Context context(argc, argv);
  const int failed = context.run();
  world().barrier();
  set_world(nullptr);
  return failed ? 1 : 0;
}
