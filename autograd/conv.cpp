// 2-d convolution as im2col + GEMM (tensor/gemm.h), for any stride, padding, dilation and groups.
//
// Forward, per group:   col = im2col(x)       [Cg·kh·kw, images·OH·OW]   (a chunk of images side by side)
//                       y   = W_g · col       [Og, images·OH·OW]
// Backward:             gW_g += gy · colᵀ,  gx += col2im(W_gᵀ · gy),  gb = Σ gy
// A 1×1, stride-1, unpadded convolution needs no unfolding: the image rows themselves are `col`.
// 3×3 stride-1 convolutions use Winograd's F(2×2, 3×3) instead (autograd/conv_winograd.h), and
// depthwise ones direct loops (autograd/conv_depthwise.h).
// The definition in plain loops, which tests hold this against: autograd/conv_reference.h.
#include <vector>

#include "autograd/conv_depthwise.h"
#include "autograd/conv_winograd.h"
#include "autograd/cuda/conv.h"
#include "autograd/flops.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "tensor/allocator.h"
#include "tensor/gemm.h"
#include "tensor/strided.h"

namespace easel {

namespace {

struct ConvGeom {
  int64_t N, C, H, W, O, kh, kw, OH, OW, groups, Cg, Og;
  Conv2dOptions opt;
  int64_t col_rows() const { return Cg * kh * kw; }
  int64_t col_cols() const { return OH * OW; }
  bool pointwise() const {
    return kh == 1 && kw == 1 && opt.stride.h == 1 && opt.stride.w == 1 && opt.padding.h == 0 && opt.padding.w == 0;
  }
};

// Unfolds the Cg input channels of one image/group into `col` rows [Cg·kh·kw] × OH·OW columns,
// consecutive rows `ld` elements apart (several images sit side by side in one col buffer).
// Rows are unfolded in parallel when called outside a parallel region (a single image's unfold
// would otherwise run on one core while the GEMM after it uses all).
template <class T>
void im2col(const ConvGeom& g, const T* x, T* col, int64_t ld) {
  const int64_t sh = g.opt.stride.h, sw = g.opt.stride.w;
  parallel_for(g.Cg * g.kh * g.kw, [&](int64_t row) {
    const int64_t c = row / (g.kh * g.kw), ki = row / g.kw % g.kh, kj = row % g.kw;
    // Output columns [lo, hi) read inside the input row; the rest read padding.
    const int64_t base = -g.opt.padding.w + kj * g.opt.dilation.w;
    const int64_t lo = std::clamp<int64_t>((-base + sw - 1) / sw, 0, g.OW);
    const int64_t hi = std::clamp<int64_t>((g.W - base + sw - 1) / sw, lo, g.OW);
    T* out = col + row * ld;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t ih = oh * sh - g.opt.padding.h + ki * g.opt.dilation.h;
      T* o = out + oh * g.OW;
      if (ih < 0 || ih >= g.H) {
        std::fill(o, o + g.OW, T(0));
        continue;
      }
      const T* xr = x + (c * g.H + ih) * g.W + base;
      std::fill(o, o + lo, T(0));
      if (sw == 1) std::copy(xr + lo, xr + hi, o + lo);
      else
        for (int64_t ow = lo; ow < hi; ++ow) o[ow] = xr[ow * sw];
      std::fill(o + hi, o + g.OW, T(0));
    }
  }, g.OH * g.OW);
}

// The adjoint of im2col: adds each col entry back onto the pixel it was read from.
template <class T>
void col2im(const ConvGeom& g, const T* col, T* x, int64_t ld) {
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        const T* in = col + ((c * g.kh + ki) * g.kw + kj) * ld;
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const int64_t ih = oh * g.opt.stride.h - g.opt.padding.h + ki * g.opt.dilation.h;
          if (ih < 0 || ih >= g.H) continue;
          T* xr = x + (c * g.H + ih) * g.W;
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const int64_t iw = ow * g.opt.stride.w - g.opt.padding.w + kj * g.opt.dilation.w;
            if (iw >= 0 && iw < g.W) xr[iw] += in[oh * g.OW + ow];
          }
        }
      }
}

// The op's name on the tape and in profiles: which kind of convolution this is.
const char* conv_kind(const ConvGeom& g) {
  const bool s1 = g.opt.stride.h == 1 && g.opt.stride.w == 1;
  if (g.Cg == 1 && g.groups > 1) return s1 ? "conv2d depthwise" : "conv2d depthwise strided";
  if (g.kh == 1 && g.kw == 1) return s1 ? "conv2d 1x1" : "conv2d 1x1 strided";
  if (g.kh == 3 && g.kw == 3) return s1 ? "conv2d 3x3" : "conv2d 3x3 strided";
  if (g.kh == 7 && g.kw == 7) return "conv2d 7x7";
  return "conv2d other";
}

ConvGeom geometry(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& opt) {
  EASEL_CHECK(x.dim() == 4, "conv2d: input must be [N, C, H, W], got ", x.describe());
  EASEL_CHECK(w.dim() == 4, "conv2d: weight must be [O, C/groups, kh, kw], got ", w.describe());
  EASEL_CHECK(x.dtype() == w.dtype(), "conv2d: dtype mismatch, input ", x.describe(), ", weight ", w.describe());
  ConvGeom g{x.size(0), x.size(1), x.size(2), x.size(3), w.size(0), w.size(2), w.size(3), 0, 0, opt.groups, 0, 0, opt};
  EASEL_CHECK(opt.groups >= 1 && g.C % opt.groups == 0 && g.O % opt.groups == 0, "conv2d: groups=", opt.groups,
              " must divide both input channels (", g.C, ") and output channels (", g.O, ")");
  g.Cg = g.C / g.groups;
  g.Og = g.O / g.groups;
  EASEL_CHECK(w.size(1) == g.Cg, "conv2d: weight ", w.describe(), " expects ", w.size(1) * g.groups,
              " input channels, input ", x.describe(), " has ", g.C, " (groups=", g.groups, ")");
  EASEL_CHECK(opt.stride.h > 0 && opt.stride.w > 0 && opt.dilation.h > 0 && opt.dilation.w > 0 &&
                  opt.padding.h >= 0 && opt.padding.w >= 0,
              "conv2d: stride and dilation must be positive and padding non-negative");
  const int64_t span_h = g.H + 2 * opt.padding.h - opt.dilation.h * (g.kh - 1) - 1;
  const int64_t span_w = g.W + 2 * opt.padding.w - opt.dilation.w * (g.kw - 1) - 1;
  g.OH = span_h < 0 ? 0 : span_h / opt.stride.h + 1;  // 0 (an error below): the kernel does not fit
  g.OW = span_w < 0 ? 0 : span_w / opt.stride.w + 1;
  EASEL_CHECK(g.OH > 0 && g.OW > 0, "conv2d: input ", x.describe(), " is smaller than the ", g.kh, "x", g.kw,
              " kernel (dilation ", opt.dilation.h, ", padding ", opt.padding.h, ")");
  EASEL_CHECK(!b.defined() || (b.dim() == 1 && b.size(0) == g.O), "conv2d: bias must be [", g.O, "], got ", b.describe());
  for (const Tensor& t : {w, b})
    EASEL_CHECK(!t.defined() || t.device() == x.device(), "conv2d: the input is ", x.describe(), " but a parameter is ",
                t.describe(), "; move the module with .to(device)");
  return g;
}

math::ConvShape conv_shape(const ConvGeom& g) {
  const Conv2dOptions& o = g.opt;
  return {g.N,        g.C,        g.H,        g.W,        g.O,        g.OH,     g.OW,   g.kh, g.kw,
          o.stride.h, o.stride.w, o.padding.h, o.padding.w, o.dilation.h, o.dilation.w, g.groups, g.Cg, g.Og};
}

// The device path: im2col / col2im kernels and cuBLAS (autograd/cuda/conv.cu); the bias gradient is a sum.
Tensor conv2d_on_device(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvGeom& g) {
  const Tensor X = dense(x), Wt = dense(weight), B = bias.defined() ? dense(bias) : Tensor();
  Tensor y = Tensor::empty({g.N, g.O, g.OH, g.OW}, x.dtype(), x.device());
  MacCounter::add(g.N * g.O * g.OH * g.OW * g.col_rows());
  cuda::conv2d_forward(conv_shape(g), X, Wt, B, y);
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad(), need_b = bias.defined() && bias.requires_grad();
  return record(y, conv_kind(g), {x, weight, bias}, saved_input(0) | saved_input(1),
                [g, X, Wt, need_x, need_w, need_b](const Tensor& gy_in)
                -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    const Tensor gx = need_x ? Tensor::empty(X.shape(), X.dtype(), X.device()) : Tensor();
    const Tensor gw = need_w ? Tensor::zeros(Wt.shape(), Wt.dtype(), Wt.device()) : Tensor();
    cuda::conv2d_backward(conv_shape(g), X, Wt, gy, gx, gw);
    return {gx, gw, need_b ? sum(gy.detach(), {0, 2, 3}) : Tensor()};
  });
}

// Depthwise convolutions take the direct loops below, unless im2col is forced for every convolution.
bool use_depthwise(const ConvGeom& g) {
  return g.Cg == 1 && g.groups > 1 && conv_algorithm() != ConvAlgorithm::im2col;
}

bool use_winograd(const ConvGeom& g) {
  const Conv2dOptions& o = g.opt;
  const bool fits = g.kh == 3 && g.kw == 3 && o.stride.h == 1 && o.stride.w == 1 && o.dilation.h == 1 &&
                    o.dilation.w == 1 && g.groups == 1 && o.padding.h <= 2 && o.padding.w <= 2;
  if (!fits || conv_algorithm() == ConvAlgorithm::im2col) return false;
  return conv_algorithm() == ConvAlgorithm::winograd || (g.C >= 16 && g.O >= 16);
}

DepthwiseShape depthwise_shape(const ConvGeom& g) {
  const Conv2dOptions& o = g.opt;
  return {g.N, g.C, g.H, g.W, g.Og, g.OH, g.OW, g.kh, g.kw, o.stride.h, o.stride.w, o.padding.h, o.padding.w,
          o.dilation.h, o.dilation.w};
}

// The depthwise padded-plane form: stride 1, no dilation (autograd/conv_depthwise.h says why).
bool depthwise_plane(const ConvGeom& g) {
  const Conv2dOptions& o = g.opt;
  return o.stride.h == 1 && o.stride.w == 1 && o.dilation.h == 1 && o.dilation.w == 1;
}

Conv3x3Shape shape3(const ConvGeom& g) {
  return {g.N, g.C, g.H, g.W, g.O, g.opt.padding.h, g.opt.padding.w, g.OH, g.OW};
}

// Images are processed in chunks whose unfolded columns fit in about 64 MB: each group of a chunk
// is one wide GEMM, [Og × K] · [K × chunk·OH·OW], which keeps the GEMM large (and threaded) even
// for small feature maps, without the memory of unfolding a whole large batch at once.
int64_t chunk_images(const ConvGeom& g) {
  const int64_t per_image = g.col_rows() * g.col_cols();
  return std::clamp<int64_t>((int64_t(16) << 20) / std::max<int64_t>(per_image, 1), 1, g.N);
}

// Two strategies. Large feature maps (≥ 1024 output pixels) and a batch that fills the threads:
// each thread unfolds one image at a time into its own buffer and runs that image's GEMMs while the
// columns are still in cache. Small feature maps: a chunk of images is unfolded side by side and
// each group is one wide, multi-threaded GEMM (per-image GEMMs would be too small to be efficient).
bool per_image(const ConvGeom& g) { return g.col_cols() >= 1024 && g.N >= num_threads() && g.N > 1; }

// y[o][k] += b[o]: the bias over rows of hw outputs (threaded when called outside a parallel region).
template <class T>
void add_bias(T* y, const T* b, int64_t rows, int64_t hw) {
  parallel_for(rows, [&](int64_t o) {
    for (int64_t k = 0; k < hw; ++k) y[o * hw + k] += b[o];
  }, hw);
}

template <class T>
void unfold(const ConvGeom& g, const T* xin, T* col, int64_t ld) {  // one image/group into col (rows ld apart)
  const int64_t hw = g.col_cols();
  if (g.pointwise())
    for (int64_t c = 0; c < g.Cg; ++c) std::copy(xin + c * hw, xin + (c + 1) * hw, col + c * ld);
  else
    im2col(g, xin, col, ld);
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& opt) {
  const ConvGeom g = geometry(x, weight, bias, opt);
  if (x.device().is_cuda()) return conv2d_on_device(x, weight, bias, g);
  const Tensor X = dense(x), Wt = dense(weight), B = bias.defined() ? dense(bias) : Tensor();
  Tensor y = Tensor::empty({g.N, g.O, g.OH, g.OW}, x.dtype());
  MacCounter::add(g.N * g.O * g.OH * g.OW * g.col_rows());
  const int64_t K = g.col_rows(), hw = g.col_cols(), chunk = chunk_images(g);
  dispatch_float(x.dtype(), "conv2d", [&](auto zero) {
    using T = decltype(zero);
    const T *px = X.data<T>(), *pw = Wt.data<T>();
    T* py = y.data<T>();
    const T* pb = B.defined() ? B.template data<T>() : nullptr;
    if (use_winograd(g) && !(grad_enabled() && weight.requires_grad())) {  // weights that will not learn here
      winograd_conv3x3_forward_transformed<T>(shape3(g), px, winograd_filters_cached<T>(shape3(g), pw)->data(), pb, py);
      return;
    }
    if (use_winograd(g)) {
      winograd_conv3x3_forward<T>(shape3(g), px, pw, pb, py);
      return;
    }
    if (use_depthwise(g)) {
      if (depthwise_plane(g)) depthwise_forward_plane<T>(depthwise_shape(g), px, pw, pb, py);
      else depthwise_forward_rows<T>(depthwise_shape(g), px, pw, pb, py);
      return;
    }
    if (per_image(g)) {
      PerThread<T> cols(size_t(K * hw));
#pragma omp parallel for schedule(static)
      for (int64_t n = 0; n < g.N; ++n)
        for (int64_t gi = 0; gi < g.groups; ++gi) {
          T* col = cols.mine();
          unfold(g, px + (n * g.C + gi * g.Cg) * g.H * g.W, col, hw);
          T* yo = py + (n * g.O + gi * g.Og) * hw;
          gemm<T>(false, false, g.Og, hw, K, T(1), pw + gi * g.Og * K, K, col, hw, T(0), yo, hw);
          if (pb) add_bias(yo, pb + gi * g.Og, g.Og, hw);
        }
      return;
    }
    Scratch<T> col(size_t(K * hw * chunk)), out(size_t(g.Og * hw * chunk));
    for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
      const int64_t nb = std::min(chunk, g.N - n0), ld = nb * hw;
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        const T* xin = px + (n0 * g.C + gi * g.Cg) * g.H * g.W;
        if (nb == 1) {  // one image: the GEMM reads the image itself when pointwise and writes y directly
          if (!g.pointwise()) unfold(g, xin, col.data(), hw);
          T* yo = py + (n0 * g.O + gi * g.Og) * hw;
          gemm<T>(false, false, g.Og, hw, K, T(1), pw + gi * g.Og * K, K, g.pointwise() ? xin : col.data(), hw, T(0), yo, hw);
          if (pb) add_bias(yo, pb + gi * g.Og, g.Og, hw);
          continue;
        }
        parallel_for(nb, [&](int64_t i) {  // unfold every image of the chunk side by side
          unfold(g, xin + i * g.C * g.H * g.W, col.data() + i * hw, ld);
        }, K * hw);
        gemm<T>(false, false, g.Og, ld, K, T(1), pw + gi * g.Og * K, K, col.data(), ld, T(0), out.data(), ld);
        parallel_for(nb, [&](int64_t i) {  // [Og, nb·hw] back to [nb, Og, hw], adding the bias
          for (int64_t o = 0; o < g.Og; ++o) {
            const T b = pb ? pb[gi * g.Og + o] : T(0);
            const T* src = out.data() + o * ld + i * hw;
            T* dst = py + ((n0 + i) * g.O + gi * g.Og + o) * hw;
            for (int64_t k = 0; k < hw; ++k) dst[k] = src[k] + b;
          }
        }, g.Og * hw);
      }
    }
  });
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad(), need_b = bias.defined() && bias.requires_grad();
  return record(y, conv_kind(g), {x, weight, bias}, saved_input(0) | saved_input(1),
                [g, X, Wt, need_x, need_w, need_b](const Tensor& gy_in)
                -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    Tensor gx, gw, gb;
    dispatch_float(gy.dtype(), "conv2d backward", [&](auto zero) {
      using T = decltype(zero);
      const T *px = X.data<T>(), *pw = Wt.data<T>(), *pg = gy.data<T>();
      const int64_t K = g.col_rows(), hw = g.col_cols(), chunk = chunk_images(g);
      const bool winograd = use_winograd(g), depthwise = !winograd && use_depthwise(g);
      // Winograd's input gradient overwrites every element: no zero-fill pass for it.
      if (need_x) gx = winograd ? Tensor::empty(X.shape(), X.dtype()) : Tensor::zeros(X.shape(), X.dtype());
      if (need_w) gw = Tensor::zeros(Wt.shape(), Wt.dtype());
      if (winograd) {
        if (need_x) winograd_conv3x3_grad_input<T>(shape3(g), pg, pw, gx.template data<T>());
        if (need_w) winograd_conv3x3_grad_weight<T>(shape3(g), px, pg, gw.template data<T>());
      }
      if (depthwise) {
        T* pgx = need_x ? gx.template data<T>() : nullptr;
        T* pgw = need_w ? gw.template data<T>() : nullptr;
        if (depthwise_plane(g)) depthwise_backward_plane<T>(depthwise_shape(g), px, pw, pg, pgx, pgw);
        else depthwise_backward_rows<T>(depthwise_shape(g), px, pw, pg, pgx, pgw);
      }
      if (!winograd && !depthwise && per_image(g)) {  // per-thread weight-gradient partial sums, added up at the end
        const int threads = num_threads();
        std::vector<T> part(need_w ? size_t(threads * g.O * K) : 0, T(0));
        PerThread<T> cols(size_t(K * hw));
#pragma omp parallel
        {
          T* col = cols.mine();
          T* my_gw = need_w ? part.data() + omp_get_thread_num() * g.O * K : nullptr;
#pragma omp for schedule(static)
          for (int64_t n = 0; n < g.N; ++n)
            for (int64_t gi = 0; gi < g.groups; ++gi) {
              const T* gyo = pg + (n * g.O + gi * g.Og) * hw;
              if (need_w) {
                unfold(g, px + (n * g.C + gi * g.Cg) * g.H * g.W, col, hw);
                gemm<T>(false, true, g.Og, K, hw, T(1), gyo, hw, col, hw, T(1), my_gw + gi * g.Og * K, K);
              }
              if (need_x) {
                T* gxin = gx.template data<T>() + (n * g.C + gi * g.Cg) * g.H * g.W;
                if (g.pointwise()) {
                  gemm<T>(true, false, K, hw, g.Og, T(1), pw + gi * g.Og * K, K, gyo, hw, T(0), gxin, hw);
                } else {
                  gemm<T>(true, false, K, hw, g.Og, T(1), pw + gi * g.Og * K, K, gyo, hw, T(0), col, hw);
                  col2im(g, col, gxin, hw);
                }
              }
            }
        }
        if (need_w) {
          T* pgw = gw.template data<T>();
          for (int t = 0; t < threads; ++t)
            for (int64_t k = 0; k < g.O * K; ++k) pgw[k] += part[size_t(t * g.O * K + k)];
        }
      }
      const bool chunked = !winograd && !depthwise && !per_image(g);
      Scratch<T> col(chunked ? size_t(K * hw * chunk) : 0), gcol(chunked ? size_t(g.Og * hw * chunk) : 0);
      for (int64_t n0 = 0; n0 < g.N && chunked; n0 += chunk) {
        const int64_t nb = std::min(chunk, g.N - n0), ld = nb * hw;
        for (int64_t gi = 0; gi < g.groups; ++gi) {
          parallel_for(nb, [&](int64_t i) {  // gy of this chunk and group as [Og, nb·hw]
            for (int64_t o = 0; o < g.Og; ++o) {
              const T* src = pg + ((n0 + i) * g.O + gi * g.Og + o) * hw;
              std::copy(src, src + hw, gcol.data() + o * ld + i * hw);
            }
          }, g.Og * hw);
          if (need_w) {  // gW_g += gy · colᵀ
            parallel_for(nb, [&](int64_t i) {
              unfold(g, px + ((n0 + i) * g.C + gi * g.Cg) * g.H * g.W, col.data() + i * hw, ld);
            }, K * hw);
            gemm<T>(false, true, g.Og, K, ld, T(1), gcol.data(), ld, col.data(), ld, T(1),
                    gw.template data<T>() + gi * g.Og * K, K);
          }
          if (need_x) {  // gx += col2im(W_gᵀ · gy)
            gemm<T>(true, false, K, ld, g.Og, T(1), pw + gi * g.Og * K, K, gcol.data(), ld, T(0), col.data(), ld);
            parallel_for(nb, [&](int64_t i) {
              T* gxin = gx.template data<T>() + ((n0 + i) * g.C + gi * g.Cg) * g.H * g.W;
              if (g.pointwise())
                for (int64_t c = 0; c < g.Cg; ++c) {
                  const T* src = col.data() + c * ld + i * hw;
                  for (int64_t k = 0; k < hw; ++k) gxin[c * hw + k] += src[k];
                }
              else
                col2im(g, col.data() + i * hw, gxin, ld);
            }, K * hw);
          }
        }
      }
      if (need_b) {
        gb = Tensor::empty({g.O}, gy.dtype());
        T* pb = gb.template data<T>();
        const int64_t hw2 = g.col_cols();
        parallel_for(g.O, [&](int64_t o) {
          double acc = 0;
          for (int64_t n = 0; n < g.N; ++n)
            for (int64_t i = 0; i < hw2; ++i) acc += double(pg[(n * g.O + o) * hw2 + i]);
          pb[o] = T(acc);
        }, g.N * hw2);
      }
    });
    return {gx, gw, gb};
  });
}

}  // namespace easel
