#include "apps/analysis/tsne.h"

#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "tensor/parallel.h"
#include "tensor/random.h"
#include "tensor/strided.h"

namespace easel {

namespace {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Mat to_matrix(const Tensor& x) {
  EASEL_CHECK(x.dim() == 2 && x.size(0) >= 2, "tsne: expected [N >= 2, D] points, got ", x.describe());
  const std::vector<double> v = dense(x.to(DType::f64)).to_vector();
  return Eigen::Map<const Mat>(v.data(), x.size(0), x.size(1));
}

Mat squared_distances(const Mat& x) {
  const Eigen::VectorXd sq = x.rowwise().squaredNorm();
  Mat d = (-2.0 * x * x.transpose()).colwise() + sq;
  d.rowwise() += sq.transpose();
  return d.cwiseMax(0.0);
}

// Row i: p_j|i by bisection on β_i until the entropy (nats) is log(perplexity).
Mat conditional(const Mat& d2, double perplexity) {
  const int64_t n = d2.rows();
  EASEL_CHECK(perplexity > 0 && perplexity < double(n), "tsne: perplexity ", perplexity, " must be in (0, N = ", n, ")");
  const double target = std::log(perplexity);
  Mat p(n, n);
  parallel_for(n, [&](int64_t i) {
    double beta = 1, lo = 0, hi = INFINITY;
    double dmin = INFINITY;  // shift by the nearest distance so exp() cannot underflow to all zeros
    for (int64_t j = 0; j < n; ++j)
      if (j != i) dmin = std::min(dmin, d2(i, j));
    for (int it = 0; it < 200; ++it) {
      double z = 0, s = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double e = j == i ? 0 : std::exp(-beta * (d2(i, j) - dmin));
        p(i, j) = e, z += e, s += e * (d2(i, j) - dmin);
      }
      const double h = std::log(z) + beta * s / z;  // entropy of the row
      p.row(i) /= z;
      if (std::abs(h - target) < 1e-7) break;
      if (h > target) lo = beta, beta = std::isinf(hi) ? beta * 2 : (beta + hi) / 2;
      else hi = beta, beta = (beta + lo) / 2;
    }
  }, n * 64);
  return p;
}

Mat pca(const Mat& x, int64_t dims) {
  if (x.cols() <= dims) return x;
  Mat c = x.rowwise() - x.colwise().mean();
  Eigen::BDCSVD<Eigen::MatrixXd> svd(Eigen::MatrixXd(c), Eigen::ComputeThinV);
  return c * svd.matrixV().leftCols(dims);
}

}  // namespace

Tensor tsne_conditional_affinities(const Tensor& x, double perplexity) {
  const Mat p = conditional(squared_distances(to_matrix(x)), perplexity);
  return Tensor::from(std::vector<double>(p.data(), p.data() + p.size()), {p.rows(), p.cols()}, DType::f64);
}

TsneResult tsne(const Tensor& x_in, const TsneOptions& o) {
  const Mat x = pca(to_matrix(x_in), o.pca_dims);
  const int64_t n = x.rows();
  const double perplexity = std::min(o.perplexity, double(n - 1) / 3);  // small sets: keep the search feasible
  const Mat cond = conditional(squared_distances(x), perplexity);
  const Mat p = ((cond + cond.transpose()) / (2.0 * double(n))).cwiseMax(1e-12);  // not in place: Eigen would alias
  Generator g(o.seed);
  Mat y(n, 2), update = Mat::Zero(n, 2), gains = Mat::Ones(n, 2), grad(n, 2);
  for (int64_t i = 0; i < n; ++i) y(i, 0) = 1e-4 * g.normal(), y(i, 1) = 1e-4 * g.normal();
  const double lr = std::max(double(n) / 48, 50.0);
  Mat num(n, n);
  double kl = 0;
  for (int it = 0; it < o.iterations; ++it) {
    const double exaggeration = it < 250 ? 12 : 1, momentum = it < 250 ? 0.5 : 0.8;
    // Student-t kernel and its normaliser.
    parallel_for(n, [&](int64_t i) {
      for (int64_t j = 0; j < n; ++j)
        num(i, j) = i == j ? 0 : 1 / (1 + (y(i, 0) - y(j, 0)) * (y(i, 0) - y(j, 0)) + (y(i, 1) - y(j, 1)) * (y(i, 1) - y(j, 1)));
    }, n * 8);
    const double z = num.sum();
    parallel_for(n, [&](int64_t i) {
      double gx = 0, gy = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double m = (exaggeration * p(i, j) - num(i, j) / z) * num(i, j);
        gx += m * (y(i, 0) - y(j, 0)), gy += m * (y(i, 1) - y(j, 1));
      }
      grad(i, 0) = 4 * gx, grad(i, 1) = 4 * gy;
    }, n * 8);
    for (int64_t k = 0; k < n * 2; ++k) {
      double& gn = gains.data()[k];
      gn = grad.data()[k] * update.data()[k] < 0 ? gn + 0.2 : std::max(gn * 0.8, 0.01);  // sign flipped: speed up
      update.data()[k] = momentum * update.data()[k] - lr * gn * grad.data()[k];
      y.data()[k] += update.data()[k];
    }
    y.rowwise() -= y.colwise().mean();
    if (it == o.iterations - 1) {
      kl = 0;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j)
          if (i != j) kl += p(i, j) * std::log(p(i, j) / std::max(num(i, j) / z, 1e-12));
    }
  }
  return {Tensor::from(std::vector<double>(y.data(), y.data() + y.size()), {n, 2}, DType::f64), kl};
}

namespace {

std::vector<size_t> stratified_subsample(const std::vector<int64_t>& labels, size_t max, uint64_t seed) {
  std::vector<size_t> idx(labels.size());
  std::iota(idx.begin(), idx.end(), 0);
  if (labels.size() <= max) return idx;
  Generator g(seed);
  for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[size_t(g.randint(int64_t(i)))]);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return labels[a] < labels[b]; });
  std::vector<size_t> keep;
  const double f = double(max) / double(labels.size());
  for (size_t s = 0; s < idx.size();) {
    size_t e = s;
    while (e < idx.size() && labels[idx[e]] == labels[idx[s]]) ++e;
    const size_t take = std::max<size_t>(1, size_t(double(e - s) * f));
    keep.insert(keep.end(), idx.begin() + long(s), idx.begin() + long(s + std::min(take, e - s)));
    s = e;
  }
  std::sort(keep.begin(), keep.end());
  return keep;
}

}  // namespace


TsneMap tsne_map(const Tensor& x_in, const std::vector<int64_t>& labels, const TsneOptions& o, size_t max_points) {
  const Mat all = to_matrix(x_in);
  EASEL_CHECK(int64_t(labels.size()) == all.rows(), "tsne: ", all.rows(), " rows but ", labels.size(), " labels");
  const std::vector<size_t> keep = stratified_subsample(labels, max_points, o.seed);
  Mat x(int64_t(keep.size()), all.cols());
  TsneMap m;
  for (size_t r = 0; r < keep.size(); ++r) x.row(int64_t(r)) = all.row(int64_t(keep[r])), m.labels.push_back(labels[keep[r]]);
  const TsneResult res = tsne(Tensor::from(std::vector<double>(x.data(), x.data() + x.size()), {x.rows(), x.cols()}, DType::f64), o);
  const std::vector<double> y = res.y.to_vector();
  for (size_t i = 0; i < keep.size(); ++i) m.x.push_back(y[2 * i]), m.y.push_back(y[2 * i + 1]);
  m.rows = keep;
  m.input_dims = all.cols(), m.perplexity = o.perplexity, m.kl = res.kl;
  return m;
}

}  // namespace easel
