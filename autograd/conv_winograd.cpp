// Winograd F(2×2, 3×3) convolution: see conv_winograd.h for the math.
//
// Layout, per chunk of tc tiles (a tile = one 2×2 output block of one image; chunks keep the
// transformed data in cache): V [16][C][tc], M [16][O][tc], filters U [16][O][C]. ξ = 4·row + col
// indexes the 16 positions of a 4×4 transformed tile.
#include "autograd/conv_winograd.h"

#include <algorithm>
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
template <class T> void input_1d(const T* d, T* v) { v[0] = d[0] - d[2], v[1] = d[1] + d[2], v[2] = d[2] - d[1], v[3] = d[1] - d[3]; }
template <class T> void filter_1d(const T* g, T* u) {
  u[0] = g[0], u[1] = T(0.5) * (g[0] + g[1] + g[2]), u[2] = T(0.5) * (g[0] - g[1] + g[2]), u[3] = g[2];
}
template <class T> void output_1d(const T* m, T* y) { y[0] = m[0] + m[1] + m[2], y[1] = m[1] - m[2] - m[3]; }
// Their adjoints (transposes), for the weight gradient: gm = A·gy, gg = Gᵀ·gu.
template <class T> void output_1d_adjoint(const T* y, T* m) { m[0] = y[0], m[1] = y[0] + y[1], m[2] = y[0] - y[1], m[3] = -y[1]; }
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

struct Tiles {
  int64_t th, tw, count;  // tiles per column / row of an image, and in all
  explicit Tiles(const Conv3x3Shape& s) : th((s.OH + 1) / 2), tw((s.OW + 1) / 2), count(s.N * th * tw) {}
  // Tiles per chunk: V and M of one chunk take about 8 MB.
  int64_t chunk(const Conv3x3Shape& s, size_t elem) const {
    return std::clamp<int64_t>(int64_t(8 << 20) / (16 * (s.C + s.O) * int64_t(elem)), 16, std::max<int64_t>(count, 1));
  }
};

// V[ξ][c][t] for tiles t0 .. t0+tc of input x (zero outside the image).
template <class T>
void transform_inputs(const Conv3x3Shape& s, const Tiles& tl, const T* x, int64_t t0, int64_t tc, T* V) {
  parallel_for(s.C, [&](int64_t c) {
    T d[16], v[16];
    for (int64_t t = 0; t < tc; ++t) {
      const int64_t g = t0 + t, n = g / (tl.th * tl.tw), ti = g / tl.tw % tl.th, tj = g % tl.tw;
      const T* xc = x + (n * s.C + c) * s.H * s.W;
      const int64_t ih0 = 2 * ti - s.pad_h, iw0 = 2 * tj - s.pad_w;
      if (ih0 >= 0 && ih0 + 4 <= s.H && iw0 >= 0 && iw0 + 4 <= s.W) {
        for (int r = 0; r < 4; ++r)
          for (int q = 0; q < 4; ++q) d[r * 4 + q] = xc[(ih0 + r) * s.W + iw0 + q];
      } else {
        for (int r = 0; r < 4; ++r)
          for (int q = 0; q < 4; ++q) {
            const int64_t ih = ih0 + r, iw = iw0 + q;
            d[r * 4 + q] = ih >= 0 && ih < s.H && iw >= 0 && iw < s.W ? xc[ih * s.W + iw] : T(0);
          }
      }
      transform_2d<4, 4>(d, v, input_1d<T>);
      for (int k = 0; k < 16; ++k) V[(k * s.C + c) * tc + t] = v[k];
    }
  }, tc * 32);
}

constexpr size_t kFilterCacheBytes = size_t(512) << 20;

// The filter cache: one entry per weight buffer, holding the bytes U was made from.
struct CachedFilters {
  std::vector<unsigned char> weights;   // the weights' bytes when U was computed
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

size_t entry_bytes(int64_t O, int64_t C, size_t elem) { return size_t(O * C) * elem * (9 + 16); }

}  // namespace

ConvAlgorithm conv_algorithm() { return g_algorithm; }
void set_conv_algorithm(ConvAlgorithm a) { g_algorithm = a; }

template <class T>
void winograd_filters(const Conv3x3Shape& s, const T* w, T* U) {
  parallel_for(s.O * s.C, [&](int64_t oc) {
    T u[16];
    transform_2d<3, 4>(w + oc * 9, u, filter_1d<T>);
    for (int k = 0; k < 16; ++k) U[k * s.O * s.C + oc] = u[k];
  }, 64);
}

template <class T>
std::shared_ptr<const std::vector<T>> winograd_filters_cached(const Conv3x3Shape& s, const T* w) {
  FilterCache& c = filter_cache();
  const auto key = std::make_tuple(static_cast<const void*>(w), s.O, s.C, sizeof(T));
  const size_t wbytes = size_t(s.O * s.C * 9) * sizeof(T);
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.entries.find(key);
    if (it != c.entries.end() && std::memcmp(it->second.weights.data(), w, wbytes) == 0) {
      it->second.last_use = ++c.clock;
      return std::static_pointer_cast<const std::vector<T>>(it->second.U);
    }
  }
  auto U = std::make_shared<std::vector<T>>(size_t(16 * s.O * s.C));
  winograd_filters(s, w, U->data());
  const size_t bytes = entry_bytes(s.O, s.C, sizeof(T));
  if (bytes > kFilterCacheBytes / 4) return U;  // too large to keep: computed each time
  std::lock_guard<std::mutex> lock(c.mutex);
  if (auto it = c.entries.find(key); it != c.entries.end()) {  // stale (or another thread's): replace
    c.bytes -= entry_bytes(s.O, s.C, sizeof(T));
    c.entries.erase(it);
  }
  while (c.bytes + bytes > kFilterCacheBytes) {  // least recently used out first
    auto lru = std::min_element(c.entries.begin(), c.entries.end(),
                                [](const auto& a, const auto& b) { return a.second.last_use < b.second.last_use; });
    c.bytes -= entry_bytes(std::get<1>(lru->first), std::get<2>(lru->first), std::get<3>(lru->first));
    c.entries.erase(lru);
  }
  CachedFilters& e = c.entries[key];
  const auto* wb = reinterpret_cast<const unsigned char*>(w);
  e.weights.assign(wb, wb + wbytes);
  e.U = U;
  e.last_use = ++c.clock;
  c.bytes += bytes;
  return U;
}

size_t winograd_filter_cache_bytes() {
  std::lock_guard<std::mutex> lock(filter_cache().mutex);
  return filter_cache().bytes;
}

template <class T>
void winograd_conv3x3_forward(const Conv3x3Shape& s, const T* x, const T* w, const T* b, T* y) {
  Scratch<T> U(size_t(16 * s.O * s.C));
  winograd_filters(s, w, U.data());
  winograd_conv3x3_forward_transformed(s, x, U.data(), b, y);
}

template <class T>
void winograd_conv3x3_forward_transformed(const Conv3x3Shape& s, const T* x, const T* U, const T* b, T* y) {
  const Tiles tl(s);
  const int64_t chunk = tl.chunk(s, sizeof(T));
  Scratch<T> V(size_t(16 * s.C * chunk)), M(size_t(16 * s.O * chunk));
  for (int64_t t0 = 0; t0 < tl.count; t0 += chunk) {
    const int64_t tc = std::min(chunk, tl.count - t0);
    transform_inputs(s, tl, x, t0, tc, V.data());
    parallel_for(16, [&](int64_t k) {  // M[ξ] = U[ξ] · V[ξ]: 16 independent GEMMs, one thread each
      gemm<T>(false, false, s.O, tc, s.C, T(1), U + k * s.O * s.C, s.C, V.data() + k * s.C * tc, tc, T(0),
              M.data() + k * s.O * tc, tc);
    }, s.O * s.C * tc);
    parallel_for(s.O, [&](int64_t o) {  // Y = Aᵀ M A, plus the bias, clipped at the image's edge
      T m[16], yt[4];
      const T bias = b ? b[o] : T(0);
      for (int64_t t = 0; t < tc; ++t) {
        for (int k = 0; k < 16; ++k) m[k] = M[size_t((k * s.O + o) * tc + t)];
        transform_2d<4, 2>(m, yt, output_1d<T>);
        const int64_t g = t0 + t, n = g / (tl.th * tl.tw), oh = 2 * (g / tl.tw % tl.th), ow = 2 * (g % tl.tw);
        T* yo = y + (n * s.O + o) * s.OH * s.OW;
        for (int r = 0; r < 2 && oh + r < s.OH; ++r)
          for (int q = 0; q < 2 && ow + q < s.OW; ++q) yo[(oh + r) * s.OW + ow + q] = yt[r * 2 + q] + bias;
      }
    }, tc * 32);
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
  Scratch<T> V(size_t(16 * s.C * chunk)), gM(size_t(16 * s.O * chunk));
  std::vector<T> gU(size_t(16 * s.O * s.C), T(0));
  for (int64_t t0 = 0; t0 < tl.count; t0 += chunk) {
    const int64_t tc = std::min(chunk, tl.count - t0);
    transform_inputs(s, tl, x, t0, tc, V.data());
    parallel_for(s.O, [&](int64_t o) {  // gM = A gY Aᵀ, gY zero past the image's edge
      T yt[4], m[16];
      for (int64_t t = 0; t < tc; ++t) {
        const int64_t g = t0 + t, n = g / (tl.th * tl.tw), oh = 2 * (g / tl.tw % tl.th), ow = 2 * (g % tl.tw);
        const T* go = gy + (n * s.O + o) * s.OH * s.OW;
        for (int r = 0; r < 2; ++r)
          for (int q = 0; q < 2; ++q)
            yt[r * 2 + q] = oh + r < s.OH && ow + q < s.OW ? go[(oh + r) * s.OW + ow + q] : T(0);
        transform_2d<2, 4>(yt, m, output_1d_adjoint<T>);
        for (int k = 0; k < 16; ++k) gM[size_t((k * s.O + o) * tc + t)] = m[k];
      }
    }, tc * 32);
    parallel_for(16, [&](int64_t k) {  // gU[ξ] += gM[ξ] · V[ξ]ᵀ
      gemm<T>(false, true, s.O, s.C, tc, T(1), gM.data() + k * s.O * tc, tc, V.data() + k * s.C * tc, tc, T(1),
              gU.data() + k * s.O * s.C, s.C);
    }, s.O * s.C * tc);
  }
  parallel_for(s.O * s.C, [&](int64_t oc) {  // gw += Gᵀ gU G
    T u[16], g[9];
    for (int k = 0; k < 16; ++k) u[k] = gU[size_t(k * s.O * s.C + oc)];
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
