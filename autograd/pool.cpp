// Pooling over [N, C, H, W]. Every (image, channel) plane is independent, so planes are split
// across threads. Output sizes follow PyTorch, ceil_mode included. The per-window math is
// pool_math.h, shared with the CUDA kernels (autograd/cuda/pool.cu), which a device input goes to.
#include "autograd/cuda/pool.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "autograd/profile.h"
#include "tensor/allocator.h"
#include "tensor/strided.h"

namespace easel {

namespace {

using cuda::Pool;

// PyTorch's output size; 0 (an error below) when even one window does not fit in the padded input.
int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  const int64_t span = in + 2 * p - d * (k - 1) - 1;
  if (span < 0) return 0;
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;  // the last window must start inside the input or left pad
  return out;
}

math::PoolShape pool_geometry(const Tensor& x, const char* op, Hw k, std::optional<Hw> stride, Hw p, Hw d,
                              bool ceil_mode) {
  EASEL_CHECK(x.dim() == 4, op, ": input must be [N, C, H, W], got ", x.describe());
  const Hw s = stride.value_or(k);
  EASEL_CHECK(k.h > 0 && k.w > 0 && s.h > 0 && s.w > 0 && d.h > 0 && d.w > 0, op,
              ": kernel, stride and dilation must be positive");
  EASEL_CHECK(p.h >= 0 && p.w >= 0 && 2 * p.h <= k.h && 2 * p.w <= k.w, op, ": padding (", p.h, ", ", p.w,
              ") must be at most half the kernel (", k.h, ", ", k.w, ")");
  math::PoolShape g{x.size(2), x.size(3), 0, 0, k.h, k.w, s.h, s.w, p.h, p.w, d.h, d.w, false};
  g.OH = pooled_size(g.H, k.h, s.h, p.h, d.h, ceil_mode);
  g.OW = pooled_size(g.W, k.w, s.w, p.w, d.w, ceil_mode);
  EASEL_CHECK(g.OH > 0 && g.OW > 0, op, ": input ", x.describe(), " is too small for a ", k.h, "x", k.w, " window");
  return g;
}

// y[plane, oh, ow] = f(plane, oh, ow) for every output, on the CPU.
template <class T, class F>
void for_each_output(const math::PoolShape& g, int64_t planes, const T* x, T* y, F f) {
  parallel_for(planes, [&](int64_t pl) {
    for (int64_t o = 0; o < g.OH * g.OW; ++o) y[pl * g.OH * g.OW + o] = f(pl, x + pl * g.H * g.W, o / g.OW, o % g.OW);
  }, g.OH * g.OW * g.kh * g.kw);
}

// The larger of m and v, NaN winning as in max_window.
template <class T>
T max_or_nan(T m, T v) {
  return (v > m || v != v) ? v : m;
}

// Max pooling when no gradient is wanted (inference): the values only, no argmax to keep. Per
// output row, the column-wise max over the window's rows goes into a strip with -inf on both
// sides as padding (contiguous, vectorised); then each output is the max of kw strip entries,
// taken a kernel column at a time across the row (no bounds to test). Dilation 1 only, where no
// window lies wholly in the padding (pool_geometry keeps it within half the kernel), so -inf never
// wins over the input. The values equal max_window's, NaN included.
template <class T>
void max_pool_values(const math::PoolShape& g, int64_t planes, const T* x, T* y) {
  const int64_t strip_size = g.pw + g.W + g.kw;  // the last window starts before pw + W
  PerThread<T> strips{size_t(strip_size)};
  parallel_for(planes, [&](int64_t pl) {
    T* strip = strips.mine();
    std::fill(strip, strip + strip_size, T(-INFINITY));
    T* row = strip + g.pw;
    const T* plane = x + pl * g.H * g.W;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t h0 = std::max<int64_t>(oh * g.sh - g.ph, 0), h1 = std::min(oh * g.sh - g.ph + g.kh, g.H);
      std::copy(plane + h0 * g.W, plane + (h0 + 1) * g.W, row);
      for (int64_t h = h0 + 1; h < h1; ++h)
        for (int64_t w = 0; w < g.W; ++w) row[w] = max_or_nan(row[w], plane[h * g.W + w]);
      T* out = y + (pl * g.OH + oh) * g.OW;
      for (int64_t ow = 0; ow < g.OW; ++ow) out[ow] = strip[ow * g.sw];
      for (int64_t j = 1; j < g.kw; ++j)
        for (int64_t ow = 0; ow < g.OW; ++ow) out[ow] = max_or_nan(out[ow], strip[ow * g.sw + j]);
    }
  }, g.H * g.W + g.OH * g.OW * g.kw);
}

// The argmax of each window for the backward pass, given its max m from max_pool_values: the first
// element equal to m in row-major order (the last NaN where m is NaN), which is the element
// max_window picks; y takes that element's value (so +0 / -0 ties match too). Most scans stop
// after a few elements.
template <class T>
void max_pool_argmax(const math::PoolShape& g, int64_t planes, const T* x, T* y, int64_t* idx) {
  parallel_for(planes, [&](int64_t pl) {
    const T* plane = x + pl * g.H * g.W;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t h0 = std::max<int64_t>(oh * g.sh - g.ph, 0), h1 = std::min(oh * g.sh - g.ph + g.kh, g.H);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const int64_t w0 = std::max<int64_t>(ow * g.sw - g.pw, 0), w1 = std::min(ow * g.sw - g.pw + g.kw, g.W);
        const int64_t o = (pl * g.OH + oh) * g.OW + ow;
        const T m = y[o];
        int64_t arg = -1;
        for (int64_t h = h0; h < h1 && (arg < 0 || m != m); ++h)
          for (int64_t w = w0; w < w1; ++w) {
            const T v = plane[h * g.W + w];
            if (m != m ? v != v : v == m) {
              arg = h * g.W + w;
              if (m == m) break;
            }
          }
        idx[o] = arg;
        y[o] = plane[arg];
      }
    }
  }, g.OH * g.OW * g.kh * g.kw);
}

// Forward and backward of the three poolings; the CPU backward scatters each output's gradient
// onto its window (the device gathers instead; tests hold the two equal).
Tensor pool2d(Pool kind, const char* op, const Tensor& x, const math::PoolShape& g) {
  const int64_t planes = x.size(0) * x.size(1);
  const Tensor X = dense(x);
  Tensor y = Tensor::empty({x.size(0), x.size(1), g.OH, g.OW}, x.dtype(), x.device());
  const bool wants_grad = grad_enabled() && x.requires_grad();
  const bool strip = kind == Pool::max && !x.device().is_cuda() && g.dh == 1 && g.dw == 1;
  const Tensor idx = kind == Pool::max && (wants_grad || !strip)
                         ? Tensor::empty(y.shape(), DType::i64, x.device())  // h·W + w
                         : Tensor();
  if (x.device().is_cuda()) {
    cuda::pool2d_forward(kind, g, planes, X, y, idx);
  } else if (strip) {  // max pooling by rows of windows; the argmax only for the backward pass
    dispatch_float(x.dtype(), op, [&](auto zero) {
      using T = decltype(zero);
      max_pool_values<T>(g, planes, X.data<T>(), y.data<T>());
      if (wants_grad) max_pool_argmax<T>(g, planes, X.data<T>(), y.data<T>(), idx.data<int64_t>());
    });
    if (!wants_grad) {
      OpProfile::lap(op);  // record() would, but there is nothing to record
      return y;
    }
  } else {
    dispatch_float(x.dtype(), op, [&](auto zero) {
      using T = decltype(zero);
      int64_t* pi = idx.defined() ? idx.data<int64_t>() : nullptr;
      for_each_output<T>(g, planes, X.data<T>(), y.data<T>(), [&](int64_t pl, const T* plane, int64_t oh, int64_t ow) {
        if (kind == Pool::max) return math::max_window(g, plane, oh, ow, &pi[(pl * g.OH + oh) * g.OW + ow]);
        if (kind == Pool::average) return math::avg_window_mean(g, plane, oh, ow);
        return math::adaptive_mean(g, plane, oh, ow);
      });
    });
  }
  return record(y, op, {x}, idx.defined() ? kSavedComputed : kSavedNothing,  // the argmax of max pooling
                [kind, g, planes, idx, xs = x.shape()](const Tensor& gy_in) -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    if (gy.device().is_cuda()) {
      Tensor gx = Tensor::empty(xs, gy.dtype(), gy.device());
      cuda::pool2d_backward(kind, g, planes, gy, idx, gx);
      return {gx};
    }
    Tensor gx = Tensor::zeros(xs, gy.dtype());
    dispatch_float(gy.dtype(), "pooling backward", [&](auto zero) {
      using T = decltype(zero);
      const T* pg = gy.data<T>();
      T* px = gx.data<T>();
      const int64_t* pi = kind == Pool::max ? idx.data<int64_t>() : nullptr;
      parallel_for(planes, [&](int64_t pl) {
        T* plane = px + pl * g.H * g.W;
        for (int64_t oh = 0; oh < g.OH; ++oh)
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const int64_t o = (pl * g.OH + oh) * g.OW + ow;
            if (kind == Pool::max) {
              if (pi[o] >= 0) plane[pi[o]] += pg[o];  // -1: a window wholly in the padding
              continue;
            }
            int64_t h0, h1, w0, w1;
            const double div = kind == Pool::average ? math::avg_window(g, oh, ow, &h0, &h1, &w0, &w1)
                                                     : math::adaptive_window(g, oh, ow, &h0, &h1, &w0, &w1);
            const T share = T(pg[o] / div);
            for (int64_t i = h0; i < h1; ++i)
              for (int64_t j = w0; j < w1; ++j) plane[i * g.W + j] += share;
          }
      }, g.OH * g.OW * g.kh * g.kw);
    });
    return {gx};
  });
}

}  // namespace

// y = max over each window;  gx = gy routed to the window's maximal element
Tensor max_pool2d(const Tensor& x, const MaxPool2dOptions& opt) {
  const math::PoolShape g =
      pool_geometry(x, "max_pool2d", opt.kernel, opt.stride, opt.padding, opt.dilation, opt.ceil_mode);
  return pool2d(Pool::max, "max_pool2d", x, g);
}

// y = mean over each window (divisor: window size incl. padding, or only the valid part);
// gx = gy / divisor spread over the window
Tensor avg_pool2d(const Tensor& x, const AvgPool2dOptions& opt) {
  math::PoolShape g = pool_geometry(x, "avg_pool2d", opt.kernel, opt.stride, opt.padding, 1, opt.ceil_mode);
  g.count_include_pad = opt.count_include_pad;
  return pool2d(Pool::average, "avg_pool2d", x, g);
}

// y[i, j] = mean of x over rows [⌊iH/OH⌋, ⌈(i+1)H/OH⌉) and the same for columns;
// gx = gy / bin size spread over each bin (bins may overlap when the size does not divide)
Tensor adaptive_avg_pool2d(const Tensor& x, Hw out) {
  EASEL_CHECK(x.dim() == 4, "adaptive_avg_pool2d: input must be [N, C, H, W], got ", x.describe());
  EASEL_CHECK(out.h > 0 && out.w > 0, "adaptive_avg_pool2d: output size must be positive, got (", out.h, ", ", out.w, ")");
  // The bins play the role of windows: kh × kw bounds the work per output (for the CPU's thread split).
  const int64_t H = x.size(2), W = x.size(3);
  const math::PoolShape g{H, W, out.h, out.w, (H + out.h - 1) / out.h + 1, (W + out.w - 1) / out.w + 1, 1, 1, 0, 0, 1, 1, false};
  return pool2d(Pool::adaptive_average, "adaptive_avg_pool2d", x, g);
}

}  // namespace easel
