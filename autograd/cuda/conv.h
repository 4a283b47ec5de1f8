// Convolution on a CUDA device (autograd/cuda/conv.cu): own im2col / col2im kernels around cuBLAS
// GEMMs, the readable path (cuDNN comes later). The math of one element is conv_math.h.
// All tensors are dense and on one device; outputs are allocated by the caller (autograd/conv.cpp).
#pragma once
#include "autograd/conv_math.h"
#include "tensor/tensor.h"

namespace easel::cuda {

// y [N, O, OH, OW] = conv(x [N, C, H, W], w [O, Cg, kh, kw]) + b [O] (b may be undefined)
void conv2d_forward(const math::ConvShape& s, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y);
// gx = col2im(Wᵀ·gy) (overwritten) and gw += Σ_n gy·colᵀ (pass zeros); either may be undefined
void conv2d_backward(const math::ConvShape& s, const Tensor& x, const Tensor& w, const Tensor& gy, const Tensor& gx,
                     const Tensor& gw);
// The im2col buffer's cap in elements, images batched up to it (0: the default, 2^26 = 256 MB in
// f32). Tests lower it so that a small batch runs in several chunks.
void set_col_buffer_limit(int64_t elements);

}  // namespace easel::cuda
