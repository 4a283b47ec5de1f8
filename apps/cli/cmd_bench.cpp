// easel bench: how fast a registry net runs here, in the protocol bench/models.sh uses for both
// Easel and PyTorch (bench/torch_models.py): warm-up steps, then timed steps; the median is the figure.
//   easel bench --model NAME --mode infer|train --batch B [--size 224] [--threads T] [--dtype f32|f64]
//               [--steps 5] [--warmup 2] [--classes 1000] [--json] [--profile] [--fold-bn]
// infer: eval mode, no gradients, one forward of a random batch per step (--fold-bn: the batch
// norms folded into their convolutions first, as `export --fold-bn` leaves a net).
// train: train mode, forward + cross-entropy on random labels + backward + AdamW step.
// train --distributed (under mpirun): --batch is the global batch, each rank takes its part and the
// gradients are summed over the ranks before the step; rank 0 prints the figures, with the share of
// the step spent summing gradients.
// GFLOP/s counts 2 FLOPs per multiply-add of the forward pass (times 3 for a training step:
// the backward pass costs about twice the forward). Peak RSS is the process's, from getrusage.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "apps/cli/args.h"
#include "apps/cli/commands.h"
#include "autograd/flops.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "autograd/profile.h"
#include "layers/surgery.h"
#include "nets/net.h"
#include "optim/data_parallel.h"
#include "optim/optimizer.h"
#include "tensor/comm.h"
#include "tensor/gemm.h"
#include "tensor/parallel.h"
#include "tensor/random.h"

namespace easel {

namespace {

struct BenchSetup {
  std::string model, mode, dtype;
  int64_t batch, size, classes, steps, warmup;
  double* comm_seconds = nullptr;  // train --distributed: time in all_reduce_gradients, per step
};

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // Linux reports kilobytes
}

// One benchmark step as a callable; `macs` gets the forward pass's multiply-adds per image.
std::function<void()> make_step(const BenchSetup& s, Net& net, Optimizer* opt, int64_t& macs) {
  const DType dt = s.dtype == "f64" ? DType::f64 : DType::f32;
  Generator gen(0);
  const Tensor x = Tensor::randn({s.batch, 3, s.size, s.size}, dt, &gen);
  std::vector<double> labels(size_t(s.batch));
  for (int64_t i = 0; i < s.batch; ++i) labels[size_t(i)] = double((i * 7919) % s.classes);
  const Tensor y = Tensor::from(labels, {s.batch}, DType::i64);
  {  // in eval mode: batch norm cannot take training statistics over one image
    const bool was_training = net.training();
    net.eval();
    MacCounter counter;
    NoGradGuard ng;
    net(x.slice(0, 0, 1));
    macs = counter.macs;
    net.train(was_training);
  }
  if (s.mode == "infer")
    return [&net, x] {
      NoGradGuard ng;
      net(x);
    };
  const int64_t r = world().rank(), R = world().size(), lo = s.batch * r / R, hi = s.batch * (r + 1) / R;
  const Tensor xs = x.slice(0, lo, hi).contiguous(), ys = y.slice(0, lo, hi).contiguous();
  const double share = double(hi - lo) / double(s.batch);
  double* comm = s.comm_seconds;
  return [&net, opt, xs, ys, share, comm] {
    OpProfile::restart();
    (cross_entropy(net(xs), ys) * share).backward();
    *comm = all_reduce_gradients(net.parameters());
    OpProfile::Section section("optimizer step");
    opt->step();
    opt->zero_grad();
  };
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  const Args args(argc, argv, 2, {"model", "mode", "batch", "size", "threads", "dtype", "steps", "warmup", "classes"},
                  {"json", "profile", "distributed", "fold-bn"});
  BenchSetup s{args.require("model"), args.get("mode", "infer"), args.get("dtype", "f32"), args.get_int("batch", 1),
               args.get_int("size", 224), args.get_int("classes", 1000), args.get_int("steps", 5),
               args.get_int("warmup", 2)};
  EASEL_CHECK(s.mode == "infer" || s.mode == "train", "bench: --mode must be infer or train, got '", s.mode, "'");
  EASEL_CHECK(s.dtype == "f32" || s.dtype == "f64", "bench: --dtype must be f32 or f64, got '", s.dtype, "'");
  EASEL_CHECK(s.batch >= 1 && s.batch <= 4096, "bench: --batch must be in [1, 4096], got ", s.batch);
  EASEL_CHECK(s.size >= 32 && s.size <= 4096, "bench: --size must be in [32, 4096], got ", s.size);
  EASEL_CHECK(s.steps >= 1 && s.warmup >= 0, "bench: --steps must be at least 1 and --warmup at least 0");
  EASEL_CHECK(s.classes >= 2, "bench: --classes must be at least 2, got ", s.classes);
  if (args.has("distributed")) {
    EASEL_CHECK(s.mode == "train", "bench: --distributed times training steps; add --mode train");
    join_mpi_job();
    EASEL_CHECK(s.batch >= world().size(), "bench: --batch ", s.batch, " is smaller than the ", world().size(), " ranks");
  }
  double comm_seconds = 0;
  s.comm_seconds = &comm_seconds;
  if (args.has("threads")) {
    const int64_t t = args.get_int("threads", 0);
    EASEL_CHECK(t >= 1 && t <= 1024, "bench: --threads must be in [1, 1024], got ", t);
    set_num_threads(int(t));
  }
  const bool json = args.has("json");

  const auto net = create_net(s.model, s.classes);
  if (s.dtype == "f64") net->to(DType::f64);
  net->train(s.mode == "train");
  if (args.has("fold-bn")) {  // as `export --fold-bn` leaves a net: fewer passes at inference
    EASEL_CHECK(s.mode == "infer", "bench: --fold-bn folds batch norms for inference; it needs --mode infer");
    fold_batch_norms(*net);  // (export --fold-bn checks the logits; tests/test_checkpoint.cpp checks the rule)
  }
  std::unique_ptr<Optimizer> opt;
  if (s.mode == "train") {
    opt = make_optimizer("adamw");
    ParamGroup all;
    for (const auto& [name, p] : net->named_parameters()) all.names.push_back(name), all.params.push_back(p);
    opt->add_group(std::move(all));
  }
  int64_t macs = 0;
  const auto step = make_step(s, *net, opt.get(), macs);

  using Clock = std::chrono::steady_clock;
  for (int64_t i = 0; i < s.warmup; ++i) {
    const auto t0 = Clock::now();
    step();
    std::fprintf(stderr, "warm-up %lld/%lld: %.1f ms\n", (long long)(i + 1), (long long)s.warmup,
                 std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::vector<double> ms, comm_ms;
  std::unique_ptr<OpProfile> profile;
  if (args.has("profile")) profile = std::make_unique<OpProfile>();
  for (int64_t i = 0; i < s.steps; ++i) {
    const auto t0 = Clock::now();
    step();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    comm_ms.push_back(1e3 * comm_seconds);
    if (world().rank() == 0) std::fprintf(stderr, "step %lld/%lld: %.1f ms (%.2f images/s)\n", (long long)(i + 1), (long long)s.steps,
                 ms.back(), 1e3 * double(s.batch) / ms.back());
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  std::sort(comm_ms.begin(), comm_ms.end());
  const double comm_median = comm_ms[comm_ms.size() / 2];
  if (world().rank() != 0) {  // rank 0 reports
    set_world(nullptr);
    return 0;
  }
  const double median = sorted[sorted.size() / 2], ips = 1e3 * double(s.batch) / median;
  const double flops_per_image = 2.0 * double(macs) * (s.mode == "train" ? 3.0 : 1.0);
  const double gflops = flops_per_image * ips / 1e9, rss = peak_rss_mb();
  if (json) {
    std::printf("{\"engine\": \"easel\", \"model\": \"%s\", \"mode\": \"%s\", \"batch\": %lld, \"size\": %lld, "
                "\"threads\": %d, \"dtype\": \"%s\", \"steps\": %lld, \"median_ms\": %.3f, \"min_ms\": %.3f, "
                "\"max_ms\": %.3f, \"images_per_second\": %.4f, \"gflops\": %.2f, \"peak_rss_mb\": %.1f, \"ranks\": %d, "
                "\"comm_median_ms\": %.3f, \"gemm\": \"%s\"}\n",
                s.model.c_str(), s.mode.c_str(), (long long)s.batch, (long long)s.size, num_threads(),
                s.dtype.c_str(), (long long)s.steps, median, sorted.front(), sorted.back(), ips, gflops, rss, world().size(),
                comm_median, gemm_path_name(gemm_path()));
  } else {
    std::printf("%s %s, batch %lld, %lldx%lld, %s, %d threads, f32 GEMM kernel %s\n", s.model.c_str(), s.mode.c_str(),
                (long long)s.batch, (long long)s.size, (long long)s.size, s.dtype.c_str(), num_threads(),
                gemm_path_name(gemm_path()));
    std::printf("  step: median %.1f ms (min %.1f, max %.1f, %lld steps after %lld warm-up)\n", median,
                sorted.front(), sorted.back(), (long long)s.steps, (long long)s.warmup);
    std::printf("  %.2f images/s, %.1f GFLOP/s, peak RSS %.0f MB\n", ips, gflops, rss);
    if (world().size() > 1)
      std::printf("  %d ranks: %.1f ms of the median step summing gradients (%.0f%%)\n", world().size(), comm_median,
                  100 * comm_median / median);
  }
  if (profile) std::printf("%s", profile->table(s.steps).c_str());
  set_world(nullptr);
  return 0;
}

}  // namespace easel
