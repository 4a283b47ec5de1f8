// Pooling over [N, C, H, W]. Every (image, channel) plane is independent, so planes are split
// across threads. Output sizes follow PyTorch, ceil_mode included.
#include <cmath>
#include <limits>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "tensor/strided.h"

namespace easel {

namespace {

int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  const int64_t span = in + 2 * p - d * (k - 1) - 1;
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;  // the last window must start inside the input or left pad
  return out;
}

struct PoolGeom {
  int64_t planes, H, W, OH, OW;
  Hw k, s, p, d;
};

PoolGeom pool_geometry(const Tensor& x, const char* op, Hw k, std::optional<Hw> stride, Hw p, Hw d, bool ceil_mode) {
  EASEL_CHECK(x.dim() == 4, op, ": input must be [N, C, H, W], got ", x.describe());
  const Hw s = stride.value_or(k);
  EASEL_CHECK(k.h > 0 && k.w > 0 && s.h > 0 && s.w > 0 && d.h > 0 && d.w > 0, op,
              ": kernel, stride and dilation must be positive");
  EASEL_CHECK(p.h >= 0 && p.w >= 0 && 2 * p.h <= k.h && 2 * p.w <= k.w, op, ": padding (", p.h, ", ", p.w,
              ") must be at most half the kernel (", k.h, ", ", k.w, ")");
  PoolGeom g{x.size(0) * x.size(1), x.size(2), x.size(3), 0, 0, k, s, p, d};
  g.OH = pooled_size(g.H, k.h, s.h, p.h, d.h, ceil_mode);
  g.OW = pooled_size(g.W, k.w, s.w, p.w, d.w, ceil_mode);
  EASEL_CHECK(g.OH > 0 && g.OW > 0, op, ": input ", x.describe(), " is too small for a ", k.h, "x", k.w, " window");
  return g;
}

}  // namespace

// y = max over each window;  gx = gy routed to the window's (first) maximal element
Tensor max_pool2d(const Tensor& x, const MaxPool2dOptions& opt) {
  const PoolGeom g = pool_geometry(x, "max_pool2d", opt.kernel, opt.stride, opt.padding, opt.dilation, opt.ceil_mode);
  const Tensor X = dense(x);
  Tensor y = Tensor::empty({x.size(0), x.size(1), g.OH, g.OW}, x.dtype());
  Tensor idx = Tensor::empty(y.shape(), DType::i64);  // flat index h·W + w within the plane
  dispatch_float(x.dtype(), "max_pool2d", [&](auto zero) {
    using T = decltype(zero);
    const T* px = X.data<T>();
    T* py = y.data<T>();
    int64_t* pi = idx.data<int64_t>();
    parallel_for(g.planes, [&](int64_t pl) {
      const T* plane = px + pl * g.H * g.W;
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          T best = -std::numeric_limits<T>::infinity();
          int64_t arg = -1;
          for (int64_t i = 0; i < g.k.h; ++i) {
            const int64_t ih = oh * g.s.h - g.p.h + i * g.d.h;
            if (ih < 0 || ih >= g.H) continue;
            for (int64_t j = 0; j < g.k.w; ++j) {
              const int64_t iw = ow * g.s.w - g.p.w + j * g.d.w;
              if (iw < 0 || iw >= g.W) continue;
              const T v = plane[ih * g.W + iw];
              if (v > best || arg < 0 || std::isnan(v)) best = v, arg = ih * g.W + iw;
            }
          }
          const int64_t o = (pl * g.OH + oh) * g.OW + ow;
          py[o] = best;
          pi[o] = arg;
        }
    }, g.OH * g.OW * g.k.h * g.k.w);
  });
  return record(y, "max_pool2d", {x}, [g, idx, xs = x.shape()](const Tensor& gy_in) -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    Tensor gx = Tensor::zeros(xs, gy.dtype());
    dispatch_float(gy.dtype(), "max_pool2d backward", [&](auto zero) {
      using T = decltype(zero);
      const T* pg = gy.data<T>();
      const int64_t* pi = idx.data<int64_t>();
      T* px = gx.data<T>();
      parallel_for(g.planes, [&](int64_t pl) {
        for (int64_t o = pl * g.OH * g.OW; o < (pl + 1) * g.OH * g.OW; ++o) px[pl * g.H * g.W + pi[o]] += pg[o];
      }, g.OH * g.OW);
    });
    return {gx};
  });
}

// y = mean over each window (divisor: window size incl. padding, or only the valid part);
// gx = gy / divisor spread over the window
Tensor avg_pool2d(const Tensor& x, const AvgPool2dOptions& opt) {
  const PoolGeom g = pool_geometry(x, "avg_pool2d", opt.kernel, opt.stride, opt.padding, 1, opt.ceil_mode);
  // Window of output (oh, ow): rows [h0, h1), cols [w0, w1) clipped to the input, and its divisor.
  auto window = [g, include_pad = opt.count_include_pad](int64_t oh, int64_t ow, int64_t* h0, int64_t* h1,
                                                           int64_t* w0, int64_t* w1) {
    int64_t hs = oh * g.s.h - g.p.h, ws = ow * g.s.w - g.p.w;
    int64_t he = std::min(hs + g.k.h, g.H + g.p.h), we = std::min(ws + g.k.w, g.W + g.p.w);
    const int64_t padded = (he - hs) * (we - ws);
    hs = std::max<int64_t>(hs, 0), ws = std::max<int64_t>(ws, 0);
    he = std::min(he, g.H), we = std::min(we, g.W);
    *h0 = hs, *h1 = he, *w0 = ws, *w1 = we;
    return double(include_pad ? padded : (he - hs) * (we - ws));
  };
  const Tensor X = dense(x);
  Tensor y = Tensor::empty({x.size(0), x.size(1), g.OH, g.OW}, x.dtype());
  dispatch_float(x.dtype(), "avg_pool2d", [&](auto zero) {
    using T = decltype(zero);
    const T* px = X.data<T>();
    T* py = y.data<T>();
    parallel_for(g.planes, [&](int64_t pl) {
      const T* plane = px + pl * g.H * g.W;
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          int64_t h0, h1, w0, w1;
          const double div = window(oh, ow, &h0, &h1, &w0, &w1);
          double acc = 0;
          for (int64_t i = h0; i < h1; ++i)
            for (int64_t j = w0; j < w1; ++j) acc += double(plane[i * g.W + j]);
          py[(pl * g.OH + oh) * g.OW + ow] = T(acc / div);
        }
    }, g.OH * g.OW * g.k.h * g.k.w);
  });
  return record(y, "avg_pool2d", {x}, [g, window, xs = x.shape()](const Tensor& gy_in) -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    Tensor gx = Tensor::zeros(xs, gy.dtype());
    dispatch_float(gy.dtype(), "avg_pool2d backward", [&](auto zero) {
      using T = decltype(zero);
      const T* pg = gy.data<T>();
      T* px = gx.data<T>();
      parallel_for(g.planes, [&](int64_t pl) {
        T* plane = px + pl * g.H * g.W;
        for (int64_t oh = 0; oh < g.OH; ++oh)
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            int64_t h0, h1, w0, w1;
            const T share = T(pg[(pl * g.OH + oh) * g.OW + ow] / window(oh, ow, &h0, &h1, &w0, &w1));
            for (int64_t i = h0; i < h1; ++i)
              for (int64_t j = w0; j < w1; ++j) plane[i * g.W + j] += share;
          }
      }, g.OH * g.OW * g.k.h * g.k.w);
    });
    return {gx};
  });
}

// y[i, j] = mean of x over rows [⌊iH/OH⌋, ⌈(i+1)H/OH⌉) and the same for columns;
// gx = gy / bin size spread over each bin (bins may overlap when the size does not divide)
Tensor adaptive_avg_pool2d(const Tensor& x, Hw out) {
  EASEL_CHECK(x.dim() == 4, "adaptive_avg_pool2d: input must be [N, C, H, W], got ", x.describe());
  EASEL_CHECK(out.h > 0 && out.w > 0, "adaptive_avg_pool2d: output size must be positive, got (", out.h, ", ", out.w, ")");
  const int64_t planes = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
  auto bin = [](int64_t i, int64_t in, int64_t n, int64_t* s, int64_t* e) {
    *s = i * in / n;
    *e = ((i + 1) * in + n - 1) / n;
  };
  const Tensor X = dense(x);
  Tensor y = Tensor::empty({x.size(0), x.size(1), out.h, out.w}, x.dtype());
  dispatch_float(x.dtype(), "adaptive_avg_pool2d", [&](auto zero) {
    using T = decltype(zero);
    const T* px = X.data<T>();
    T* py = y.data<T>();
    parallel_for(planes, [&](int64_t pl) {
      for (int64_t i = 0; i < out.h; ++i)
        for (int64_t j = 0; j < out.w; ++j) {
          int64_t h0, h1, w0, w1;
          bin(i, H, out.h, &h0, &h1);
          bin(j, W, out.w, &w0, &w1);
          double acc = 0;
          for (int64_t a = h0; a < h1; ++a)
            for (int64_t b = w0; b < w1; ++b) acc += double(px[(pl * H + a) * W + b]);
          py[(pl * out.h + i) * out.w + j] = T(acc / double((h1 - h0) * (w1 - w0)));
        }
    }, H * W);
  });
  return record(y, "adaptive_avg_pool2d", {x}, [out, bin, planes, H, W, xs = x.shape()](const Tensor& gy_in)
                -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    Tensor gx = Tensor::zeros(xs, gy.dtype());
    dispatch_float(gy.dtype(), "adaptive_avg_pool2d backward", [&](auto zero) {
      using T = decltype(zero);
      const T* pg = gy.data<T>();
      T* px = gx.data<T>();
      parallel_for(planes, [&](int64_t pl) {
        for (int64_t i = 0; i < out.h; ++i)
          for (int64_t j = 0; j < out.w; ++j) {
            int64_t h0, h1, w0, w1;
            bin(i, H, out.h, &h0, &h1);
            bin(j, W, out.w, &w0, &w1);
            const T share = T(pg[(pl * out.h + i) * out.w + j] / double((h1 - h0) * (w1 - w0)));
            for (int64_t a = h0; a < h1; ++a)
              for (int64_t b = w0; b < w1; ++b) px[(pl * H + a) * W + b] += share;
          }
      }, H * W);
    });
    return {gx};
  });
}

}  // namespace easel
