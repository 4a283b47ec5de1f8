// The definition of a 2-d convolution, as loops: what autograd/conv.cpp computes fast.
#include "autograd/conv_reference.h"

namespace easel {

Tensor conv2d_reference(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), O = w.size(0), kh = w.size(2), kw = w.size(3);
  const int64_t Cg = C / o.groups, Og = O / o.groups;
  const int64_t OH = (H + 2 * o.padding.h - o.dilation.h * (kh - 1) - 1) / o.stride.h + 1;
  const int64_t OW = (W + 2 * o.padding.w - o.dilation.w * (kw - 1) - 1) / o.stride.w + 1;
  Tensor y = Tensor::zeros({N, O, OH, OW}, DType::f64);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oc = 0; oc < O; ++oc)
      for (int64_t i = 0; i < OH; ++i)
        for (int64_t j = 0; j < OW; ++j) {
          double acc = b.defined() ? b.at({oc}) : 0;
          const int64_t g = oc / Og;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t ki = 0; ki < kh; ++ki)
              for (int64_t kj = 0; kj < kw; ++kj) {
                const int64_t ih = i * o.stride.h - o.padding.h + ki * o.dilation.h;
                const int64_t iw = j * o.stride.w - o.padding.w + kj * o.dilation.w;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) acc += w.at({oc, c, ki, kj}) * x.at({n, g * Cg + c, ih, iw});
              }
          y.set({n, oc, i, j}, acc);
        }
  return y;
}

}  // namespace easel
