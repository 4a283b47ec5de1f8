// 3×3, stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, 2015): each
// 2×2 output tile comes from a 4×4 input tile with 16 multiplies per channel pair instead of 36.
//
//   U = G g Gᵀ (per filter),  V = Bᵀ d Bᵀᵀ (per input tile),  M = U ⊙ V summed over input channels,
//   Y = Aᵀ M A (per output tile).  The channel sum is 16 GEMMs: M[ξ] [O×T] = U[ξ] [O×C] · V[ξ] [C×T].
//
// All three passes use it: the input gradient is the same convolution of gy with the flipped,
// transposed filters (padding 2 - p), and the weight gradient is the adjoint of the forward chain:
// gU[ξ] = gM[ξ] · V[ξ]ᵀ with gM = A gY Aᵀ, then gg = Gᵀ gU G. The plain definition it is tested
// against: autograd/conv_reference.h; autograd/conv.cpp picks it (conv_algorithm()).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace easel {

// Which algorithm conv2d uses for a 3×3 stride-1 convolution. automatic: Winograd where it pays
// (both channel counts ≥ 16, groups 1, dilation 1, padding ≤ 2). EASEL_CONV=im2col in the
// environment, or set_conv_algorithm(), forces one (tests force each on small shapes); im2col then
// also replaces the direct depthwise loops, so every convolution is one im2col + GEMM.
enum class ConvAlgorithm { automatic, im2col, winograd };
ConvAlgorithm conv_algorithm();
void set_conv_algorithm(ConvAlgorithm a);

struct Conv3x3Shape {
  int64_t N, C, H, W;   // input
  int64_t O;            // output channels
  int64_t pad_h, pad_w; // 0, 1 or 2
  int64_t OH, OW;       // = H + 2·pad_h - 2, W + 2·pad_w - 2
};

// y [N, O, OH, OW] = conv(x [N, C, H, W], w [O, C, 3, 3]) + b [O] (b may be null)
template <class T>
void winograd_conv3x3_forward(const Conv3x3Shape& s, const T* x, const T* w, const T* b, T* y);
// The same with the filters already transformed: U [16][O][C] from winograd_filters.
template <class T>
void winograd_conv3x3_forward_transformed(const Conv3x3Shape& s, const T* x, const T* U, const T* b, T* y);
// U[ξ][o][c] = (G w[o][c] Gᵀ)[ξ] for w [O, C, 3, 3]; plane ξ starts at ξ·winograd_filter_stride(s)
// (O·C plus a cache line, so that the 16 planes do not lie a power of two apart); U holds
// 16·winograd_filter_stride(s) values.
int64_t winograd_filter_stride(const Conv3x3Shape& s);
template <class T>
void winograd_filters(const Conv3x3Shape& s, const T* w, T* U);
// winograd_filters, remembered. Inference runs the same filters again and again, and their
// transform (16/9 of the weights' size, written in 16 scattered streams) took a fifth of resnet50's
// batch-1 forward. One entry per weight buffer keeps U with a copy of the bytes it came from and is
// recomputed when they differ, so an in-place update (an optimizer step, a weight load, user code)
// is never served stale filters; the compare reads the weights once per call. At most 512 MB, least recently used out first.
template <class T>
std::shared_ptr<const std::vector<T>> winograd_filters_cached(const Conv3x3Shape& s, const T* w);
size_t winograd_filter_cache_bytes();  // what the cache holds: weights copies + transformed filters

// gx [N, C, H, W] = ∂L/∂x from gy [N, O, OH, OW] (overwritten)
template <class T>
void winograd_conv3x3_grad_input(const Conv3x3Shape& s, const T* gy, const T* w, T* gx);
// gw [O, C, 3, 3] += ∂L/∂w from x and gy
template <class T>
void winograd_conv3x3_grad_weight(const Conv3x3Shape& s, const T* x, const T* gy, T* gw);

}  // namespace easel
