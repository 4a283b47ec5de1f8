// Convolution kernels: im2col / col2im (one element per thread, the math of conv_math.h) and the
// cuBLAS GEMMs between them, per chunk of images:
//   forward    col = im2col(x);   y_(n,g) = W_g · col_(n,g)                 then y += b
//   backward   gW_g += gy_(n,g) · col_(n,g)ᵀ;   gx = col2im(W_gᵀ · gy_(n,g))
// col holds every channel of a chunk of images, [images, C·kh·kw, OH·OW]: group g of image n is
// the block of K = Cg·kh·kw rows starting at row g·K.
#include <algorithm>
#include <atomic>

#include "autograd/cuda/conv.h"
#include "tensor/cuda/blas.h"
#include "tensor/cuda/launch.h"
#include "tensor/parallel.h"

namespace easel::cuda {

namespace {

// col [images, C·kh·kw, OH·OW] from x [images, C, H, W]
template <class T>
__global__ void im2col_kernel(math::ConvShape s, const T* x, T* col, int64_t images) {
  const int64_t rows = s.C * s.taps(), P = s.pixels();
  EASEL_GRID_STRIDE_LOOP(i, images * rows * P) {
    const int64_t n = i / (rows * P), row = i / P % rows, p = i % P;
    col[i] = math::im2col_at(s, x + n * s.C * s.H * s.W, row, p);
  }
}

// x [images, C, H, W] = col2im(col [images, C·kh·kw, OH·OW]): each pixel gathers its own sum
template <class T>
__global__ void col2im_kernel(math::ConvShape s, const T* col, T* x, int64_t images) {
  const int64_t HW = s.H * s.W, rows = s.C * s.taps();
  EASEL_GRID_STRIDE_LOOP(i, images * s.C * HW) {
    const int64_t n = i / (s.C * HW), c = i / HW % s.C, ih = i % HW / s.W, iw = i % s.W;
    x[i] = math::col2im_at(s, col + n * rows * s.pixels(), c, ih, iw);
  }
}

// y [N, O, P] += b [O]
template <class T>
__global__ void add_channel_bias_kernel(T* y, const T* b, int64_t n, int64_t O, int64_t P) {
  EASEL_GRID_STRIDE_LOOP(i, n) { y[i] += b[i / P % O]; }
}

// A stack of matrices indexed by (image, group): matrix (n, g) starts at p + n·image + g·group.
template <class P>
struct Stack {
  P p;
  int64_t ld, image, group;
};

// C_(n,g) = op(A_(n,g)) · op(B_(n,g)) + beta·C_(n,g) for every image n < images and group g.
// One batched call over the images when there is one group; otherwise one call per image, batched
// over groups. C.image == 0 accumulates every image into one C: the images then go one by one.
template <class T>
void products(int dev, int64_t images, int64_t groups, bool ta, bool tb, int64_t M, int64_t N, int64_t K,
              Stack<const T*> A, Stack<const T*> B, T beta, Stack<T*> C) {
  if (groups == 1 && C.image != 0) {
    gemm_batched<T>(dev, ta, tb, M, N, K, T(1), A.p, A.ld, A.image, B.p, B.ld, B.image, beta, C.p, C.ld, C.image,
                    images);
    return;
  }
  for (int64_t n = 0; n < images; ++n)
    gemm_batched<T>(dev, ta, tb, M, N, K, T(1), A.p + n * A.image, A.ld, A.group, B.p + n * B.image, B.ld, B.group,
                    beta, C.p + n * C.image, C.ld, C.group, groups);
}

constexpr int64_t kDefaultColLimit = int64_t(1) << 26;  // elements: 256 MB in f32
std::atomic<int64_t> col_limit{kDefaultColLimit};

// Images per chunk: the col buffer of a chunk holds at most col_limit elements (one image at least).
int64_t chunk_images(const math::ConvShape& s) {
  const int64_t per_image = s.C * s.taps() * s.pixels();
  const int64_t n = col_limit.load() / (per_image > 0 ? per_image : 1);
  return n < 1 ? 1 : n > s.N ? s.N : n;
}

}  // namespace

void set_col_buffer_limit(int64_t elements) { col_limit.store(elements > 0 ? elements : kDefaultColLimit); }

void conv2d_forward(const math::ConvShape& s, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y) {
  if (s.N == 0) return;
  const int dev = x.device().index;
  const int64_t K = s.col_rows(), P = s.pixels(), rows = s.C * s.taps(), chunk = chunk_images(s);
  Tensor col = Tensor::empty({chunk * rows * P}, x.dtype(), x.device());
  dispatch_float(x.dtype(), "conv2d on cuda", [&](auto zero) {
    using T = decltype(zero);
    const T *px = x.device_data<T>(), *pw = w.device_data<T>();
    T *pc = col.device_data<T>(), *py = y.device_data<T>();
    for (int64_t n0 = 0; n0 < s.N; n0 += chunk) {
      const int64_t nb = std::min(chunk, s.N - n0);
      launch("conv2d (im2col)", dev, grid_for(nb * rows * P), im2col_kernel<T>, s, px + n0 * s.C * s.H * s.W, pc, nb);
      // y_(n,g) [Og, P] = W_g [Og, K] · col_(n,g) [K, P]
      products<T>(dev, nb, s.groups, false, false, s.Og, P, K, {pw, K, 0, s.Og * K}, {pc, P, rows * P, K * P}, T(0),
                  {py + n0 * s.O * P, P, s.O * P, s.Og * P});
    }
    if (b.defined())
      launch("conv2d (bias)", dev, grid_for(y.numel()), add_channel_bias_kernel<T>, py, b.device_data<T>(), y.numel(),
             s.O, P);
  });
}

void conv2d_backward(const math::ConvShape& s, const Tensor& x, const Tensor& w, const Tensor& gy, const Tensor& gx,
                     const Tensor& gw) {
  const int dev = x.device().index;
  const int64_t K = s.col_rows(), P = s.pixels(), rows = s.C * s.taps(), chunk = chunk_images(s);
  if (s.N == 0) return;
  Tensor col = Tensor::empty({chunk * rows * P}, x.dtype(), x.device());
  dispatch_float(x.dtype(), "conv2d backward on cuda", [&](auto zero) {
    using T = decltype(zero);
    const T *px = x.device_data<T>(), *pw = w.device_data<T>(), *pg = gy.device_data<T>();
    T* pc = col.device_data<T>();
    for (int64_t n0 = 0; n0 < s.N; n0 += chunk) {
      const int64_t nb = std::min(chunk, s.N - n0);
      const Stack<const T*> gy_chunk{pg + n0 * s.O * P, P, s.O * P, s.Og * P};
      if (gw.defined()) {  // gW_g [Og, K] += gy_(n,g) [Og, P] · col_(n,g)ᵀ [P, K], image after image
        launch("conv2d backward (im2col)", dev, grid_for(nb * rows * P), im2col_kernel<T>, s,
               px + n0 * s.C * s.H * s.W, pc, nb);
        products<T>(dev, nb, s.groups, false, true, s.Og, K, P, gy_chunk, {pc, P, rows * P, K * P}, T(1),
                    {gw.device_data<T>(), K, 0, s.Og * K});
      }
      if (gx.defined()) {  // gcol_(n,g) [K, P] = W_gᵀ [K, Og] · gy_(n,g) [Og, P], then gx = col2im(gcol)
        products<T>(dev, nb, s.groups, true, false, K, P, s.Og, {pw, K, 0, s.Og * K}, gy_chunk, T(0),
                    {pc, P, rows * P, K * P});
        launch("conv2d backward (col2im)", dev, grid_for(nb * s.C * s.H * s.W), col2im_kernel<T>, s, pc,
               gx.device_data<T>() + n0 * s.C * s.H * s.W, nb);
      }
    }
  });
}

}  // namespace easel::cuda
