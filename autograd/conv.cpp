// 2-d convolution as im2col + GEMM (tensor/gemm.h), for any stride, padding, dilation and groups.
//
// Forward, per image and group:   col = im2col(x)           [Cg·kh·kw, OH·OW]
//                                  y   = W_g · col           [Og, OH·OW]
// Backward:                        gW_g += gy · colᵀ,  gx += col2im(W_gᵀ · gy),  gb = Σ gy
// A 1×1, stride-1, unpadded convolution needs no im2col: the image itself is `col`.
#include <vector>

#include "autograd/flops.h"
#include "autograd/node.h"
#include "autograd/ops.h"
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

// Unfolds the Cg input channels of one image/group into col [Cg·kh·kw, OH·OW].
template <class T>
void im2col(const ConvGeom& g, const T* x, T* col) {
  parallel_for(g.Cg * g.kh * g.kw, [&](int64_t row) {
    const int64_t c = row / (g.kh * g.kw), ki = row / g.kw % g.kh, kj = row % g.kw;
    T* out = col + row * g.OH * g.OW;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t ih = oh * g.opt.stride.h - g.opt.padding.h + ki * g.opt.dilation.h;
      T* o = out + oh * g.OW;
      if (ih < 0 || ih >= g.H) {
        std::fill(o, o + g.OW, T(0));
        continue;
      }
      const T* xr = x + (c * g.H + ih) * g.W;
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const int64_t iw = ow * g.opt.stride.w - g.opt.padding.w + kj * g.opt.dilation.w;
        o[ow] = iw >= 0 && iw < g.W ? xr[iw] : T(0);
      }
    }
  }, g.OH * g.OW);
}

// The adjoint of im2col: adds each col entry back onto the pixel it was read from.
template <class T>
void col2im(const ConvGeom& g, const T* col, T* x) {
  parallel_for(g.Cg, [&](int64_t c) {  // rows of one channel touch only that channel: no races
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        const T* in = col + ((c * g.kh + ki) * g.kw + kj) * g.OH * g.OW;
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
  }, g.H * g.W * g.kh * g.kw);
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
  g.OH = (g.H + 2 * opt.padding.h - opt.dilation.h * (g.kh - 1) - 1) / opt.stride.h + 1;
  g.OW = (g.W + 2 * opt.padding.w - opt.dilation.w * (g.kw - 1) - 1) / opt.stride.w + 1;
  EASEL_CHECK(g.OH > 0 && g.OW > 0, "conv2d: input ", x.describe(), " is smaller than the ", g.kh, "x", g.kw,
              " kernel (dilation ", opt.dilation.h, ", padding ", opt.padding.h, ")");
  EASEL_CHECK(!b.defined() || (b.dim() == 1 && b.size(0) == g.O), "conv2d: bias must be [", g.O, "], got ", b.describe());
  return g;
}

// Runs f(n, col_buffer) for every image: across threads when the batch can fill them (each GEMM
// then runs on one thread), else one image at a time with multi-threaded GEMMs.
template <class T, class F>
void for_each_image(const ConvGeom& g, F&& f) {
  const bool need_col = !g.pointwise();
  const int64_t col_size = need_col ? g.col_rows() * g.col_cols() : 0;
  if (g.N >= num_threads() && g.N > 1) {
#pragma omp parallel
    {
      std::vector<T> col(static_cast<size_t>(col_size));
#pragma omp for schedule(static)
      for (int64_t n = 0; n < g.N; ++n) f(n, col.data(), omp_get_thread_num());
    }
  } else {
    std::vector<T> col(static_cast<size_t>(col_size));
    for (int64_t n = 0; n < g.N; ++n) f(n, col.data(), 0);
  }
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& opt) {
  const ConvGeom g = geometry(x, weight, bias, opt);
  const Tensor X = dense(x), Wt = dense(weight), B = bias.defined() ? dense(bias) : Tensor();
  Tensor y = Tensor::empty({g.N, g.O, g.OH, g.OW}, x.dtype());
  MacCounter::add(g.N * g.O * g.OH * g.OW * g.col_rows());
  dispatch_float(x.dtype(), "conv2d", [&](auto zero) {
    using T = decltype(zero);
    const T *px = X.data<T>(), *pw = Wt.data<T>();
    T* py = y.data<T>();
    const int64_t kk = g.col_rows(), hw = g.col_cols();
    for_each_image<T>(g, [&](int64_t n, T* col, int) {
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        const T* xin = px + (n * g.C + gi * g.Cg) * g.H * g.W;
        const T* src = xin;
        if (!g.pointwise()) {
          im2col(g, xin, col);
          src = col;
        }
        gemm<T>(false, false, g.Og, hw, kk, T(1), pw + gi * g.Og * kk, kk, src, hw, T(0),
                py + (n * g.O + gi * g.Og) * hw, hw);
      }
      if (B.defined()) {
        const T* pb = B.data<T>();
        for (int64_t o = 0; o < g.O; ++o) {
          T* yo = py + (n * g.O + o) * hw;
          for (int64_t i = 0; i < hw; ++i) yo[i] += pb[o];
        }
      }
    });
  });
  const bool need_x = x.requires_grad(), need_w = weight.requires_grad(), need_b = bias.defined() && bias.requires_grad();
  return record(y, "conv2d", {x, weight, bias}, [g, X, Wt, need_x, need_w, need_b](const Tensor& gy_in)
                -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    Tensor gx, gw, gb;
    dispatch_float(gy.dtype(), "conv2d backward", [&](auto zero) {
      using T = decltype(zero);
      const T *px = X.data<T>(), *pw = Wt.data<T>(), *pg = gy.data<T>();
      const int64_t kk = g.col_rows(), hw = g.col_cols();
      if (need_x) gx = Tensor::zeros(X.shape(), X.dtype());
      // One weight-gradient buffer per thread, summed at the end (no write races).
      const int threads = g.N >= num_threads() && g.N > 1 ? num_threads() : 1;
      std::vector<Tensor> gw_part;
      if (need_w)
        for (int t = 0; t < threads; ++t) gw_part.push_back(Tensor::zeros(Wt.shape(), Wt.dtype()));
      for_each_image<T>(g, [&](int64_t n, T* col, int thread) {
        for (int64_t gi = 0; gi < g.groups; ++gi) {
          const T* gyo = pg + (n * g.O + gi * g.Og) * hw;
          const T* wg = pw + gi * g.Og * kk;
          if (need_w) {
            const T* xin = px + (n * g.C + gi * g.Cg) * g.H * g.W;
            const T* src = xin;
            if (!g.pointwise()) {
              im2col(g, xin, col);
              src = col;
            }
            gemm<T>(false, true, g.Og, kk, hw, T(1), gyo, hw, src, hw, T(1),
                    gw_part[size_t(thread)].template data<T>() + gi * g.Og * kk, kk);
          }
          if (need_x) {
            T* gxin = gx.template data<T>() + (n * g.C + gi * g.Cg) * g.H * g.W;
            if (g.pointwise()) {
              gemm<T>(true, false, kk, hw, g.Og, T(1), wg, kk, gyo, hw, T(0), gxin, hw);
            } else {
              gemm<T>(true, false, kk, hw, g.Og, T(1), wg, kk, gyo, hw, T(0), col, hw);
              col2im(g, col, gxin);
            }
          }
        }
      });
      if (need_w) {
        gw = gw_part[0];
        for (size_t t = 1; t < gw_part.size(); ++t) gw = gw + gw_part[t];
      }
      if (need_b) {
        gb = Tensor::empty({g.O}, gy.dtype());
        T* pb = gb.template data<T>();
        parallel_for(g.O, [&](int64_t o) {
          double acc = 0;
          for (int64_t n = 0; n < g.N; ++n)
            for (int64_t i = 0; i < hw; ++i) acc += double(pg[(n * g.O + o) * hw + i]);
          pb[o] = T(acc);
        }, g.N * hw);
      }
    });
    return {gx, gw, gb};
  });
}

}  // namespace easel
