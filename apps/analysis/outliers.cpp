#include "apps/analysis/outliers.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>
#include <algorithm>
#include <map>

#include "apps/analysis/metrics.h"
#include "tensor/strided.h"

namespace easel {

namespace {

Eigen::MatrixXd to_matrix(const Tensor& t) {
  EASEL_CHECK(t.dim() == 2, "outliers: embeddings must be [N, D], got ", t.describe());
  const Tensor d = dense(t.detach().to(DType::f64));
  Eigen::MatrixXd m(d.size(0), d.size(1));
  for (int64_t i = 0; i < d.size(0); ++i)
    for (int64_t j = 0; j < d.size(1); ++j) m(i, j) = d.data<double>()[i * d.size(1) + j];
  return m;
}

// Row i's class centroid, per class.
std::map<int64_t, Eigen::RowVectorXd> centroids(const Eigen::MatrixXd& X, const std::vector<int64_t>& labels) {
  std::map<int64_t, Eigen::RowVectorXd> sum;
  std::map<int64_t, double> count;
  for (size_t i = 0; i < labels.size(); ++i) {
    auto [it, fresh] = sum.try_emplace(labels[i], Eigen::RowVectorXd::Zero(X.cols()));
    it->second += X.row(Eigen::Index(i));
    count[labels[i]] += 1;
  }
  for (auto& [c, s] : sum) s /= count[c];
  return sum;
}

}  // namespace

std::vector<double> mahalanobis_distances(const Tensor& embeddings, const std::vector<int64_t>& labels, double shrinkage) {
  const Eigen::MatrixXd X = to_matrix(embeddings);
  EASEL_CHECK(size_t(X.rows()) == labels.size(), "outliers: ", X.rows(), " embeddings for ", labels.size(), " labels");
  EASEL_CHECK(shrinkage >= 0 && shrinkage <= 1, "outliers: shrinkage must be in [0, 1], got ", shrinkage);
  const auto mu = centroids(X, labels);
  Eigen::MatrixXd R(X.rows(), X.cols());  // residuals from the class centroids
  for (Eigen::Index i = 0; i < X.rows(); ++i) R.row(i) = X.row(i) - mu.at(labels[size_t(i)]);
  const double n_minus_k = std::max(1.0, double(X.rows()) - double(mu.size()));
  Eigen::MatrixXd S = R.transpose() * R / n_minus_k;  // pooled within-class covariance
  const double d = double(X.cols());
  S = (1 - shrinkage) * S + shrinkage * (S.trace() / d) * Eigen::MatrixXd::Identity(X.cols(), X.cols());
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(S);
  EASEL_CHECK(ldlt.info() == Eigen::Success, "outliers: the shrunk covariance is singular; raise the shrinkage");
  std::vector<double> out(size_t(X.rows()));
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const Eigen::VectorXd r = R.row(i).transpose();
    out[size_t(i)] = std::sqrt(std::max(0.0, r.dot(ldlt.solve(r))));
  }
  return out;
}

OutlierScores outlier_scores(const Tensor& embeddings, const std::vector<std::vector<double>>& probs,
                             const std::vector<int64_t>& labels, double threshold, double shrinkage) {
  EASEL_CHECK(probs.size() == labels.size(), "outliers: ", probs.size(), " probability rows for ", labels.size(), " labels");
  OutlierScores s;
  for (size_t i = 0; i < labels.size(); ++i) {
    EASEL_CHECK(labels[i] >= 0 && labels[i] < int64_t(probs[i].size()), "outliers: label ", labels[i], " at row ", i);
    s.confidence.push_back(1 - probs[i][size_t(labels[i])]);
    s.low_confidence.push_back(*std::max_element(probs[i].begin(), probs[i].end()) < threshold);
  }
  const Eigen::MatrixXd X = to_matrix(embeddings);
  const auto mu = centroids(X, labels);
  for (Eigen::Index i = 0; i < X.rows(); ++i) s.centroid.push_back((X.row(i) - mu.at(labels[size_t(i)])).norm());
  s.mahalanobis = mahalanobis_distances(embeddings, labels, shrinkage);
  return s;
}

FlagQuality flag_quality(const std::vector<double>& score, const std::vector<bool>& flagged, const std::vector<int>& known) {
  EASEL_CHECK(score.size() == flagged.size() && score.size() == known.size(), "outliers: ", score.size(), " scores, ",
              flagged.size(), " flags and ", known.size(), " known marks");
  FlagQuality q;
  q.rows = int64_t(score.size());
  for (size_t i = 0; i < score.size(); ++i) {
    q.flagged += flagged[i];
    q.known += known[i] != 0;
    q.hits += flagged[i] && known[i];
  }
  const int64_t agree = q.hits + (q.rows - (q.flagged + q.known - q.hits));
  q.accuracy = q.rows ? double(agree) / double(q.rows) : 0;
  q.precision = q.flagged ? double(q.hits) / double(q.flagged) : 0;
  q.recall = q.known ? double(q.hits) / double(q.known) : 0;
  q.f1 = q.precision + q.recall > 0 ? 2 * q.precision * q.recall / (q.precision + q.recall) : 0;
  q.auroc = q.known > 0 && q.known < q.rows ? roc_curve(score, known).auc : NAN;
  return q;
}

std::vector<bool> flag_top_fraction(const std::vector<double>& score, double fraction) {
  EASEL_CHECK(fraction > 0 && fraction <= 1, "outliers: the flagged fraction must be in (0, 1], got ", fraction);
  std::vector<size_t> order(score.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  const size_t k = std::min(order.size(), std::max<size_t>(1, size_t(std::lround(fraction * double(score.size())))));
  std::vector<bool> flags(score.size(), false);
  for (size_t r = 0; r < k; ++r) flags[order[r]] = true;
  return flags;
}

}  // namespace easel
