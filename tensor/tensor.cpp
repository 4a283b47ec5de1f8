#include "tensor/tensor.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "tensor/allocator.h"
#include "tensor/cuda/copy.h"
#include "tensor/counter_rng.h"
#include "tensor/cuda/runtime.h"
#include "tensor/random.h"
#include "tensor/strided.h"

namespace easel {

// ---- shapes --------------------------------------------------------------------------------

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    EASEL_CHECK(d >= 0, "shape ", shape_str(s), ": negative size");
    EASEL_CHECK(d == 0 || n <= (int64_t(1) << 60) / d, "shape ", shape_str(s), ": more elements than any memory holds");
    n *= d;
  }
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (int64_t d = int64_t(s.size()) - 1; d >= 0; --d) {
    st[d] = acc;
    acc *= std::max<int64_t>(s[d], 1);
  }
  return st;
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  const int64_t lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;
  EASEL_CHECK(dim >= lo && dim <= hi, op, ": dim ", dim, " is out of range for a ", ndim, "-d tensor (valid: ",
              lo, "..", hi, ")");
  return dim < 0 ? dim + std::max<int64_t>(ndim, 1) : dim;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    EASEL_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", shape_str(a), " and ", shape_str(b),
                " cannot be broadcast together (dim ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Shape broadcast_strides(const Tensor& t, const Shape& out) {
  const size_t n = out.size(), k = t.shape().size();
  Shape st(n, 0);
  for (size_t i = 0; i < k; ++i) {
    const size_t o = n - k + i;
    st[o] = t.shape()[i] == 1 && out[o] != 1 ? 0 : t.strides()[i];
  }
  return st;
}

// ---- devices -------------------------------------------------------------------------------

std::string Device::str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

Device parse_device(const std::string& text) {
  if (text == "cpu") return Device::cpu();
  if (text == "cuda") return Device::cuda(0);
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5 && text.size() < 9 &&
      text.find_first_not_of("0123456789", 5) == std::string::npos)
    return Device::cuda(std::stoi(text.substr(5)));
  throw Error("unknown device '" + text + "': expected cpu, cuda or cuda:N");
}

// ---- storage -------------------------------------------------------------------------------

Storage::Storage(size_t nbytes_, Device device_) : nbytes(nbytes_), device(device_) {
  if (device.is_cuda()) {
    data = cuda::allocate(nbytes, device.index);  // throws with the device's memory report
    return;
  }
  data = cpu_allocate(std::max<size_t>(nbytes, 1));
  EASEL_CHECK(data, "out of memory: cannot allocate ", double(nbytes) / double(1 << 20), " MiB");
}

Storage::~Storage() {
  if (device.is_cuda()) cuda::release(data, nbytes, device.index);
  else cpu_release(data, std::max<size_t>(nbytes, 1));
}

// ---- half-precision conversions (storage types) --------------------------------------------

static float bf16_to_float(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
static uint16_t float_to_bf16(float f) {  // round to nearest even
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (std::isnan(f)) return 0x7fc0;
  return uint16_t((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}
static float f16_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float mag;
  if (exp == 0) mag = std::ldexp(float(mant), -24);
  else if (exp == 31) mag = mant ? NAN : INFINITY;
  else mag = std::ldexp(float(mant | 0x400), int(exp) - 25);
  return sign ? -mag : mag;
}
static uint16_t float_to_f16(float f) {
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  const float a = std::fabs(f);
  if (std::isnan(f)) return 0x7e00;
  if (a >= 65520.f) return sign | 0x7c00;
  if (a < 0x1p-24f * 0.5f) return sign;
  int e;
  std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  if (e < -13) return sign | uint16_t(std::nearbyint(std::ldexp(a, 24)));  // subnormal
  const uint32_t q = uint32_t(std::nearbyint(std::ldexp(a, 11 - e)));        // 11 significant bits
  uint32_t exp = uint32_t(e + 14), mant = q;
  if (mant == 2048) { mant = 1024; ++exp; }
  return sign | uint16_t(exp << 10) | uint16_t(mant & 0x3ff);
}

static double read_elem(const void* p, DType t) {
  switch (t) {
    case DType::f32: return *static_cast<const float*>(p);
    case DType::f64: return *static_cast<const double*>(p);
    case DType::i64: return double(*static_cast<const int64_t*>(p));
    case DType::bf16: return bf16_to_float(*static_cast<const uint16_t*>(p));
    case DType::f16: return f16_to_float(*static_cast<const uint16_t*>(p));
  }
  return 0;
}
static void write_elem(void* p, DType t, double v) {
  switch (t) {
    case DType::f32: *static_cast<float*>(p) = float(v); break;
    case DType::f64: *static_cast<double*>(p) = v; break;
    case DType::i64: *static_cast<int64_t*>(p) = int64_t(v); break;
    case DType::bf16: *static_cast<uint16_t*>(p) = float_to_bf16(float(v)); break;
    case DType::f16: *static_cast<uint16_t*>(p) = float_to_f16(float(v)); break;
  }
}

// ---- factories -----------------------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape) EASEL_CHECK(d >= 0, "negative dimension in shape ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(size_t(shape_numel(shape)) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  if (device.is_cuda()) return full(shape, 0.0, dtype, device);
  Tensor t = empty(shape, dtype);
  std::memset(t.raw_data(), 0, size_t(t.numel()) * dtype_size(dtype));
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  if (device.is_cuda()) {
    Tensor t = empty(shape, dtype, device);
    cuda::fill(t, value);
    return t;
  }
  Tensor t = empty(shape, dtype);
  char* p = static_cast<char*>(t.raw_data());
  const size_t es = dtype_size(dtype);
  if (t.numel() > 0) write_elem(p, dtype, value);
  for (int64_t i = 1; i < t.numel(); ++i) std::memcpy(p + i * es, p, es);
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }
Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }

Tensor Tensor::from(const std::vector<double>& values, const Shape& shape, DType dtype) {
  EASEL_CHECK(int64_t(values.size()) == shape_numel(shape), "Tensor::from: ", values.size(),
              " values do not fill shape ", shape_str(shape), " (", shape_numel(shape), " elements)");
  Tensor t = empty(shape, dtype);
  char* p = static_cast<char*>(t.raw_data());
  for (size_t i = 0; i < values.size(); ++i) write_elem(p + i * dtype_size(dtype), dtype, values[i]);
  return t;
}

Tensor Tensor::arange(int64_t n, DType dtype) {
  std::vector<double> v(static_cast<size_t>(std::max<int64_t>(n, 0)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = double(i);
  return from(v, {int64_t(v.size())}, dtype);
}

Tensor Tensor::linspace(double start, double end, int64_t n, DType dtype) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[size_t(i)] = n == 1 ? start : start + (end - start) * double(i) / double(n - 1);
  return from(v, {n}, dtype);
}

// Large tensors are filled in fixed blocks of 2^14 values, each from its own generator seeded by
// one draw of `g` and the block index: parallel, yet the values do not depend on the thread count.
constexpr int64_t kRandomBlock = 1 << 14;

// Fills a contiguous CPU tensor of f32, f64 or i64 with draw(g) per element: serially when small,
// else in blocks, each from its own generator seeded from one draw of g (same values on any thread count).
template <class Draw>
static void fill_drawn(const Tensor& t, Generator& g, Draw draw) {
  const int64_t n = t.numel();
  auto fill = [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    if (n <= kRandomBlock) {
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(draw(g));
      return;
    }
    const uint64_t base = g.next_u64();
    parallel_for((n + kRandomBlock - 1) / kRandomBlock, [&](int64_t b) {
      Generator local(base ^ (0x9e3779b97f4a7c15ULL * uint64_t(b + 1)));
      for (int64_t i = b * kRandomBlock; i < std::min(n, (b + 1) * kRandomBlock); ++i) p[i] = static_cast<T>(draw(local));
    }, kRandomBlock);
  };
  if (t.dtype() == DType::f32) fill(t.data<float>());
  else if (t.dtype() == DType::f64) fill(t.data<double>());
  else fill(t.data<int64_t>());
}

static bool drawable_in_place(const Tensor& t) {
  const DType d = t.dtype();
  return !t.device().is_cuda() && (d == DType::f32 || d == DType::f64 || d == DType::i64) &&
         t.strides() == contiguous_strides(t.shape());
}

template <class Draw>
static Tensor random_fill(const Shape& shape, DType dtype, Generator* gen, Draw draw) {
  Generator& g = gen ? *gen : default_generator();
  Tensor t = Tensor::empty(shape, dtype);
  if (drawable_in_place(t)) {
    fill_drawn(t, g, draw);
  } else {
    Tensor f = random_fill(shape, DType::f32, &g, draw);
    t.copy_(f);
  }
  return t;
}

// In place: the values Tensor::uniform / normal would return, without a second tensor's memory.
template <class Draw>
static void redraw(Tensor& t, Generator* gen, Draw draw) {
  if (drawable_in_place(t)) fill_drawn(t, gen ? *gen : default_generator(), draw);
  else t.copy_(random_fill(t.shape(), t.dtype(), gen, draw));
}
void Tensor::uniform_(double lo, double hi, Generator* gen) {
  redraw(*this, gen, [=](Generator& g) { return lo + (hi - lo) * g.uniform(); });
}
void Tensor::normal_(double mean, double std, Generator* gen) {
  redraw(*this, gen, [=](Generator& g) { return mean + std * g.normal(); });
}

Tensor Tensor::rand(const Shape& shape, DType dtype, Generator* gen) {
  return random_fill(shape, dtype, gen, [](Generator& g) { return g.uniform(); });
}
Tensor Tensor::randn(const Shape& shape, DType dtype, Generator* gen) {
  return random_fill(shape, dtype, gen, [](Generator& g) { return g.normal(); });
}
Tensor Tensor::normal(const Shape& shape, double mean, double std, DType dtype, Generator* gen) {
  return random_fill(shape, dtype, gen, [=](Generator& g) { return mean + std * g.normal(); });
}
Tensor Tensor::uniform(const Shape& shape, double lo, double hi, DType dtype, Generator* gen) {
  return random_fill(shape, dtype, gen, [=](Generator& g) { return lo + (hi - lo) * g.uniform(); });
}
Tensor Tensor::bernoulli(const Shape& shape, double p, DType dtype, Generator* gen) {
  EASEL_CHECK(p >= 0 && p <= 1, "bernoulli: p must be in [0, 1], got ", p);
  return random_fill(shape, dtype, gen, [=](Generator& g) { return g.uniform() < p ? 1.0 : 0.0; });
}
Tensor Tensor::keep_mask(const Shape& shape, double keep, double scale, DType dtype, Device device, Generator* gen) {
  EASEL_CHECK(keep >= 0 && keep <= 1, "keep_mask: keep must be in [0, 1], got ", keep);
  const uint64_t key = (gen ? *gen : default_generator()).next_u64();
  Tensor t = Tensor::empty(shape, dtype, device);
  if (device.is_cuda()) {
    cuda::fill_keep_mask(t, key, keep, scale);
    return t;
  }
  auto fill = [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    parallel_for(t.numel(), [&](int64_t i) { p[i] = T(math::keep_mask_at(key, uint64_t(i), keep, scale)); }, 8);
  };
  if (dtype == DType::f32) fill(t.data<float>());
  else if (dtype == DType::f64) fill(t.data<double>());
  else EASEL_CHECK(false, "keep_mask: f32 or f64, got ", dtype_name(dtype));
  return t;
}
Tensor Tensor::randint(const Shape& shape, int64_t high, Generator* gen) {
  EASEL_CHECK(high > 0, "randint: high must be positive, got ", high);
  return random_fill(shape, DType::i64, gen, [=](Generator& g) { return double(g.randint(high)); });
}

// ---- metadata and element access -------------------------------------------------------------

int64_t Tensor::size(int64_t d) const { return shape()[size_t(wrap_dim(d, dim(), "size"))]; }

bool Tensor::is_contiguous() const {
  int64_t expect = 1;
  for (int64_t d = dim() - 1; d >= 0; --d) {
    if (shape()[d] != 1 && strides()[d] != expect) return false;
    expect *= shape()[d];
  }
  return true;
}

std::string Tensor::describe() const {
  if (!defined()) return "undefined";
  std::string s = std::string(dtype_name(dtype())) + shape_str(shape());
  return device().is_cpu() ? s : s + " on " + device().str();
}

void* Tensor::raw_data() const {
  EASEL_CHECK(device().is_cpu(), "CPU code reached a ", describe(),
              " tensor: this op has no CUDA kernel yet (README lists those that do); move the tensor with .cpu()");
  return raw_device_data();
}

void* Tensor::raw_device_data() const {
  return static_cast<char*>(impl().storage->data) + offset() * int64_t(dtype_size(dtype()));
}

static int64_t element_offset(const Tensor& t, const std::vector<int64_t>& index) {
  EASEL_CHECK(int64_t(index.size()) == t.dim(), "index with ", index.size(), " entries into a ", t.describe(),
              " tensor");
  int64_t off = 0;
  for (size_t d = 0; d < index.size(); ++d) {
    int64_t i = index[d] < 0 ? index[d] + t.shape()[d] : index[d];
    EASEL_CHECK(i >= 0 && i < t.shape()[d], "index ", index[d], " is out of range for dim ", d, " of a ",
                t.describe(), " tensor");
    off += i * t.strides()[d];
  }
  return off;
}

// One element of a device tensor as a 0-d CPU tensor (a view of it, copied over).
static Tensor element_on_host(const Tensor& t, int64_t off) {
  return make_view(t, {}, {}, t.offset() + off).to(Device::cpu());
}

double Tensor::at(const std::vector<int64_t>& index) const {
  const int64_t off = element_offset(*this, index);
  if (device().is_cuda()) return element_on_host(detach(), off).item();
  return read_elem(static_cast<const char*>(raw_data()) + off * int64_t(dtype_size(dtype())), dtype());
}

void Tensor::set(const std::vector<int64_t>& index, double value) {
  const int64_t off = element_offset(*this, index);
  if (device().is_cuda()) {
    make_view(*this, {}, {}, offset() + off).copy_(Tensor::full({}, value, dtype()));
    return;
  }
  write_elem(static_cast<char*>(raw_data()) + off * int64_t(dtype_size(dtype())), dtype(), value);
}

double Tensor::item() const {
  EASEL_CHECK(numel() == 1, "item() needs a one-element tensor, got ", describe());
  if (device().is_cuda()) return detach().to(Device::cpu()).item();
  return read_elem(raw_data(), dtype());
}

std::vector<double> Tensor::to_vector() const {
  std::vector<double> out;
  out.reserve(size_t(numel()));
  const Tensor c = detach().to(Device::cpu()).contiguous();
  const char* p = static_cast<const char*>(c.raw_data());
  for (int64_t i = 0; i < c.numel(); ++i) out.push_back(read_elem(p + i * int64_t(dtype_size(dtype())), dtype()));
  return out;
}

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl().storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

// ---- in-place copy -------------------------------------------------------------------------

// A copy between the host and a device: the bytes travel contiguous, in the destination's dtype;
// the device side gathers or scatters strides with the copy kernel.
static void copy_across_devices(const Tensor& dst, const Tensor& src) {
  if (dst.device().is_cuda() && src.device().is_cuda()) {  // device to device: through the host for now
    copy_across_devices(dst, src.to(Device::cpu()));
    return;
  }
  const size_t nbytes = size_t(dst.numel()) * dtype_size(dst.dtype());
  if (dst.device().is_cuda()) {
    Tensor host = Tensor::empty(dst.shape(), dst.dtype());
    host.copy_(src);
    const bool direct = dst.is_contiguous();
    Tensor staged = direct ? dst : Tensor::empty(dst.shape(), dst.dtype(), dst.device());
    cuda::copy_to_device(staged.raw_device_data(), host.raw_data(), nbytes, dst.device().index);
    if (!direct) cuda::copy(dst, staged);
  } else {
    Tensor packed = src;
    if (!src.is_contiguous() || src.dtype() != dst.dtype() || src.shape() != dst.shape()) {
      packed = Tensor::empty(dst.shape(), dst.dtype(), src.device());
      cuda::copy(packed, src);
    }
    if (dst.is_contiguous()) {
      cuda::copy_to_host(dst.raw_data(), packed.raw_device_data(), nbytes, src.device().index);
    } else {
      Tensor host = Tensor::empty(dst.shape(), dst.dtype());
      cuda::copy_to_host(host.raw_data(), packed.raw_device_data(), nbytes, src.device().index);
      const_cast<Tensor&>(dst).copy_(host);
    }
  }
}

void Tensor::copy_(const Tensor& src) {
  const Shape out = broadcast_shapes(shape(), src.shape(), "copy_");
  EASEL_CHECK(out == shape(), "copy_: cannot write a ", src.describe(), " tensor into ", describe());
  if (device() != src.device()) return copy_across_devices(*this, src);
  if (device().is_cuda()) return cuda::copy(*this, src);
  const Shape ss = broadcast_strides(src, shape());
  const std::array<const int64_t*, 2> st{strides().data(), ss.data()};
  const DType dt = dtype(), st_t = src.dtype();
  if (dt == st_t && dt != DType::bf16 && dt != DType::f16) {
    const size_t es = dtype_size(dt);
    char* d = static_cast<char*>(raw_data());
    const char* s = static_cast<const char*>(src.raw_data());
    auto typed = [&](auto zero) {
      using T = decltype(zero);
      for_each_strided<2>(shape(), st, [&](const std::array<int64_t, 2>& o) {
        reinterpret_cast<T*>(d)[o[0]] = reinterpret_cast<const T*>(s)[o[1]];
      });
    };
    if (es == 8) typed(int64_t{});
    else typed(float{});
    return;
  }
  char* d = static_cast<char*>(raw_data());
  const char* s = static_cast<const char*>(src.raw_data());
  const int64_t ed = int64_t(dtype_size(dt)), es = int64_t(dtype_size(st_t));
  for_each_strided<2>(shape(), st, [&](const std::array<int64_t, 2>& o) {
    write_elem(d + o[0] * ed, dt, read_elem(s + o[1] * es, st_t));
  });
}

}  // namespace easel

namespace easel {
Tensor dense(const Tensor& t) {
  if (t.is_contiguous()) return t.detach();
  Tensor out = Tensor::empty(t.shape(), t.dtype(), t.device());
  out.copy_(t);
  return out;
}
}  // namespace easel
