// Easel's own f32 GEMM: packed panels, cache blocks and a register-blocked micro-kernel chosen at
// run time for the CPU it runs on (tensor/gemm.h says when it is used; Eigen stays the reference).
//
// Threads: C is cut into one rectangle per thread (whole panels / strips; the grid that packs the
// least), and each thread runs the serial loops below on its own rectangle: no barrier, no shared
// buffer. On 2 cores this beat handing out blocks of one shared packing 1.3-2× on resnet50's shapes.
//
//   for each block of NC columns (jc) and KC inner indices (pc):
//     pack B[pc:+KC, jc:+NC] into strips of NR columns    Bp [strip][k][NR]   (zero past N)
//     for each block of MC rows (ic):
//       pack A[ic:+MC, pc:+KC] into panels of MR rows     Ap [panel][k][MR]   (alpha folded in, zero past M)
//       for each strip, for each panel: C[MR×NR] (+)= Ap_panel · Bp_strip     (the micro-kernel)
//
// The micro-kernel keeps an MR×NR tile of C in vector registers and streams one packed column of A
// (MR values, each broadcast) and one packed row of B (NR values) per step of k: 2·MR·NR flops for
// MR + NR loads. AVX-512: 12×32 (24 zmm accumulators), AVX2: 6×16 (12 ymm), portable: 4×16 in
// plain loops. The ISA-specific kernels carry their own target attributes, so a binary built
// without -march=native still gets them on a CPU that has them.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "tensor/allocator.h"
#include "tensor/gemm.h"
#include "tensor/parallel.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EASEL_X86 1
#endif

namespace easel {

namespace {

// c[MR×NR] (row stride ldc) = (accumulate ? c : 0) + a[kc][MR]ᵀ · b[kc][NR]
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate);

template <int MR, int NR>
void kernel_portable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k, a += MR, b += NR)
    for (int i = 0; i < MR; ++i)
#pragma omp simd
      for (int j = 0; j < NR; ++j) acc[i][j] += a[i] * b[j];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

#ifdef EASEL_X86
// The AVX-512 and AVX2 kernels are the same loop written twice on purpose: each must carry its own
// target attribute, and a template shared by both (its vector operations passed as a struct) is
// refused by clang when the build is not -march=native (vector arguments across a function without
// the ISA change the ABI). Keep the two in step.
__attribute__((target("avx512f,fma"))) void kernel_avx512(int64_t kc, const float* a, const float* b, float* c,
                                                           int64_t ldc, bool accumulate) {
  constexpr int MR = 12;
  __m512 acc[MR][2];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, a += MR, b += 32) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    if (accumulate) {
      acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_loadu_ps(ci));
      acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_loadu_ps(ci + 16));
    }
    _mm512_storeu_ps(ci, acc[i][0]);
    _mm512_storeu_ps(ci + 16, acc[i][1]);
  }
}

__attribute__((target("avx2,fma"))) void kernel_avx2(int64_t kc, const float* a, const float* b, float* c,
                                                      int64_t ldc, bool accumulate) {
  constexpr int MR = 6;
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, a += MR, b += 16) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    if (accumulate) {
      acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(ci));
      acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(ci + 8));
    }
    _mm256_storeu_ps(ci, acc[i][0]);
    _mm256_storeu_ps(ci + 8, acc[i][1]);
  }
}
#endif

struct Kernel {
  GemmPath path;
  int mr, nr;
  MicroKernel run;
};

const Kernel& kernel_for(GemmPath p) {
  static const Kernel portable{GemmPath::portable, 4, 16, kernel_portable<4, 16>};
#ifdef EASEL_X86
  static const Kernel avx512{GemmPath::avx512, 12, 32, kernel_avx512};
  static const Kernel avx2{GemmPath::avx2, 6, 16, kernel_avx2};
  if (p == GemmPath::avx512) return avx512;
  if (p == GemmPath::avx2) return avx2;
#endif
  return portable;
}

constexpr int64_t KC = 256;   // a packed A panel (MR×KC) and B strip (KC×NR) stay in L1
constexpr int64_t MC = 144;   // an A block (MC×KC, 144 KB) stays in L2; a multiple of every MR
constexpr int64_t NC = 3072;  // a packed B block (KC×NC, 3 MB) stays in L2 + L3

// A(i, k) = A[i·rs + k·cs]: row-major A, or its transpose, read through two strides.
struct View {
  const float* p;
  int64_t rs, cs;
  float at(int64_t i, int64_t k) const { return p[i * rs + k * cs]; }
};

// Ap [panel][k][mr] for rows [0, M), inner indices [pc, pc + kc): alpha·A, zero past M.
void pack_a(const View& A, int64_t M, int64_t pc, int64_t kc, int mr, float alpha, float* Ap, int64_t panel) {
  const int64_t i0 = panel * mr;
  float* dst = Ap + panel * kc * mr;
  const int64_t rows = std::min<int64_t>(mr, M - i0);
  if (A.cs == 1) {  // rows contiguous in k: read each row, write it strided by mr
    for (int64_t i = 0; i < rows; ++i) {
      const float* src = A.p + (i0 + i) * A.rs + pc;
      for (int64_t k = 0; k < kc; ++k) dst[k * mr + i] = alpha * src[k];
    }
  } else {
    for (int64_t k = 0; k < kc; ++k)
      for (int64_t i = 0; i < rows; ++i) dst[k * mr + i] = alpha * A.at(i0 + i, pc + k);
  }
  for (int64_t i = rows; i < mr; ++i)
    for (int64_t k = 0; k < kc; ++k) dst[k * mr + i] = 0.f;
}

// Bp [strip][k][nr] for columns [jc, jc + nc), inner indices [pc, pc + kc): zero past N.
void pack_b(const View& B, int64_t jc, int64_t nc, int64_t pc, int64_t kc, int nr, float* Bp, int64_t strip) {
  const int64_t j0 = strip * nr, cols = std::min<int64_t>(nr, nc - j0);
  float* dst = Bp + strip * kc * nr;
  if (B.rs == 1 && B.cs != 1) {  // columns contiguous in k: read each column, write it strided by nr
    for (int64_t j = 0; j < cols; ++j) {
      const float* src = B.p + pc + (jc + j0 + j) * B.cs;
      for (int64_t k = 0; k < kc; ++k) dst[k * nr + j] = src[k];
    }
    for (int64_t k = 0; k < kc; ++k) std::fill(dst + k * nr + cols, dst + (k + 1) * nr, 0.f);
    return;
  }
  for (int64_t k = 0; k < kc; ++k) {
    float* d = dst + k * nr;
    if (B.cs == 1) {
      const float* src = B.p + (pc + k) * B.rs + jc + j0;
      std::copy(src, src + cols, d);
    } else {
      for (int64_t j = 0; j < cols; ++j) d[j] = B.at(pc + k, jc + j0 + j);
    }
    std::fill(d + cols, d + nr, 0.f);
  }
}

// One thread's GEMM on its own rectangle of C, in the loop order of the header comment.
// Ap holds MC×KC, Bp KC×NC (rounded up to whole panels / strips).
void gemm_serial(const Kernel& kn, const View& A, const View& B, int64_t M, int64_t N, int64_t K, float alpha,
                 bool accumulate, float* C, int64_t ldc, float* Ap, float* Bp) {
  alignas(64) float tile[12 * 32];
  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc), strips = (nc + kn.nr - 1) / kn.nr;
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const bool acc = accumulate || pc > 0;
      for (int64_t s = 0; s < strips; ++s) pack_b(B, jc, nc, pc, kc, kn.nr, Bp, s);
      for (int64_t ic = 0; ic < M; ic += MC) {
        const int64_t mc = std::min(MC, M - ic), panels = (mc + kn.mr - 1) / kn.mr;
        const View a{A.p + ic * A.rs, A.rs, A.cs};
        for (int64_t p = 0; p < panels; ++p) pack_a(a, mc, pc, kc, kn.mr, alpha, Ap, p);
        for (int64_t s = 0; s < strips; ++s) {
          const float* b = Bp + s * kc * kn.nr;
          const int64_t j = jc + s * kn.nr, cols = std::min<int64_t>(kn.nr, N - j);
          for (int64_t p = 0; p < panels; ++p) {
            const int64_t i = ic + p * kn.mr, rows = std::min<int64_t>(kn.mr, M - i);
            float* c = C + i * ldc + j;
            if (rows == kn.mr && cols == kn.nr) {
              kn.run(kc, Ap + p * kc * kn.mr, b, c, ldc, acc);
              continue;
            }
            kn.run(kc, Ap + p * kc * kn.mr, b, tile, kn.nr, false);  // an edge: through a full tile
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t q = 0; q < cols; ++q)
                c[r * ldc + q] = acc ? c[r * ldc + q] + tile[r * kn.nr + q] : tile[r * kn.nr + q];
          }
        }
      }
    }
  }
}

// C (+)= alpha·A·B cut into tm × tn rectangles of C (whole panels / strips), one per thread: no
// barrier, each thread packs what it reads. The grid is the one that uses the most threads and,
// among those, packs the least (A is packed once per column of rectangles, B once per row).
// Every buffer is allocated before the parallel region: an exception must not leave one.
void gemm_threads(const Kernel& kn, const View& A, const View& B, int64_t M, int64_t N, int64_t K, float alpha,
                  bool accumulate, float* C, int64_t ldc, int threads) {
  const int64_t panels = (M + kn.mr - 1) / kn.mr, strips = (N + kn.nr - 1) / kn.nr;
  int tm = 1, tn = 1;
  double best = -1;
  for (int rows = 1; rows <= threads && rows <= panels; ++rows) {
    const int cols = int(std::min<int64_t>(threads / rows, strips));
    const double packing = double(rows) * double(K * N) + double(cols) * double(M * K);
    if (rows * cols > tm * tn || (rows * cols == tm * tn && (best < 0 || packing < best)))
      best = packing, tm = rows, tn = cols;
  }
  const int parts = tm * tn;
  // Per-thread buffers, no larger than the problem needs (a mat-vec does not take megabytes).
  // Each a multiple of 16 floats, so that every buffer starts 64-byte aligned (the kernels' aligned loads of Bp).
  auto round16 = [](int64_t n) { return (n + 15) / 16 * 16; };
  const int64_t ap = round16(std::min(MC, panels * kn.mr) * std::min(KC, K)),
                bp = round16(std::min(NC, strips * kn.nr) * std::min(KC, K));
  Scratch<float> buffers(size_t(parts * (ap + bp)));
  auto rectangle = [&](int r, float* Ap, float* Bp) {
    const int ri = r / tn, rj = r % tn;
    const int64_t m0 = panels * ri / tm * kn.mr, m1 = std::min(M, panels * (ri + 1) / tm * kn.mr);
    const int64_t n0 = strips * rj / tn * kn.nr, n1 = std::min(N, strips * (rj + 1) / tn * kn.nr);
    if (m0 < m1 && n0 < n1)
      gemm_serial(kn, View{A.p + m0 * A.rs, A.rs, A.cs}, View{B.p + n0 * B.cs, B.rs, B.cs}, m1 - m0, n1 - n0, K, alpha,
                  accumulate, C + m0 * ldc + n0, ldc, Ap, Bp);
  };
  if (parts == 1) return rectangle(0, buffers.data(), buffers.data() + ap);
#pragma omp parallel num_threads(parts)
  {
    // OpenMP may start fewer threads than asked (OMP_DYNAMIC, a thread limit): the rectangles are
    // dealt out round-robin, so every one is done whatever the team's size.
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
    float* mine = buffers.data() + t * (ap + bp);
    for (int r = t; r < parts; r += team) rectangle(r, mine, mine + ap);
  }
}

}  // namespace

void gemm_blocked(GemmPath path, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (beta != 0.f && beta != 1.f)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] *= beta;
  if (K == 0) {
    if (beta == 0.f)
      for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, 0.f);
    return;
  }
  // Few columns (a 1×1 convolution of a 7×7 map at batch 1): most of a 32-wide strip would be
  // padding, so the 16-wide AVX2 kernel serves (as fast per flop as AVX-512 on the Zen 5 measured).
  const Kernel& kn = kernel_for(N < 64 && path == GemmPath::avx512 ? GemmPath::avx2 : path);
  const View a = trans_a ? View{A, 1, lda} : View{A, lda, 1};  // op(A)(i, k)
  const View b = trans_b ? View{B, 1, ldb} : View{B, ldb, 1};  // op(B)(k, j)
  const int threads = omp_in_parallel() || 2 * M * N * K < (int64_t(1) << 21) ? 1 : num_threads();
  gemm_threads(kn, a, b, M, N, K, alpha, beta != 0.f, C, ldc, threads);
}

GemmPath detect_gemm_path() {
#ifdef EASEL_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return GemmPath::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return GemmPath::avx2;
#endif
  return GemmPath::portable;
}

}  // namespace easel
