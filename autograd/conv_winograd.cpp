// Winograd F(2×2, 3×3) convolution: see conv_winograd.h for the math.
//
// Layout, per chunk of tc tiles (a tile = one 2×2 output block of one image; chunks keep the
// transformed data in cache): V [16][C][tc], M [16][O][tc], filters U [16][O][C]. ξ = 4·row + col
// indexes the 16 positions of a 4×4 transformed tile.
#include "autograd/conv_winograd.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "tensor/allocator.h"
#include "tensor/gemm.h"
#include "tensor/parallel.h"

namespace easel {

namespace {

ConvAlgorithm g_algorithm = [] {
  const char* e = std::getenv("EASEL_CONV");
  if (e && std::strcmp(e, "im2col") == 0) return ConvAlgorithm::im2col;
  if (e && std::strcmp(e, "winograd") == 0) return ConvAlgorithm::winograd;
  return ConvAlgorithm::automatic;
}();

// The 1-d transforms; a 2-d one applies its 1-d map to every column, then to every row.
//   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]   Aᵀ = [1 1 1 0; 0 1 -1 -1]
// Bᵀ (inputs), Aᵀ (outputs) and A (output gradients) are written out in the tile loops below;
// G and its adjoint Gᵀ (for the weight gradient: gg = Gᵀ·gu) here.
template <class T> void filter_1d(const T* g, T* u) {
  u[0] = g[0], u[1] = T(0.5) * (g[0] + g[1] + g[2]), u[2] = T(0.5) * (g[0] - g[1] + g[2]), u[3] = g[2];
}
template <class T> void filter_1d_adjoint(const T* u, T* g) {
  g[0] = u[0] + T(0.5) * (u[1] + u[2]), g[1] = T(0.5) * (u[1] - u[2]), g[2] = T(0.5) * (u[1] + u[2]) + u[3];
}

// out [RO×RO] = F · in [RI×RI] · Fᵀ, F the 1-d map f (RI values -> RO values).
template <int RI, int RO, class T, class F>
void transform_2d(const T* in, T* out, F f) {
  T tmp[RO * RI], col[RI], res[RO];
  for (int j = 0; j < RI; ++j) {
    for (int i = 0; i < RI; ++i) col[i] = in[i * RI + j];
    f(col, res);
    for (int i = 0; i < RO; ++i) tmp[i * RI + j] = res[i];
  }
  for (int i = 0; i < RO; ++i) f(tmp + i * RI, out + i * RO);
}

// Elements between consecutive ξ planes of V, M, gM ([16][rows][tc]) and U, gU ([16][O][C]): plus one cache
// line. Unpadded, the planes lie a power of two apart (a chunk of tiles times C is 64 Ki elements
// when C = O), so the 16 values of one tile map to one cache set: resnet18's 3×3 convolutions took
// 450 or 620 ms a training step depending on where a process's pages landed.
int64_t plane_stride(int64_t rows, int64_t tc) { return rows * tc + 16; }

struct Tiles {
  int64_t th, tw, count;  // tiles per column / row of an image, and in all
  explicit Tiles(const Conv3x3Shape& s) : th((s.OH + 1) / 2), tw((s.OW + 1) / 2), count(s.N * th * tw) {}
  // Tiles per chunk: V and M of one chunk take about 8 MB.
  int64_t chunk(const Conv3x3Shape& s, size_t elem) const {
    const int64_t fits = std::max<int64_t>(int64_t(8 << 20) / (16 * (s.C + s.O) * int64_t(elem)), 16);
    return std::max<int64_t>(std::min(fits, count), 1);
  }
};

// V[ξ][c][t] for tiles t0 .. t0+tc of input x (zero outside the image). A row of tiles at a time:
// its 4 input rows are first copied into a zero-padded strip (columns -pad_w .. 2·tw + 1 - pad_w),
// so the loop over the row's tiles has no bounds checks and vectorises across tiles: tile j reads
// strip columns 2j .. 2j+3 and writes V[ξ][c][t + j], contiguous in j. (The 1-d maps are written
// out in these loops: through a helper taking arrays, GCC no longer vectorised them — 1.5× slower.)
template <class T>
void transform_inputs(const Conv3x3Shape& s, const Tiles& tl, const T* x, int64_t t0, int64_t tc, T* V) {
  const int64_t width = 2 * tl.tw + 2, copy = std::min(s.W, width - s.pad_w), plane = plane_stride(s.C, tc);
  const PerThread<T> strips(size_t(4 * width));
  parallel_for(s.C, [&](int64_t c) {
    T* const strip = strips.mine();
    for (int64_t t = 0; t < tc;) {
      const int64_t g = t0 + t, n = g / (tl.th * tl.tw), ti = g / tl.tw % tl.th, tj0 = g % tl.tw;
      const int64_t run = std::min(tl.tw - tj0, tc - t);  // this tile row's tiles inside the chunk
      const T* xc = x + (n * s.C + c) * s.H * s.W;
      for (int r = 0; r < 4; ++r) {
        T* row = strip + r * width;
        const int64_t ih = 2 * ti - s.pad_h + r;
        std::fill(row, row + width, T(0));
        if (ih >= 0 && ih < s.H) std::copy(xc + ih * s.W, xc + ih * s.W + copy, row + s.pad_w);
      }
      const T *r0 = strip + 2 * tj0, *r1 = r0 + width, *r2 = r1 + width, *r3 = r2 + width;
      T* out = V + c * tc + t;
#pragma omp simd
      for (int64_t j = 0; j < run; ++j) {
        T a[4][4];  // Bᵀ down each of the tile's 4 columns
        for (int q = 0; q < 4; ++q) {
          const T d0 = r0[2 * j + q], d1 = r1[2 * j + q], d2 = r2[2 * j + q], d3 = r3[2 * j + q];
          a[0][q] = d0 - d2, a[1][q] = d1 + d2, a[2][q] = d2 - d1, a[3][q] = d1 - d3;
        }
        for (int i = 0; i < 4; ++i) {  // then along each row: V[4i + q]
          out[(4 * i + 0) * plane + j] = a[i][0] - a[i][2];
          out[(4 * i + 1) * plane + j] = a[i][1] + a[i][2];
          out[(4 * i + 2) * plane + j] = a[i][2] - a[i][1];
          out[(4 * i + 3) * plane + j] = a[i][1] - a[i][3];
        }
      }
      t += run;
    }
  }, tc * 32);
}

// Calls row(n, ti, tj0, t, run) for each row of tiles in tiles t0 .. t0+tc: tiles tj0 .. tj0+run-1
// of image n's tile row ti, which are the chunk's tiles t .. t+run-1.
template <class F>
void for_each_tile_run(const Tiles& tl, int64_t t0, int64_t tc, F&& row) {
  for (int64_t t = 0; t < tc;) {
    const int64_t g = t0 + t, n = g / (tl.th * tl.tw), ti = g / tl.tw % tl.th, tj0 = g % tl.tw;
    const int64_t run = std::min(tl.tw - tj0, tc - t);
    row(n, ti, tj0, t, run);
    t += run;
  }
}

// y (+ bias) from M[ξ][o][t]: Y = Aᵀ M A per tile, clipped at the image's edge. A row of tiles at
// a time into a 2-row strip (tile j's outputs at strip columns 2j, 2j+1), vectorised across tiles;
// then the strip's rows into y.
template <class T>
void transform_outputs(const Conv3x3Shape& s, const Tiles& tl, const T* M, const T* b, int64_t t0, int64_t tc, T* y) {
  const int64_t width = 2 * tl.tw, plane = plane_stride(s.O, tc);
  const PerThread<T> strips(size_t(2 * width));
  parallel_for(s.O, [&](int64_t o) {
    T* const strip = strips.mine();
    const T bias = b ? b[o] : T(0);
    for_each_tile_run(tl, t0, tc, [&](int64_t n, int64_t ti, int64_t tj0, int64_t t, int64_t run) {
      const T* m = M + o * tc + t;
      T *s0 = strip, *s1 = strip + width;
#pragma omp simd
      for (int64_t j = 0; j < run; ++j) {
        T a[2][4];  // Aᵀ down each of the 4 columns
        for (int q = 0; q < 4; ++q) {
          const T m0 = m[(0 + q) * plane + j], m1 = m[(4 + q) * plane + j], m2 = m[(8 + q) * plane + j],
                  m3 = m[(12 + q) * plane + j];
          a[0][q] = m0 + m1 + m2, a[1][q] = m1 - m2 - m3;
        }
        s0[2 * j] = a[0][0] + a[0][1] + a[0][2], s0[2 * j + 1] = a[0][1] - a[0][2] - a[0][3];
        s1[2 * j] = a[1][0] + a[1][1] + a[1][2], s1[2 * j + 1] = a[1][1] - a[1][2] - a[1][3];
      }
      const int64_t ow0 = 2 * tj0, cols = std::min(2 * run, s.OW - ow0);
      for (int r = 0; r < 2 && 2 * ti + r < s.OH; ++r) {
        T* yr = y + ((n * s.O + o) * s.OH + 2 * ti + r) * s.OW + ow0;
        const T* src = strip + r * width;
        for (int64_t q = 0; q < cols; ++q) yr[q] = src[q] + bias;
      }
    });
  }, tc * 32);
}

// gM[ξ][o][t] = (A gY Aᵀ)[ξ] per tile, gY zero past the image's edge: the adjoint of the output
// transform. gy's two rows under a row of tiles are copied into a zero-padded strip first.
template <class T>
void transform_output_grads(const Conv3x3Shape& s, const Tiles& tl, const T* gy, int64_t t0, int64_t tc, T* gM) {
  const int64_t width = 2 * tl.tw, plane = plane_stride(s.O, tc);
  const PerThread<T> strips(size_t(2 * width));
  parallel_for(s.O, [&](int64_t o) {
    T* const strip = strips.mine();
    for_each_tile_run(tl, t0, tc, [&](int64_t n, int64_t ti, int64_t tj0, int64_t t, int64_t run) {
      const int64_t ow0 = 2 * tj0, cols = std::min(2 * run, s.OW - ow0);
      for (int r = 0; r < 2; ++r) {
        T* row = strip + r * width;
        std::fill(row, row + 2 * run, T(0));
        if (2 * ti + r < s.OH) std::copy_n(gy + ((n * s.O + o) * s.OH + 2 * ti + r) * s.OW + ow0, cols, row);
      }
      const T *g0 = strip, *g1 = strip + width;
      T* m = gM + o * tc + t;
#pragma omp simd
      for (int64_t j = 0; j < run; ++j) {
        T a[4][2];  // A down each of the 2 columns: (y0, y0 + y1, y0 - y1, -y1)
        for (int q = 0; q < 2; ++q) {
          const T y0 = g0[2 * j + q], y1 = g1[2 * j + q];
          a[0][q] = y0, a[1][q] = y0 + y1, a[2][q] = y0 - y1, a[3][q] = -y1;
        }
        for (int i = 0; i < 4; ++i) {  // then along each row
          m[(4 * i + 0) * plane + j] = a[i][0];
          m[(4 * i + 1) * plane + j] = a[i][0] + a[i][1];
          m[(4 * i + 2) * plane + j] = a[i][0] - a[i][1];
          m[(4 * i + 3) * plane + j] = -a[i][1];
        }
      }
    });
  }, tc * 32);
}

constexpr size_t kFilterCacheBytes = size_t(512) << 20;

// The filter cache: one entry per weight buffer, holding the bytes U was made from.
struct CachedFilters {
  std::shared_ptr<const std::vector<unsigned char>> weights;  // the weights' bytes when U was computed
  std::shared_ptr<const void> U;        // std::vector<T>
  uint64_t last_use = 0;
};

struct FilterCache {
  std::mutex mutex;
  std::map<std::tuple<const void*, int64_t, int64_t, size_t>, CachedFilters> entries;  // (w, O, C, sizeof T)
  size_t bytes = 0;
  uint64_t clock = 0;
};

FilterCache& filter_cache() {
  static FilterCache* c = new FilterCache;  // never destroyed: convolutions may run during static destruction
  return *c;
}

// Whether n bytes at a and b are equal. Every cache hit compares all the weights (resnet50: 40 MB
// per batch-1 forward), so the comparison is split across threads in 256 KB pieces.
bool same_bytes(const unsigned char* a, const unsigned char* b, size_t n) {
  constexpr size_t piece = size_t(256) << 10;
  std::atomic<bool> differ{false};
  parallel_for(int64_t((n + piece - 1) / piece), [&](int64_t i) {
    const size_t at = size_t(i) * piece, len = std::min(piece, n - at);
    if (!differ.load(std::memory_order_relaxed) && std::memcmp(a + at, b + at, len) != 0) differ = true;
  }, int64_t(piece / 8));
  return !differ;
}

size_t entry_bytes(int64_t O, int64_t C, size_t elem) { return size_t(O * C * 9 + 16 * (O * C + 16)) * elem; }

}  // namespace

ConvAlgorithm conv_algorithm() { return g_algorithm; }
void set_conv_algorithm(ConvAlgorithm a) { g_algorithm = a; }

int64_t winograd_filter_stride(const Conv3x3Shape& s) { return plane_stride(s.O, s.C); }

template <class T>
void winograd_filters(const Conv3x3Shape& s, const T* w, T* U) {
  const int64_t plane = winograd_filter_stride(s);
  parallel_for(s.O * s.C, [&](int64_t oc) {
    T u[16];
    transform_2d<3, 4>(w + oc * 9, u, filter_1d<T>);
    for (int k = 0; k < 16; ++k) U[k * plane + oc] = u[k];
  }, 64);
}

template <class T>
std::shared_ptr<const std::vector<T>> winograd_filters_cached(const Conv3x3Shape& s, const T* w) {
  FilterCache& c = filter_cache();
  const auto key = std::make_tuple(static_cast<const void*>(w), s.O, s.C, sizeof(T));
  const size_t wbytes = size_t(s.O * s.C * 9) * sizeof(T);
  {
    std::shared_ptr<const std::vector<unsigned char>> kept;  // compared outside the lock
    std::shared_ptr<const void> U;
    {
      std::lock_guard<std::mutex> lock(c.mutex);
      if (auto it = c.entries.find(key); it != c.entries.end()) {
        kept = it->second.weights, U = it->second.U;
        it->second.last_use = ++c.clock;
      }
    }
    if (kept && kept->size() == wbytes && same_bytes(kept->data(), reinterpret_cast<const unsigned char*>(w), wbytes))
      return std::static_pointer_cast<const std::vector<T>>(U);
  }
  auto U = std::make_shared<std::vector<T>>(size_t(16 * winograd_filter_stride(s)));
  winograd_filters(s, w, U->data());
  const size_t bytes = entry_bytes(s.O, s.C, sizeof(T));
  if (bytes > kFilterCacheBytes / 4) return U;  // too large to keep: computed each time
  CachedFilters entry;  // complete before it enters the map: a failed allocation leaves the map as it was
  const auto* wb = reinterpret_cast<const unsigned char*>(w);
  entry.weights = std::make_shared<const std::vector<unsigned char>>(wb, wb + wbytes);
  entry.U = U;
  std::lock_guard<std::mutex> lock(c.mutex);
  if (auto it = c.entries.find(key); it != c.entries.end()) {  // stale (or another thread's): replace
    c.bytes -= bytes;
    c.entries.erase(it);
  }
  while (c.bytes + bytes > kFilterCacheBytes && !c.entries.empty()) {  // least recently used out first
    auto lru = std::min_element(c.entries.begin(), c.entries.end(),
                                [](const auto& a, const auto& b) { return a.second.last_use < b.second.last_use; });
    c.bytes -= entry_bytes(std::get<1>(lru->first), std::get<2>(lru->first), std::get<3>(lru->first));
    c.entries.erase(lru);
  }
  entry.last_use = ++c.clock;
  c.entries.emplace(key, std::move(entry));
  c.bytes += bytes;
  return U;
}

size_t winograd_filter_cache_bytes() {
  std::lock_guard<std::mutex> lock(filter_cache().mutex);
  return filter_cache().bytes;
}

template <class T>
void winograd_conv3x3_forward(const Conv3x3Shape& s, const T* x, const T* w, const T* b, T* y) {
  Scratch<T> U(size_t(16 * winograd_filter_stride(s)));
  winograd_filters(s, w, U.data());
  winograd_conv3x3_forward_transformed(s, x, U.data(), b, y);
}

template <class T>
void winograd_conv3x3_forward_transformed(const Conv3x3Shape& s, const T* x, const T* U, const T* b, T* y) {
  const Tiles tl(s);
  const int64_t chunk = tl.chunk(s, sizeof(T));
  Scratch<T> V(size_t(16 * plane_stride(s.C, chunk))), M(size_t(16 * plane_stride(s.O, chunk)));
  for (int64_t t0 = 0; t0 < tl.count; t0 += chunk) {
    const int64_t tc = std::min(chunk, tl.count - t0);
    transform_inputs(s, tl, x, t0, tc, V.data());
    parallel_for(16, [&](int64_t k) {  // M[ξ] = U[ξ] · V[ξ]: 16 independent GEMMs, one thread each
      gemm<T>(false, false, s.O, tc, s.C, T(1), U + k * winograd_filter_stride(s), s.C, V.data() + k * plane_stride(s.C, tc), tc, T(0),
              M.data() + k * plane_stride(s.O, tc), tc);
    }, s.O * s.C * tc);
    transform_outputs(s, tl, M.data(), b, t0, tc, y);
  }
}

template <class T>
void winograd_conv3x3_grad_input(const Conv3x3Shape& s, const T* gy, const T* w, T* gx) {
  // gx = conv(gy, w flipped in space with in/out channels swapped, padding 2 - p): a forward pass.
  Scratch<T> wf(size_t(s.C * s.O * 9));
  for (int64_t o = 0; o < s.O; ++o)
    for (int64_t c = 0; c < s.C; ++c)
      for (int k = 0; k < 9; ++k) wf[size_t((c * s.O + o) * 9 + 8 - k)] = w[(o * s.C + c) * 9 + k];
  const Conv3x3Shape t{s.N, s.O, s.OH, s.OW, s.C, 2 - s.pad_h, 2 - s.pad_w, s.H, s.W};
  winograd_conv3x3_forward<T>(t, gy, wf.data(), nullptr, gx);
}

template <class T>
void winograd_conv3x3_grad_weight(const Conv3x3Shape& s, const T* x, const T* gy, T* gw) {
  const Tiles tl(s);
  const int64_t chunk = tl.chunk(s, sizeof(T));
  Scratch<T> V(size_t(16 * plane_stride(s.C, chunk))), gM(size_t(16 * plane_stride(s.O, chunk)));
  const int64_t uplane = winograd_filter_stride(s);
  std::vector<T> gU(size_t(16 * uplane), T(0));
  for (int64_t t0 = 0; t0 < tl.count; t0 += chunk) {
    const int64_t tc = std::min(chunk, tl.count - t0);
    transform_inputs(s, tl, x, t0, tc, V.data());
    transform_output_grads(s, tl, gy, t0, tc, gM.data());
    parallel_for(16, [&](int64_t k) {  // gU[ξ] += gM[ξ] · V[ξ]ᵀ
      gemm<T>(false, true, s.O, s.C, tc, T(1), gM.data() + k * plane_stride(s.O, tc), tc, V.data() + k * plane_stride(s.C, tc), tc, T(1),
              gU.data() + k * uplane, s.C);
    }, s.O * s.C * tc);
  }
  parallel_for(s.O * s.C, [&](int64_t oc) {  // gw += Gᵀ gU G
    T u[16], g[9];
    for (int k = 0; k < 16; ++k) u[k] = gU[size_t(k * uplane + oc)];
    transform_2d<4, 3>(u, g, filter_1d_adjoint<T>);
    for (int k = 0; k < 9; ++k) gw[oc * 9 + k] += g[k];
  }, 64);
}

#define EASEL_WINOGRAD(T)                                                                                  \
  template void winograd_filters<T>(const Conv3x3Shape&, const T*, T*);                                    \
  template std::shared_ptr<const std::vector<T>> winograd_filters_cached<T>(const Conv3x3Shape&, const T*); \
  template void winograd_conv3x3_forward_transformed<T>(const Conv3x3Shape&, const T*, const T*, const T*, T*); \
  template void winograd_conv3x3_forward<T>(const Conv3x3Shape&, const T*, const T*, const T*, T*);       \
  template void winograd_conv3x3_grad_input<T>(const Conv3x3Shape&, const T*, const T*, T*);              \
  template void winograd_conv3x3_grad_weight<T>(const Conv3x3Shape&, const T*, const T*, T*);
EASEL_WINOGRAD(float)
EASEL_WINOGRAD(double)

}  // namespace easel
