// Shape ops. Most are views (no copy): they change shape/strides/offset over the same storage,
// and their backward maps the gradient back through the inverse view.
#include <algorithm>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "tensor/strided.h"

namespace easel {

namespace {

Shape infer_shape(Shape shape, int64_t numel, const char* op, const Tensor& x) {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      EASEL_CHECK(infer < 0, op, ": only one dim may be -1 in ", shape_str(shape));
      infer = int64_t(i);
    } else {
      EASEL_CHECK(shape[i] >= 0, op, ": invalid size ", shape[i], " in ", shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    EASEL_CHECK(known > 0 && numel % known == 0, op, ": cannot reshape ", x.describe(), " to ", shape_str(shape));
    shape[size_t(infer)] = numel / known;
  }
  EASEL_CHECK(shape_numel(shape) == numel, op, ": cannot reshape ", x.describe(), " (", numel, " elements) to ",
              shape_str(shape), " (", shape_numel(shape), " elements)");
  return shape;
}

// A view op: y = view of x; gx = `back`(gy).
template <class Back>
Tensor view_op(const Tensor& x, Tensor y, const char* name, Back back) {
  return record(std::move(y), name, {x}, kSavedNothing, [back](const Tensor& gy) -> std::vector<Tensor> { return {back(gy)}; });
}

}  // namespace

// y = x with a new shape (a view when x is contiguous);  gx = gy reshaped back
Tensor Tensor::reshape(const Shape& shape_in) const {
  const Shape shape = infer_shape(shape_in, numel(), "reshape", *this);
  if (shape == this->shape()) return *this;
  const Tensor src = is_contiguous() ? *this : dense(*this);
  const Tensor y = make_view(src, shape, contiguous_strides(shape), src.offset());
  return view_op(*this, y, "reshape", [xs = this->shape()](const Tensor& gy) { return gy.reshape(xs); });
}

Tensor Tensor::view(const Shape& shape) const {
  EASEL_CHECK(is_contiguous(), "view(", shape_str(shape), ") of a non-contiguous ", describe(),
              " tensor; use reshape() or contiguous() first");
  return reshape(shape);
}

// y = x with dims reordered (view);  gx = gy permuted by the inverse order
Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  EASEL_CHECK(int64_t(dims.size()) == dim(), "permute: ", dims.size(), " dims given for a ", describe(), " tensor");
  Shape shape, strides;
  std::vector<int64_t> inv(dims.size(), -1);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], dim(), "permute");
    EASEL_CHECK(inv[size_t(d)] < 0, "permute: dim ", d, " appears twice");
    inv[size_t(d)] = int64_t(i);
    shape.push_back(this->shape()[d]);
    strides.push_back(this->strides()[d]);
  }
  const Tensor y = make_view(*this, shape, strides, offset());
  return view_op(*this, y, "permute", [inv](const Tensor& gy) { return gy.permute(inv); });
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  std::vector<int64_t> p(static_cast<size_t>(dim()));
  for (int64_t i = 0; i < dim(); ++i) p[size_t(i)] = i;
  std::swap(p[size_t(wrap_dim(d0, dim(), "transpose"))], p[size_t(wrap_dim(d1, dim(), "transpose"))]);
  return permute(p);
}

// y = x[start:end:step] along dim (view);  gx = zeros with gy written into that slice
Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  d = wrap_dim(d, dim(), "slice");
  EASEL_CHECK(step > 0, "slice: step must be positive, got ", step);
  const int64_t n = shape()[d];
  auto clampi = [n](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };  // Python rules
  start = clampi(start);
  end = std::max(clampi(end), start);
  Shape shape = this->shape(), strides = this->strides();
  shape[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  const Tensor y = make_view(*this, shape, strides, offset() + start * this->strides()[d]);
  return view_op(*this, y, "slice", [xs = this->shape(), d, start, end, step](const Tensor& gy) {
    Tensor gx = Tensor::zeros(xs, gy.dtype(), gy.device());
    gx.slice(d, start, end, step).copy_(gy);
    return gx;
  });
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  d = wrap_dim(d, dim(), "select");
  const int64_t n = shape()[d];
  EASEL_CHECK(index >= -n && index < n, "select: index ", index, " out of range for dim ", d, " of ", describe());
  if (index < 0) index += n;
  return slice(d, index, index + 1).squeeze(d);
}

// y = x repeated along size-1 dims (stride 0, no copy);  gx = gy summed over the repeats
Tensor Tensor::expand(const Shape& shape_in) const {
  EASEL_CHECK(shape_in.size() >= size_t(dim()), "expand: ", describe(), " to fewer dims ", shape_str(shape_in));
  const size_t lead = shape_in.size() - size_t(dim());
  Shape shape(shape_in.size()), strides(shape_in.size(), 0);
  for (size_t i = 0; i < shape_in.size(); ++i) {
    if (i < lead) {
      EASEL_CHECK(shape_in[i] >= 0, "expand: new leading dim ", i, " must be given, got ", shape_in[i]);
      shape[i] = shape_in[i];
      continue;
    }
    const int64_t have = this->shape()[i - lead], want = shape_in[i] == -1 ? have : shape_in[i];
    EASEL_CHECK(have == want || have == 1, "expand: cannot expand ", describe(), " to ", shape_str(shape_in),
                " (dim ", i, ": ", have, " -> ", want, ")");
    shape[i] = want;
    strides[i] = have == want ? this->strides()[i - lead] : 0;
  }
  if (shape == this->shape()) return *this;
  const Tensor y = make_view(*this, shape, strides, offset());
  return view_op(*this, y, "expand", [xs = this->shape()](const Tensor& gy) { return sum_to(gy, xs); });
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape shape = this->shape(), strides = this->strides();
  const int64_t st = d < dim() ? strides[size_t(d)] * shape[size_t(d)] : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, st);
  const Tensor y = make_view(*this, shape, strides, offset());
  return view_op(*this, y, "unsqueeze", [d](const Tensor& gy) { return gy.squeeze(d); });
}

Tensor Tensor::squeeze(int64_t d) const {
  d = wrap_dim(d, dim(), "squeeze");
  if (shape()[d] != 1) return *this;  // as PyTorch: squeezing a dim of size > 1 is a no-op
  Shape shape = this->shape(), strides = this->strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  const Tensor y = make_view(*this, shape, strides, offset());
  return view_op(*this, y, "squeeze", [d](const Tensor& gy) { return gy.unsqueeze(d); });
}

Tensor Tensor::flatten(int64_t start, int64_t end) const {
  if (dim() == 0) return reshape({1});
  start = wrap_dim(start, dim(), "flatten");
  end = wrap_dim(end, dim(), "flatten");
  EASEL_CHECK(start <= end, "flatten: start dim ", start, " after end dim ", end);
  Shape shape(this->shape().begin(), this->shape().begin() + start);
  int64_t n = 1;
  for (int64_t d = start; d <= end; ++d) n *= this->shape()[d];
  shape.push_back(n);
  shape.insert(shape.end(), this->shape().begin() + end + 1, this->shape().end());
  return reshape(shape);
}

// ---- copies --------------------------------------------------------------------------------

// y = x laid out densely;  gx = gy
Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return view_op(*this, dense(*this), "contiguous", [](const Tensor& gy) { return gy; });
}

// y = copy of x;  gx = gy
Tensor Tensor::clone() const {
  Tensor y = Tensor::empty(shape(), dtype(), device());
  y.copy_(*this);
  return view_op(*this, y, "clone", [](const Tensor& gy) { return gy; });
}

// y = x converted;  gx = gy converted back
Tensor Tensor::to(DType dt) const {
  if (dt == dtype()) return *this;
  Tensor y = Tensor::empty(shape(), dt, device());
  y.copy_(*this);
  if (!is_floating(dt)) return y;
  return view_op(*this, y, "to", [back = dtype()](const Tensor& gy) { return gy.to(back); });
}

// y = x on another device;  gx = gy moved back
Tensor Tensor::to(Device d) const {
  if (d == device()) return *this;
  Tensor y = Tensor::empty(shape(), dtype(), d);
  y.copy_(*this);
  return view_op(*this, y, "to_device", [back = device()](const Tensor& gy) { return gy.to(back); });
}

// ---- concat / split / pad ------------------------------------------------------------------

// y = [x0, x1, ...] along dim;  g_xi = the matching slice of gy
Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  EASEL_CHECK(!xs.empty(), "concat: no tensors given");
  const Tensor& first = xs[0];
  dim = wrap_dim(dim, first.dim(), "concat");
  Shape shape = first.shape();
  shape[size_t(dim)] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    EASEL_CHECK(x.dim() == first.dim() && x.dtype() == first.dtype() && x.device() == first.device(), "concat: tensor ",
                i, " is ", x.describe(), " but tensor 0 is ", first.describe());
    for (int64_t d = 0; d < x.dim(); ++d)
      EASEL_CHECK(d == dim || x.shape()[d] == first.shape()[d], "concat along dim ", dim, ": tensor ", i, " is ",
                  x.describe(), " but tensor 0 is ", first.describe(), " (dim ", d, " differs)");
    shape[size_t(dim)] += x.shape()[size_t(dim)];
  }
  Tensor y = Tensor::empty(shape, first.dtype(), first.device());
  std::vector<int64_t> starts;
  int64_t at = 0;
  for (const Tensor& x : xs) {
    starts.push_back(at);
    const int64_t n = x.shape()[size_t(dim)];
    y.slice(dim, at, at + n).copy_(x);  // y needs no grad, so this is a plain view
    at += n;
  }
  std::vector<int64_t> sizes;
  for (const Tensor& x : xs) sizes.push_back(x.shape()[size_t(dim)]);
  return record(y, "concat", xs, kSavedNothing, [dim, starts, sizes](const Tensor& gy) {
    std::vector<Tensor> g;
    for (size_t i = 0; i < starts.size(); ++i) g.push_back(gy.slice(dim, starts[i], starts[i] + sizes[i]));
    return g;
  });
}

std::vector<Tensor> split(const Tensor& x, int64_t size, int64_t dim) {
  EASEL_CHECK(size > 0, "split: size must be positive, got ", size);
  dim = wrap_dim(dim, x.dim(), "split");
  std::vector<Tensor> out;
  for (int64_t at = 0; at < x.shape()[size_t(dim)]; at += size) out.push_back(x.slice(dim, at, at + size));
  return out;
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  EASEL_CHECK(chunks > 0, "chunk: chunks must be positive, got ", chunks);
  const int64_t n = x.size(dim);
  return split(x, std::max<int64_t>((n + chunks - 1) / chunks, 1), dim);
}

// y = x surrounded by `value` (or cropped, for negative amounts);  gx = the interior of gy
Tensor pad(const Tensor& x, const std::vector<int64_t>& amounts, double value) {
  EASEL_CHECK(amounts.size() % 2 == 0 && int64_t(amounts.size()) <= 2 * x.dim(), "pad: ", amounts.size(),
              " amounts for a ", x.describe(), " tensor (need pairs, at most two per dim)");
  Shape shape = x.shape();
  struct Window { int64_t dim, in_start, out_start, len; };
  std::vector<Window> win;
  for (size_t k = 0; k < amounts.size() / 2; ++k) {
    const int64_t d = x.dim() - 1 - int64_t(k), lo = amounts[2 * k], hi = amounts[2 * k + 1];
    const int64_t n = x.shape()[size_t(d)];
    shape[size_t(d)] = n + lo + hi;
    EASEL_CHECK(shape[size_t(d)] >= 0, "pad: amounts ", lo, ", ", hi, " crop dim ", d, " of ", x.describe(),
                " below zero");
    const int64_t in_start = std::max<int64_t>(0, -lo), out_start = std::max<int64_t>(0, lo);
    win.push_back({d, in_start, out_start, std::max<int64_t>(0, n - in_start - std::max<int64_t>(0, -hi))});
  }
  auto region = [win](Tensor t, bool in) {
    for (const Window& w : win) {
      const int64_t s = in ? w.in_start : w.out_start;
      t = t.slice(w.dim, s, s + w.len);
    }
    return t;
  };
  Tensor y = Tensor::full(shape, value, x.dtype(), x.device());
  {
    NoGradGuard ng;
    region(y, false).copy_(region(x.detach(), true));
  }
  return record(y, "pad", {x}, kSavedNothing, [region, xs = x.shape()](const Tensor& gy) -> std::vector<Tensor> {
    Tensor gx = Tensor::zeros(xs, gy.dtype(), gy.device());
    region(gx, true).copy_(region(gy, false));
    return {gx};
  });
}

}  // namespace easel
