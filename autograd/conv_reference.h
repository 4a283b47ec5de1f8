// A 2-d convolution exactly as its definition reads, in plain loops: the readable reference that
// the fast path (autograd/conv.cpp: im2col + GEMM, direct depthwise kernels) is tested against.
//
//   y[n, o, i, j] = b[o] + Σ_{c, ki, kj} w[o, c, ki, kj] · x[n, g·Cg + c, i·s_h - p_h + ki·d_h, j·s_w - p_w + kj·d_w]
//   (g = o / Og the group of output channel o; out-of-range input positions count as zero)
//
// Slow (one at() per multiply) and untracked by autograd: for tests and for reading.
#pragma once
#include "autograd/ops.h"

namespace easel {

// x [N, C, H, W], w [O, C/groups, kh, kw], b [O] or undefined -> f64 [N, O, OH, OW]
Tensor conv2d_reference(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o);

}  // namespace easel
