// The device suite: every test here runs ops on cuda:0 and compares them with the CPU. It runs
// wherever a CUDA device exists — a GPU, or the simulation build (-DEASEL_CUDA=SIM) — and exits
// 77 otherwise, which CTest reports as skipped (never as passed).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "tensor/cuda/runtime.h"

int main(int argc, char** argv) {
  using namespace easel;
  if (cuda::device_count() == 0) {
    std::printf("no CUDA device (backend: %s): the device suite is skipped\n", cuda::backend_description());
    return 77;
  }
  std::printf("device suite on %s (%s)\n", cuda::device_name(0).c_str(), cuda::backend_description());
  doctest::Context context(argc, argv);
  return context.run();
}
