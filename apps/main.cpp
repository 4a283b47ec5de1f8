// easel: the command-line tool.   easel demo | easel info | easel help
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "apps/toy_stripes.h"
#include "tensor/cuda/device.h"
#include "tensor/parallel.h"

using namespace easel;

namespace {

const char* kUsage =
    "usage: easel <command> [options]\n"
    "  demo [--steps N] [--seed S]   train a small conv net on generated images, printing the loss falling\n"
    "  info                          build configuration: threads, CUDA backend and devices\n"
    "  help                          this text\n";

int64_t int_flag(int argc, char** argv, const char* name, int64_t fallback) {
  for (int i = 2; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) {
      char* end = nullptr;
      const long long v = std::strtoll(argv[i + 1], &end, 10);
      EASEL_CHECK(end && *end == 0 && v > 0, name, " needs a positive integer, got '", argv[i + 1], "'");
      return v;
    }
  return fallback;
}

int demo(int argc, char** argv) {
  toy::TrainConfig cfg;
  cfg.steps = int_flag(argc, argv, "--steps", cfg.steps);
  cfg.seed = uint64_t(int_flag(argc, argv, "--seed", int64_t(cfg.seed)));
  std::printf("easel demo: a conv net learns horizontal stripes / vertical stripes / blobs (16x16, generated)\n");
  std::printf("            %lld SGD steps of %lld images, lr %.3g, momentum %.2g, %d threads\n",
              (long long)cfg.steps, (long long)cfg.batch, cfg.lr, cfg.momentum, num_threads());
  const auto t0 = std::chrono::steady_clock::now();
  double first = 0, smoothed = 0;
  const toy::TrainResult r = toy::train_stripes(cfg, [&](const toy::StepLog& s) {
    smoothed = s.step == 1 ? s.loss : 0.9 * smoothed + 0.1 * s.loss;
    if (s.step == 1) first = s.loss;
    if (s.step == 1 || s.step % 10 == 0 || s.step == cfg.steps) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double eta = elapsed / double(s.step) * double(cfg.steps - s.step);
      std::printf("step %4lld/%lld  loss %.4f (avg %.4f)  batch acc %5.1f%%  %6.0f img/s  ETA %.1fs\n",
                  (long long)s.step, (long long)cfg.steps, s.loss, smoothed, 100 * s.accuracy, s.images_per_s, eta);
      std::fflush(stdout);
    }
  });
  std::printf("loss %.4f -> %.4f (smoothed); validation: accuracy %.1f%% (chance 33.3%%), loss %.4f\n", first,
              smoothed, 100 * r.val_accuracy, r.val_loss);
  return 0;
}

int info() {
  std::printf("easel 0.1.0\nCPU threads: %d\n", num_threads());
  std::printf("CUDA backend: %s\n", cuda_compiled() ? "built" : "not built");
  std::printf("%s\n", cuda_versions().c_str());
  const int n = cuda_device_count();
  std::printf("CUDA devices: %d\n", n);
  for (int i = 0; i < n; ++i) std::printf("  %d: %s\n", i, cuda_device_name(i).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string cmd = argc > 1 ? argv[1] : "help";
    if (cmd == "demo") return demo(argc, argv);
    if (cmd == "info") return info();
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "easel: unknown command '%s'\n%s", cmd.c_str(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "easel: error: %s\n", e.what());
    return 1;
  }
}
