// Every differentiable operation of Easel, in one list. Each is defined, forward and backward side
// by side, in the file named in its section; all run on the CPU in f32 and f64.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "tensor/tensor.h"

namespace easel {

class Generator;

// ---- elementwise, with NumPy broadcasting (autograd/elementwise.cpp) ------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);  // a > 0 where b's gradient is needed
Tensor pow(const Tensor& x, double p);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor clamp(const Tensor& x, double lo, double hi);  // gradient 1 where lo <= x <= hi

// ---- activations (autograd/elementwise.cpp) -------------------------------------------------
Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double slope = 0.01);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor silu(const Tensor& x);       // x·σ(x), a.k.a. swish
Tensor gelu(const Tensor& x);       // exact: x·Φ(x)
Tensor hardswish(const Tensor& x);  // x·relu6(x+3)/6
Tensor hardsigmoid(const Tensor& x);  // relu6(x+3)/6

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);

// ---- reductions (autograd/reduce.cpp); `dims` empty = all dims ------------------------------
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// Variance with Bessel's correction by default (correction = 1), as torch.var.
Tensor var(const Tensor& x, const std::vector<int64_t>& dims = {}, int64_t correction = 1, bool keepdim = false);
// Maximum along one dim; the gradient goes to the first maximal element.
Tensor max(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor max(const Tensor& x);                  // of all elements
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);  // i64, not differentiable
Tensor sum_to(const Tensor& x, const Shape& shape);  // sums broadcast dims away (inverse of expand)

// ---- shape (autograd/shape.cpp); also Tensor::reshape/permute/slice/... -----------------------
Tensor concat(const std::vector<Tensor>& xs, int64_t dim);
std::vector<Tensor> split(const Tensor& x, int64_t size, int64_t dim);  // pieces of `size` (last may be smaller)
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim);
// Constant padding, PyTorch's F.pad order: {left, right} of the last dim, then {top, bottom} of
// the one before, and so on. Negative amounts crop.
Tensor pad(const Tensor& x, const std::vector<int64_t>& amounts, double value = 0.0);

// ---- linear algebra (autograd/matmul.cpp) -----------------------------------------------------
Tensor matmul(const Tensor& a, const Tensor& b);  // [..., M, K] x [..., K, N], batch dims broadcast
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());  // x Wᵀ + b

// ---- convolution and pooling (autograd/conv.cpp, autograd/pool.cpp) ---------------------------
struct Hw {  // a (height, width) pair, built from one number or two
  int64_t h, w;
  Hw(int64_t v) : h(v), w(v) {}  // NOLINT: implicit on purpose, as PyTorch's int-or-tuple
  Hw(int64_t h_, int64_t w_) : h(h_), w(w_) {}
};

struct Conv2dOptions {
  Hw stride = 1, padding = 0, dilation = 1;
  int64_t groups = 1;
};
// x [N, C, H, W], weight [O, C/groups, kh, kw], bias [O] or undefined -> [N, O, OH, OW]
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), const Conv2dOptions& opt = {});

struct MaxPool2dOptions {
  Hw kernel = 2;
  std::optional<Hw> stride;  // defaults to the kernel
  Hw padding = 0, dilation = 1;
  bool ceil_mode = false;
};
Tensor max_pool2d(const Tensor& x, const MaxPool2dOptions& opt);

struct AvgPool2dOptions {
  Hw kernel = 2;
  std::optional<Hw> stride;
  Hw padding = 0;
  bool ceil_mode = false, count_include_pad = true;
};
Tensor avg_pool2d(const Tensor& x, const AvgPool2dOptions& opt);
// Output bins [floor(i·H/OH), ceil((i+1)·H/OH)), any output size, as PyTorch.
Tensor adaptive_avg_pool2d(const Tensor& x, Hw output_size);

// ---- normalisation and regularisation (autograd/norm.cpp) --------------------------------------
// x [N, C, ...]. Training: normalise with batch statistics and update running_mean/var in place
// (running = (1-momentum)·running + momentum·batch, with the unbiased batch variance). Eval: use
// the running statistics. Any of running_*, weight, bias may be undefined.
Tensor batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum = 0.1, double eps = 1e-5);
// relu(batch_norm(...)) as one op: one pass over the data, and backward keeps the output instead
// of a second tensor for the ReLU (the values and gradients are the two ops' own). On a device, the two.
Tensor batch_norm_relu(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight,
                       const Tensor& bias, bool training, double momentum = 0.1, double eps = 1e-5);
// Zeroes each element with probability p and scales the rest by 1/(1-p); identity when !training.
Tensor dropout(const Tensor& x, double p, bool training, Generator* gen = nullptr);

// ---- across the ranks of a distributed run (autograd/collective.cpp, tensor/comm.h) -----------
// The element-wise sum over all ranks, on every rank; its gradient is all-reduced the same way.
Tensor all_reduce_sum(const Tensor& x);
// Training-mode batch_norm whose statistics cover every rank's batch (PyTorch's SyncBatchNorm);
// with one process it equals batch_norm(x, ..., training = true).
Tensor sync_batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight,
                       const Tensor& bias, double momentum = 0.1, double eps = 1e-5);

// ---- softmax and losses (autograd/loss.cpp) ---------------------------------------------------
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

enum class Reduction { none, mean, sum };
struct CrossEntropyOptions {
  Tensor weight;                 // [C] class weights, or undefined
  double label_smoothing = 0.0;  // in [0, 1]
  Reduction reduction = Reduction::mean;
};
// logits [N, C], target i64 [N] in [0, C). Mean reduction divides by the summed weight of the
// targets, as PyTorch's weighted mean does.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& opt = {});
// Numerically stable BCE on logits; target of the same shape with values in [0, 1]; pos_weight
// (broadcast over the last dim) multiplies the positive term.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        const Tensor& pos_weight = Tensor(), Reduction reduction = Reduction::mean);

}  // namespace easel
