// Times Easel's core ops; bench/run.sh runs the same cases in PyTorch and prints the ratios.
// Output: one line per case, "name milliseconds" (median of the repeats).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "tensor/gemm.h"
#include "tensor/random.h"

using namespace easel;

static double median_ms(const std::function<void()>& f, int reps) {
  f();  // warm-up
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

static void conv_case(const char* name, Shape x, Shape w, Conv2dOptions o, int reps) {
  Generator g(1);
  const Tensor X = Tensor::randn(x, DType::f32, &g), W = Tensor::randn(w, DType::f32, &g) * 0.05;
  {
    NoGradGuard ng;
    std::printf("%s_fwd %.3f\n", name, median_ms([&] { conv2d(X, W, Tensor(), o); }, reps));
  }
  Tensor Xg = X.clone().requires_grad_(), Wg = W.detach().clone().requires_grad_();
  std::printf("%s_fwdbwd %.3f\n", name, median_ms([&] {
    Xg.zero_grad(), Wg.zero_grad();
    sum(conv2d(Xg, Wg, Tensor(), o)).backward();
  }, reps));
  std::fflush(stdout);
}

int main() {
  Generator g(0);
  {
    const int64_t n = 1024;
    const Tensor A = Tensor::randn({n, n}, DType::f32, &g), B = Tensor::randn({n, n}, DType::f32, &g);
    Tensor C = Tensor::empty({n, n});
    std::printf("gemm1024 %.3f\n", median_ms([&] {
      gemm<float>(false, false, n, n, n, 1.f, A.data<float>(), n, B.data<float>(), n, 0.f, C.data<float>(), n);
    }, 10));
  }
  {
    const Tensor X = Tensor::randn({64, 2048}, DType::f32, &g), W = (Tensor::randn({1000, 2048}, DType::f32, &g) * 0.02);
    Tensor Wg = W.clone().requires_grad_();
    std::printf("linear64x2048x1000_fwdbwd %.3f\n", median_ms([&] {
      Wg.zero_grad();
      sum(linear(X, Wg)).backward();
    }, 10));
  }
  conv_case("conv3x3_64_56_b8", {8, 64, 56, 56}, {64, 64, 3, 3}, {1, 1}, 5);
  conv_case("conv1x1_256to64_56_b8", {8, 256, 56, 56}, {64, 256, 1, 1}, {}, 5);
  conv_case("conv7x7s2_3to64_224_b4", {4, 3, 224, 224}, {64, 3, 7, 7}, {2, 3}, 5);
  conv_case("dwconv3x3_96_56_b8", {8, 96, 56, 56}, {96, 1, 3, 3}, {1, 1, 1, 96}, 5);
  conv_case("conv3x3_64_56_b1", {1, 64, 56, 56}, {64, 64, 3, 3}, {1, 1}, 10);
  return 0;
}
