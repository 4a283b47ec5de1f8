// Tensor: an n-dimensional view (shape, strides, offset) onto shared, typed storage.
//
// A Tensor is a cheap handle (a shared pointer): copying it aliases the same data, as in PyTorch.
// Views (reshape of contiguous data, permute, transpose, slice, expand) share storage; contiguous()
// and clone() copy. Differentiable operations are free functions declared in autograd/ops.h; the
// methods below that build new tensors delegate to them, so `x.reshape(...)` is recorded on the tape.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "tensor/device.h"
#include "tensor/dtype.h"
#include "tensor/error.h"

namespace easel {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);  // "[2, 3, 4]"
int64_t shape_numel(const Shape& s);
Shape contiguous_strides(const Shape& s);

// A block of memory on one device, 64-byte aligned. Never resized.
struct Storage {
  Storage(size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
};

struct Node;  // autograd/node.h
class Tensor;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;       // in elements
  int64_t offset = 0;  // in elements
  DType dtype = DType::f32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // accumulated gradient of a leaf
  std::shared_ptr<Node> grad_fn;     // the op that produced this tensor (null for leaves)
};

class Generator;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories -------------------------------------------------------------------------
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor scalar(double value, DType dtype = DType::f32);  // 0-d tensor
  static Tensor from(const std::vector<double>& values, const Shape& shape, DType dtype = DType::f32);
  static Tensor arange(int64_t n, DType dtype = DType::f32);
  static Tensor linspace(double start, double end, int64_t n, DType dtype = DType::f32);
  // Random factories draw from `gen`, or from the global generator (see tensor/random.h) when null.
  // The values depend only on the generator's state, never on the number of threads.
  static Tensor rand(const Shape& shape, DType dtype = DType::f32, Generator* gen = nullptr);
  static Tensor randn(const Shape& shape, DType dtype = DType::f32, Generator* gen = nullptr);
  static Tensor normal(const Shape& shape, double mean, double std, DType dtype = DType::f32, Generator* gen = nullptr);
  static Tensor uniform(const Shape& shape, double lo, double hi, DType dtype = DType::f32, Generator* gen = nullptr);
  static Tensor bernoulli(const Shape& shape, double p, DType dtype = DType::f32, Generator* gen = nullptr);
  // Dropout's mask on `device`: `scale` with probability `keep`, else 0. One number is drawn from
  // `gen` (the global generator when null) as the key of a counter-based stream (counter_rng.h):
  // the same seed gives the same mask on every device, drawn in parallel where the tensor lives.
  static Tensor keep_mask(const Shape& shape, double keep, double scale, DType dtype, Device device,
                          Generator* gen = nullptr);
  static Tensor randint(const Shape& shape, int64_t high, Generator* gen = nullptr);  // i64 in [0, high)

  // ---- metadata ----------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  int64_t dim() const { return int64_t(impl().shape.size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const { return shape_numel(impl().shape); }
  int64_t offset() const { return impl().offset; }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device; }
  bool is_contiguous() const;
  std::string describe() const;  // "f32[2, 3]", "f32[2, 3] on cuda:0"

  // ---- element access ----------------------------------------------------------------------
  // data() and raw_data() are for CPU code: on a tensor that lives on a CUDA device they throw
  // (that is how an op without a CUDA kernel fails: clearly, never by reading device memory).
  template <class T> T* data() const;         // first element; checks that T matches dtype
  void* raw_data() const;                     // first element, untyped
  // For CUDA kernels: the first element in device memory (device_data checks the tensor is there).
  template <class T> T* device_data() const;
  void* raw_device_data() const;  // the first element wherever the tensor lives, unchecked
  // These copy through the host when the tensor lives on a device (slow there: for tests and output).
  double item() const;                        // single-element tensor -> double
  double at(const std::vector<int64_t>& index) const;       // one element by multi-index
  void set(const std::vector<int64_t>& index, double value);  // one element (no autograd)
  std::vector<double> to_vector() const;      // all elements in row-major order

  // ---- autograd ----------------------------------------------------------------------------
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& requires_grad_(bool on = true);     // only on leaves
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  Tensor grad() const;                        // undefined until a backward reaches this leaf
  void zero_grad();                           // drops the accumulated gradient
  void set_grad(const Tensor& g);             // replaces it (same shape, dtype, device; not recorded)
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }
  // Reverse-mode differentiation from this tensor. `grad` defaults to 1 for a one-element tensor.
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;
  Tensor detach() const;                      // same data, cut from the graph

  // ---- copies and conversions --------------------------------------------------------------
  Tensor contiguous() const;                  // differentiable; no copy when already contiguous
  Tensor clone() const;                       // differentiable copy
  Tensor to(DType dtype) const;               // differentiable between f32 and f64
  Tensor to(Device device) const;             // differentiable; the same tensor when already there
  Tensor cpu() const { return to(Device::cpu()); }
  Tensor cuda(int index = 0) const { return to(Device::cuda(index)); }
  void copy_(const Tensor& src);              // in place, no autograd; broadcasts src; across devices
  void uniform_(double lo, double hi, Generator* gen = nullptr);       // in place, no autograd: the values
  void normal_(double mean, double std, Generator* gen = nullptr);     // Tensor::uniform / normal would give

  // ---- views and shape (differentiable; see autograd/shape.cpp) ----------------------------
  Tensor reshape(const Shape& shape) const;   // one dim may be -1
  Tensor view(const Shape& shape) const;      // like reshape, but never copies (errors instead)
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;  // slice + drop the dim
  Tensor expand(const Shape& shape) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;
  Tensor flatten(int64_t start = 0, int64_t end = -1) const;

  std::shared_ptr<TensorImpl> impl_;
  TensorImpl& impl() const {
    EASEL_CHECK(impl_, "use of an undefined tensor");
    return *impl_;
  }
};

// A view onto `base`'s storage with a new geometry; no autograd, no checks beyond bounds.
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);  // -1 -> ndim-1, with a clear error

std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::string to_string(const Tensor& t);

template <class T>
T* Tensor::data() const {
  EASEL_CHECK(dtype_of<T>() == dtype(), "data<", dtype_name(dtype_of<T>()), ">() on a ", describe(), " tensor");
  return static_cast<T*>(raw_data());
}

template <class T>
T* Tensor::device_data() const {
  EASEL_CHECK(dtype_of<T>() == dtype(), "device_data<", dtype_name(dtype_of<T>()), ">() on a ", describe(), " tensor");
  EASEL_CHECK(device().is_cuda(), "a CUDA kernel was handed a ", describe(), " tensor that lives on the CPU");
  return static_cast<T*>(raw_device_data());
}

}  // namespace easel
