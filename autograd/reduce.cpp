// Reductions. Each one views its input as rows: the reduced dims are permuted to the end and the
// tensor made dense, so that the kernel reduces `outer` rows of length R. Sums accumulate in
// double for accuracy.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "autograd/cuda/reduce.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "autograd/reduce_math.h"
#include "tensor/strided.h"

namespace easel {

namespace {

struct Rows {
  Tensor data;                // dense [outer, R]
  int64_t outer = 1, R = 1;
  Shape keep_shape;           // output shape with reduced dims kept as 1
  Shape out_shape;            // output shape as asked (keepdim or not)
  std::vector<int64_t> perm;  // kept dims then reduced dims
};

std::vector<int64_t> normalise_dims(const std::vector<int64_t>& dims, int64_t nd, const char* op) {
  std::vector<int64_t> out;
  if (dims.empty()) {
    out.resize(size_t(nd));
    std::iota(out.begin(), out.end(), 0);
    return out;
  }
  for (int64_t d : dims) out.push_back(wrap_dim(d, nd, op));
  std::sort(out.begin(), out.end());
  EASEL_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), op, ": a dim appears twice in the dim list");
  return out;
}

Rows to_rows(const Tensor& x, const std::vector<int64_t>& dims_in, bool keepdim, const char* op) {
  Rows r;
  const int64_t nd = x.dim();
  const std::vector<int64_t> dims = normalise_dims(dims_in, nd, op);
  std::vector<bool> reduced(static_cast<size_t>(nd), false);
  for (int64_t d : dims) reduced[size_t(d)] = true;
  for (int64_t d = 0; d < nd; ++d) {
    if (!reduced[size_t(d)]) {
      r.perm.push_back(d);
      r.outer *= x.shape()[d];
      r.out_shape.push_back(x.shape()[d]);
    } else if (keepdim) {
      r.out_shape.push_back(1);
    }
    r.keep_shape.push_back(reduced[size_t(d)] ? 1 : x.shape()[d]);
  }
  for (int64_t d : dims) {
    r.perm.push_back(d);
    r.R *= x.shape()[d];
  }
  r.data = dense(x.detach().permute(r.perm));
  return r;
}

std::vector<int64_t> inverse_perm(const std::vector<int64_t>& p) {
  std::vector<int64_t> inv(p.size());
  for (size_t i = 0; i < p.size(); ++i) inv[size_t(p[i])] = int64_t(i);
  return inv;
}

// Row-wise maximum and the index of its first occurrence.
void row_max(const Rows& r, Tensor* values, Tensor* indices) {
  *values = Tensor::empty({r.outer}, r.data.dtype(), r.data.device());
  *indices = Tensor::empty({r.outer}, DType::i64, r.data.device());
  if (r.data.device().is_cuda()) return cuda::row_max(r.data, r.outer, r.R, *values, *indices);
  dispatch_float(r.data.dtype(), "max", [&](auto zero) {
    using T = decltype(zero);
    const T* p = r.data.data<T>();
    T* pv = values->data<T>();
    int64_t* pi = indices->data<int64_t>();
    parallel_for(r.outer, [&](int64_t o) {
      pi[o] = math::row_argmax(p + o * r.R, r.R);
      pv[o] = p[o * r.R + pi[o]];
    }, r.R);
  });
}

}  // namespace

// y = Σ_dims x;  gx = gy broadcast back over the summed dims
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const Rows r = to_rows(x, dims, keepdim, "sum");
  Tensor y = Tensor::empty(r.out_shape, x.dtype(), x.device());
  if (x.device().is_cuda()) cuda::row_sum(r.data, r.outer, r.R, y);
  else dispatch_float(x.dtype(), "sum", [&](auto zero) {
    using T = decltype(zero);
    const T* p = r.data.data<T>();
    T* py = y.data<T>();
    parallel_for(r.outer, [&](int64_t o) {
      double acc = 0;
      for (int64_t j = 0; j < r.R; ++j) acc += double(p[o * r.R + j]);
      py[o] = T(acc);
    }, r.R);
  });
  return record(y, "sum", {x}, kSavedNothing, [keep = r.keep_shape, xs = x.shape()](const Tensor& gy) -> std::vector<Tensor> {
    return {gy.reshape(keep).expand(xs)};
  });
}

// y = Σ_dims x / R;  built on sum
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const std::vector<int64_t> nd = normalise_dims(dims, x.dim(), "mean");
  int64_t R = 1;
  for (int64_t d : nd) R *= x.shape()[d];
  EASEL_CHECK(R > 0, "mean over an empty set of elements (", x.describe(), ")");
  return sum(x, dims, keepdim) * (1.0 / double(R));
}

// y = Σ (x - mean)² / (R - correction);  composed of differentiable primitives
Tensor var(const Tensor& x, const std::vector<int64_t>& dims, int64_t correction, bool keepdim) {
  const std::vector<int64_t> nd = normalise_dims(dims, x.dim(), "var");
  int64_t R = 1;
  for (int64_t d : nd) R *= x.shape()[d];
  EASEL_CHECK(R - correction > 0, "var: ", R, " elements with correction ", correction, " leave no degrees of freedom");
  const Tensor d = x - mean(x, dims, true);
  return sum(d * d, dims, keepdim) * (1.0 / double(R - correction));
}

// y = max_dim x;  gx = gy at the first maximal element of each row, 0 elsewhere
Tensor max(const Tensor& x, int64_t dim, bool keepdim) {
  const Rows r = to_rows(x, {dim}, keepdim, "max");
  EASEL_CHECK(r.R > 0, "max over an empty dim of ", x.describe());
  Tensor values, indices;
  row_max(r, &values, &indices);
  Tensor y = values.reshape(r.out_shape).detach();
  Shape permuted;
  for (int64_t d : r.perm) permuted.push_back(x.shape()[d]);
  return record(y, "max", {x}, kSavedComputed, [r_outer = r.outer, R = r.R, indices, permuted, perm = r.perm](const Tensor& gy_in)
                -> std::vector<Tensor> {
    const Tensor gy = dense(gy_in);
    Tensor g = Tensor::zeros({r_outer, R}, gy.dtype(), gy.device());
    if (gy.device().is_cuda()) {
      cuda::scatter_to_rows(gy, indices, r_outer, R, g);
    } else {
      dispatch_float(gy.dtype(), "max backward", [&](auto zero) {
        using T = decltype(zero);
        const int64_t* pi = indices.data<int64_t>();
        const T* pg = gy.data<T>();
        T* po = g.data<T>();
        for (int64_t o = 0; o < r_outer; ++o) po[o * R + pi[o]] = pg[o];
      });
    }
    return {g.reshape(permuted).permute(inverse_perm(perm))};
  });
}

Tensor max(const Tensor& x) { return max(x.reshape({-1}), 0, false); }

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  const Rows r = to_rows(x, {dim}, keepdim, "argmax");
  Tensor values, indices;
  row_max(r, &values, &indices);
  return indices.reshape(r.out_shape).detach();
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int64_t lead = x.dim() - int64_t(shape.size());
  EASEL_CHECK(lead >= 0, "sum_to: cannot reduce ", x.describe(), " to ", shape_str(shape));
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < lead) dims.push_back(d);
    else if (shape[size_t(d - lead)] == 1 && x.shape()[d] != 1) dims.push_back(d);
    else EASEL_CHECK(shape[size_t(d - lead)] == x.shape()[d], "sum_to: cannot reduce ", x.describe(), " to ", shape_str(shape));
  }
  return dims.empty() ? x.reshape(shape) : sum(x, dims, true).reshape(shape);
}

}  // namespace easel
