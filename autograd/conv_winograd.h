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
#include <cstdint>

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
// gx [N, C, H, W] = ∂L/∂x from gy [N, O, OH, OW] (overwritten)
template <class T>
void winograd_conv3x3_grad_input(const Conv3x3Shape& s, const T* gy, const T* w, T* gx);
// gw [O, C, 3, 3] += ∂L/∂w from x and gy
template <class T>
void winograd_conv3x3_grad_weight(const Conv3x3Shape& s, const T* x, const T* gy, T* gw);

}  // namespace easel
