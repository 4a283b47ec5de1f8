// Easel's blocked f32 GEMM (tensor/gemm_blocked.cpp), each kernel this CPU runs, against Eigen's
// (the reference path) on shapes that hit every edge: partial panels and strips, several K, M and N
// cache blocks, both transposes, alpha / beta, a strided C, NaN in C with beta = 0, and a call from
// inside a parallel region. Plus the filter cache of Winograd's transformed weights.
#include <cmath>
#include <limits>

#include "autograd/conv_reference.h"
#include "autograd/conv_winograd.h"
#include "helpers.h"
#include "tensor/gemm.h"
#include "tensor/parallel.h"
#include "tensor/random.h"

using namespace easel;
using namespace easel::test;

namespace {

struct ForceGemm {  // gemm<float> uses `p` while this lives
  explicit ForceGemm(GemmPath p) : prev(gemm_path()) { set_gemm_path(p); }
  ~ForceGemm() { set_gemm_path(prev); }
  GemmPath prev;
};

std::vector<GemmPath> paths_this_cpu_runs() {
  std::vector<GemmPath> out = {GemmPath::portable};
  if (detect_gemm_path() == GemmPath::avx2 || detect_gemm_path() == GemmPath::avx512) out.push_back(GemmPath::avx2);
  if (detect_gemm_path() == GemmPath::avx512) out.push_back(GemmPath::avx512);
  return out;
}

std::vector<float> random_floats(size_t n, uint64_t seed) {
  Generator gen(seed);
  const Tensor t = Tensor::uniform({int64_t(n)}, -1, 1, DType::f32, &gen);
  return std::vector<float>(t.data<float>(), t.data<float>() + n);
}

// C = alpha·op(A)·op(B) + beta·C on `path`, with A, B, C stored with padded row strides.
std::vector<float> run(GemmPath path, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, float beta,
                       const std::vector<float>& A, int64_t lda, const std::vector<float>& B, int64_t ldb,
                       std::vector<float> C, int64_t ldc) {
  if (path == GemmPath::eigen) {  // gemm() on its reference path
    ForceGemm force(path);
    gemm<float>(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  } else {  // the blocked GEMM itself, whatever the shape (gemm() sends skinny ones to Eigen)
    gemm_blocked(path, ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  }
  return C;
}

}  // namespace

TEST_CASE("blocked f32 GEMM: every kernel this CPU runs equals Eigen's on edge shapes") {
  struct Case { int64_t M, N, K; };
  // 1 and primes (partial panels / strips), K past one KC block (256), M past MC (144), N past NC (3072).
  // {150, 70, 300}: the AVX-512 kernel (64 columns and more) past one MC block.
  const std::vector<Case> cases = {{1, 1, 1},   {5, 7, 3},     {13, 33, 17},  {12, 32, 256}, {25, 49, 257},
                                   {145, 15, 513}, {64, 3100, 9}, {3, 200, 600}, {150, 63, 40},  {7, 3075, 5},
                                   {150, 70, 300}};
  const int threads_before = num_threads();
  // 1 thread: N past NC and K past KC in one rectangle; 3 and 4: grids of rectangles (3 is prime).
  for (int threads : {threads_before, 1, 3, 4}) {
  set_num_threads(threads);
  CAPTURE(threads);
  for (const Case& c : cases)
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      const int64_t lda = (ta ? c.M : c.K) + 3, ldb = (tb ? c.K : c.N) + 5, ldc = c.N + 2;
      const auto A = random_floats(size_t((ta ? c.K : c.M) * lda), 1), B = random_floats(size_t((tb ? c.N : c.K) * ldb), 2);
      const auto C0 = random_floats(size_t(c.M * ldc), 3);
      for (const auto& ab : std::vector<std::pair<float, float>>{{1.f, 0.f}, {1.f, 1.f}, {-0.5f, 2.f}}) {
        const float alpha = ab.first, beta = ab.second;
        const auto want = run(GemmPath::eigen, ta, tb, c.M, c.N, c.K, alpha, beta, A, lda, B, ldb, C0, ldc);
        for (GemmPath p : paths_this_cpu_runs()) {
          const auto got = run(p, ta, tb, c.M, c.N, c.K, alpha, beta, A, lda, B, ldb, C0, ldc);
          double worst = 0;
          for (int64_t i = 0; i < c.M; ++i)
            for (int64_t j = 0; j < ldc; ++j) {
              const size_t at = size_t(i * ldc + j);
              // padding columns of C past N are never touched
              if (j >= c.N) REQUIRE(got[at] == C0[at]);
              else worst = std::max(worst, double(std::fabs(got[at] - want[at])) / (1.0 + std::fabs(want[at])));
            }
          INFO(gemm_path_name(p), " M=", c.M, " N=", c.N, " K=", c.K, " ta=", ta, " tb=", tb, " alpha=", alpha,
               " beta=", beta);
          CHECK(worst < 2e-5 * std::sqrt(double(c.K)));
        }
      }
    }
  }
  set_num_threads(threads_before);
  // One thread, N past NC (3072) and K past KC (256) in one product.
  set_num_threads(1);
  const auto A = random_floats(size_t(20 * 300), 8), B = random_floats(size_t(300 * 3100), 9);
  const std::vector<float> C0(size_t(20 * 3100), 0.f);
  const auto want = run(GemmPath::eigen, false, false, 20, 3100, 300, 1.f, 0.f, A, 300, B, 3100, C0, 3100);
  for (GemmPath p : paths_this_cpu_runs()) {
    const auto got = run(p, false, false, 20, 3100, 300, 1.f, 0.f, A, 300, B, 3100, C0, 3100);
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, double(std::fabs(got[i] - want[i])));
    CHECK(worst < 1e-3);
  }
  set_num_threads(threads_before);
}

TEST_CASE("blocked f32 GEMM: beta = 0 ignores NaN in C; K = 0 gives beta·C; inside a parallel region") {
  const int64_t M = 20, N = 40, K = 30;
  const auto A = random_floats(size_t(M * K), 4), B = random_floats(size_t(K * N), 5);
  const std::vector<float> nan_c(size_t(M * N), std::numeric_limits<float>::quiet_NaN());
  const auto want = run(GemmPath::eigen, false, false, M, N, K, 1.f, 0.f, A, K, B, N, std::vector<float>(size_t(M * N), 0.f), N);
  for (GemmPath p : paths_this_cpu_runs()) {
    CAPTURE(gemm_path_name(p));
    const auto got = run(p, false, false, M, N, K, 1.f, 0.f, A, K, B, N, nan_c, N);
    for (size_t i = 0; i < got.size(); ++i) REQUIRE(std::fabs(got[i] - want[i]) < 1e-4);
    const auto k0 = run(p, false, false, M, N, 0, 1.f, 0.5f, A, K, B, N, std::vector<float>(size_t(M * N), 4.f), N);
    for (float v : k0) REQUIRE(v == 2.f);
    for (float v : run(p, false, false, M, N, 0, 1.f, 0.f, A, K, B, N, nan_c, N)) REQUIRE(v == 0.f);
    // NaN in C with beta = 0, transposed operands, K past one KC block
    const int64_t K2 = 600;
    const auto A2 = random_floats(size_t(M * K2), 6), B2 = random_floats(size_t(K2 * N), 7);
    const auto want2 = run(GemmPath::eigen, true, true, M, N, K2, 1.f, 0.f, A2, M, B2, K2, std::vector<float>(size_t(M * N), 0.f), N);
    const auto got2 = run(p, true, true, M, N, K2, 1.f, 0.f, A2, M, B2, K2, nan_c, N);
    for (size_t i = 0; i < got2.size(); ++i) REQUIRE(std::fabs(got2[i] - want2[i]) < 1e-3);
    // 16 GEMMs at once, one per thread, as the Winograd convolution runs them
    std::vector<std::vector<float>> outs(16, std::vector<float>(size_t(M * N)));
#pragma omp parallel for
    for (int r = 0; r < 16; ++r)
      gemm_blocked(p, false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, outs[size_t(r)].data(), N);
    for (const auto& o : outs)
      for (size_t i = 0; i < o.size(); ++i) REQUIRE(std::fabs(o[i] - want[i]) < 1e-4);
  }
}

TEST_CASE("GEMM paths: names, a path the CPU lacks is refused, automatic is the detected one") {
  CHECK(std::string(gemm_path_name(GemmPath::avx512)) == "avx512");
  ForceGemm keep(gemm_path());
  set_gemm_path(GemmPath::automatic);
  CHECK(gemm_path() == detect_gemm_path());
  if (detect_gemm_path() != GemmPath::avx512)
    CHECK_THROWS_WITH(set_gemm_path(GemmPath::avx512), doctest::Contains("lacks"));
  set_gemm_path(GemmPath::portable);
  CHECK(gemm_path() == GemmPath::portable);
  // A skinny product (one row: a linear layer at batch 1) goes to Eigen on every path: bit-equal.
  const auto A = random_floats(64, 12), B = random_floats(64 * 40, 13);
  const auto on_eigen = run(GemmPath::eigen, false, false, 1, 40, 64, 1.f, 0.f, A, 64, B, 40, std::vector<float>(40), 40);
  std::vector<float> C(40);
  gemm<float>(false, false, 1, 40, 64, 1.f, A.data(), 64, B.data(), 40, 0.f, C.data(), 40);
  CHECK(C == on_eigen);
}

TEST_CASE("Winograd filter cache: reused while the weights are unchanged, recomputed after an in-place change") {
  const Conv3x3Shape s{1, 16, 6, 6, 16, 1, 1, 6, 6};
  Tensor w = rnd({16, 16, 3, 3}, 21, -1, 1, false).to(DType::f32);
  std::vector<float> fresh(size_t(16 * winograd_filter_stride(s)));
  const auto u1 = winograd_filters_cached<float>(s, w.data<float>());
  const auto u2 = winograd_filters_cached<float>(s, w.data<float>());
  CHECK(u1.get() == u2.get());  // the same entry: nothing recomputed
  CHECK(winograd_filter_cache_bytes() >= size_t(16 * 16) * 4 * 25);
  w.data<float>()[100] += 0.25f;  // an in-place update, as an optimizer step makes
  const auto u3 = winograd_filters_cached<float>(s, w.data<float>());
  CHECK(u3.get() != u1.get());
  winograd_filters<float>(s, w.data<float>(), fresh.data());
  CHECK(*u3 == fresh);
  // And through conv2d with grad off: the answer follows the weights.
  NoGradGuard no_grad;
  const Tensor x = rnd({1, 16, 6, 6}, 22, -1, 1, false).to(DType::f32);
  const Tensor before = conv2d(x, w, Tensor(), {1, 1});
  w.data<float>()[7] -= 1.f;
  const Tensor after = conv2d(x, w, Tensor(), {1, 1});
  const Tensor want = conv2d_reference(x, w, Tensor(), {1, 1});
  CHECK(max_abs_diff(after, want) < 1e-4);
  CHECK(max_abs_diff(before, after) > 1e-2);
}
