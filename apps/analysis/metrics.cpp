#include "apps/analysis/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

#include "tensor/error.h"

namespace easel {

double top_k_accuracy(const std::vector<std::vector<double>>& scores, const std::vector<int64_t>& labels, int k) {
  if (labels.empty()) return 0;
  int64_t hit = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double mine = scores[i][size_t(labels[i])];
    int64_t above = 0;  // classes ranked strictly above the true one
    for (double s : scores[i]) above += s > mine;
    hit += above < k;
  }
  return double(hit) / double(labels.size());
}

RocCurve roc_curve(const std::vector<double>& scores, const std::vector<int>& positive) {
  RocCurve r;
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  const double P = double(std::count(positive.begin(), positive.end(), 1)), N = double(positive.size()) - P;
  r.fpr.push_back(0), r.tpr.push_back(0), r.thresholds.push_back(INFINITY);
  double tp = 0, fp = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    positive[order[i]] ? ++tp : ++fp;
    if (i + 1 < order.size() && scores[order[i + 1]] == scores[order[i]]) continue;  // ties form one step
    r.fpr.push_back(N > 0 ? fp / N : NAN);
    r.tpr.push_back(P > 0 ? tp / P : NAN);
    r.thresholds.push_back(scores[order[i]]);
  }
  if (P == 0 || N == 0) {
    r.auc = NAN;
    return r;
  }
  for (size_t i = 1; i < r.fpr.size(); ++i) r.auc += (r.fpr[i] - r.fpr[i - 1]) * (r.tpr[i] + r.tpr[i - 1]) / 2;
  return r;
}

namespace {

// TPR at `x` on a curve with FPRs ascending: the last point at that FPR (the curve's upper step),
// interpolated linearly between points, as numpy.interp on sklearn's curves.
double tpr_at(const RocCurve& r, double x) {
  for (size_t i = 1; i < r.fpr.size(); ++i)
    if (r.fpr[i] > x) {
      const double f0 = r.fpr[i - 1], f1 = r.fpr[i];
      return f1 > f0 ? r.tpr[i - 1] + (r.tpr[i] - r.tpr[i - 1]) * (x - f0) / (f1 - f0) : r.tpr[i - 1];
    }
  return r.tpr.back();
}

RocCurve macro_average_roc(const std::vector<RocCurve>& per_class) {
  RocCurve m;
  std::vector<const RocCurve*> defined;
  for (const RocCurve& r : per_class)
    if (!std::isnan(r.auc)) defined.push_back(&r);
  if (defined.empty()) {
    m.auc = NAN;
    return m;
  }
  for (const RocCurve* r : defined) m.fpr.insert(m.fpr.end(), r->fpr.begin(), r->fpr.end());
  std::sort(m.fpr.begin(), m.fpr.end());
  m.fpr.erase(std::unique(m.fpr.begin(), m.fpr.end()), m.fpr.end());
  for (double x : m.fpr) {
    double t = 0;
    for (const RocCurve* r : defined) t += tpr_at(*r, x);
    m.tpr.push_back(t / double(defined.size()));
  }
  for (size_t i = 1; i < m.fpr.size(); ++i) m.auc += (m.fpr[i] - m.fpr[i - 1]) * (m.tpr[i] + m.tpr[i - 1]) / 2;
  return m;
}

}  // namespace

Metrics compute_metrics(const std::vector<std::vector<double>>& probs, const std::vector<int64_t>& labels) {
  Metrics m;
  m.n = int64_t(labels.size());
  EASEL_CHECK(probs.size() == labels.size(), "metrics: ", probs.size(), " score rows for ", labels.size(), " labels");
  EASEL_CHECK(m.n > 0, "metrics: no samples");
  m.classes = int64_t(probs[0].size());
  const size_t C = size_t(m.classes);
  m.confusion.assign(C, std::vector<int64_t>(C, 0));
  double ll = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    EASEL_CHECK(probs[i].size() == C, "metrics: row ", i, " has ", probs[i].size(), " scores, expected ", C);
    EASEL_CHECK(labels[i] >= 0 && labels[i] < m.classes, "metrics: label ", labels[i], " at row ", i, " not in [0, ", C, ")");
    const size_t pred = size_t(std::max_element(probs[i].begin(), probs[i].end()) - probs[i].begin());
    m.confusion[size_t(labels[i])][pred]++;
    ll -= std::log(std::clamp(probs[i][size_t(labels[i])], 1e-15, 1 - 1e-15));
  }
  m.log_loss = ll / double(m.n);
  m.top5 = top_k_accuracy(probs, labels, 5);
  int64_t correct = 0;
  m.precision.resize(C), m.recall.resize(C), m.f1.resize(C), m.support.resize(C);
  for (size_t c = 0; c < C; ++c) {
    const int64_t tp = m.confusion[c][c];
    int64_t predicted = 0, actual = 0;
    for (size_t k = 0; k < C; ++k) predicted += m.confusion[k][c], actual += m.confusion[c][k];
    correct += tp;
    m.support[c] = actual;
    m.precision[c] = predicted ? double(tp) / double(predicted) : 0;
    m.recall[c] = actual ? double(tp) / double(actual) : 0;
    const double pr = m.precision[c] + m.recall[c];
    m.f1[c] = pr > 0 ? 2 * m.precision[c] * m.recall[c] / pr : 0;
    m.macro_precision += m.precision[c] / double(C);
    m.macro_recall += m.recall[c] / double(C);
    m.macro_f1 += m.f1[c] / double(C);
    const double w = double(actual) / double(m.n);
    m.weighted_precision += w * m.precision[c];
    m.weighted_recall += w * m.recall[c];
    m.weighted_f1 += w * m.f1[c];
  }
  m.accuracy = double(correct) / double(m.n);
  // ROC: one-vs-rest per class, micro over all (sample, class) pairs, macro = mean of defined AUCs.
  std::vector<double> all_scores;
  std::vector<int> all_truth;
  int defined = 0;
  for (size_t c = 0; c < C; ++c) {
    std::vector<double> s(labels.size());
    std::vector<int> t(labels.size());
    for (size_t i = 0; i < labels.size(); ++i) {
      s[i] = probs[i][c];
      t[i] = labels[i] == int64_t(c);
      all_scores.push_back(s[i]);
      all_truth.push_back(t[i]);
    }
    m.roc.push_back(roc_curve(s, t));
    if (!std::isnan(m.roc.back().auc)) m.auc_macro += m.roc.back().auc, ++defined;
  }
  m.auc_macro = defined ? m.auc_macro / defined : NAN;
  m.roc_micro = roc_curve(all_scores, all_truth);
  m.roc_macro = macro_average_roc(m.roc);
  m.top5_per_class.assign(C, 0.0);
  for (size_t i = 0; i < labels.size(); ++i) {
    const double mine = probs[i][size_t(labels[i])];
    size_t above = 0;  // classes scored strictly higher than the label (ties count for the label, as top_k_accuracy)
    for (double p : probs[i]) above += p > mine;
    m.top5_per_class[size_t(labels[i])] += above < 5 ? 1.0 : 0.0;
  }
  for (size_t c = 0; c < C; ++c) m.top5_per_class[c] = m.support[c] ? m.top5_per_class[c] / double(m.support[c]) : 0;
  return m;
}

template <class T>
static Json list(const std::vector<T>& v) {
  Json a = Json::array();
  for (const T& x : v) a.push(double(x));
  return a;
}

Json Metrics::json() const {
  Json j = Json::object();
  j.set("n", n);
  j.set("accuracy", accuracy), j.set("top5", top5), j.set("macro_f1", macro_f1), j.set("weighted_f1", weighted_f1);
  j.set("macro_precision", macro_precision), j.set("macro_recall", macro_recall);
  j.set("weighted_precision", weighted_precision), j.set("weighted_recall", weighted_recall);
  j.set("auc_macro", auc_macro), j.set("auc_micro", roc_micro.auc), j.set("log_loss", log_loss);
  j.set("auc_macro_curve", roc_macro.auc);  // the area of sklearn's macro-averaged curve (roc_macro)
  j.set("precision", list(precision)), j.set("recall", list(recall)), j.set("f1", list(f1)), j.set("support", list(support));
  j.set("top5_per_class", list(top5_per_class));
  Json conf = Json::array(), auc = Json::array();
  for (const auto& row : confusion) conf.push(list(row));
  for (const auto& r : roc) auc.push(r.auc);
  j.set("confusion", conf), j.set("auc", auc);
  return j;
}

std::string Metrics::to_json() const { return json().dump(); }

std::string format_metrics(const Metrics& m, const std::vector<std::string>& classes) {
  std::string out;
  char buf[512];
  auto put = [&](const char* fmt, auto... v) {
    std::snprintf(buf, sizeof buf, fmt, v...);
    out += buf;
  };
  put("%lld images: accuracy %.2f%%", (long long)m.n, 100 * m.accuracy);
  if (classes.size() > 5) put("  top-5 %.2f%%", 100 * m.top5);  // always 100 % with 5 classes or fewer
  put("  macro-F1 %.4f  weighted-F1 %.4f  AUC (macro) %.4f", m.macro_f1, m.weighted_f1, m.auc_macro);
  if (!std::isnan(m.log_loss)) put("  log loss %.4f", m.log_loss);  // undefined for the SVM head
  out += "\n";
  const bool top5 = classes.size() > 5 && m.top5_per_class.size() == classes.size();
  put("%-24s %9s %9s %9s %8s%s\n", "class", "precision", "recall", "F1", "support", top5 ? "     top-5" : "");
  for (size_t c = 0; c < classes.size(); ++c) {
    put("%-24.24s %9.3f %9.3f %9.3f %8lld", classes[c].c_str(), m.precision[c], m.recall[c], m.f1[c], (long long)m.support[c]);
    if (top5) put(" %9.3f", m.top5_per_class[c]);
    out += "\n";
  }
  // Rows and columns are named by class (names cut to fit their column).
  size_t w = 6, cw = 6;
  for (const auto& c : classes) w = std::max(w, std::min<size_t>(c.size(), 18)), cw = std::max(cw, std::min<size_t>(c.size(), 12));
  put("confusion matrix (rows: true, columns: predicted)\n%*s", int(w), "");
  for (const auto& c : classes) put(" %*.*s", int(cw), int(cw), c.c_str());
  out += "\n";
  for (size_t i = 0; i < classes.size(); ++i) {
    put("%*.*s", int(w), int(w), classes[i].c_str());
    for (int64_t v : m.confusion[i]) put(" %*lld", int(cw), (long long)v);
    out += "\n";
  }
  return out;
}

std::vector<std::vector<double>> pool_class_probabilities(const std::vector<std::vector<double>>& probs,
                                                          const std::vector<std::vector<int64_t>>& sources) {
  std::vector<std::vector<double>> out;
  for (const auto& row : probs) {
    std::vector<double> q(sources.size(), 0.0);
    double total = 0;
    for (size_t c = 0; c < sources.size(); ++c) {
      for (int64_t s : sources[c]) {
        EASEL_CHECK(s >= 0 && s < int64_t(row.size()), "class map: source class ", s, " outside the net's ", row.size(), " classes");
        q[c] += row[size_t(s)];
      }
      total += q[c];
    }
    for (double& v : q) v = total > 0 ? v / total : 1.0 / double(q.size());
    out.push_back(q);
  }
  return out;
}

}  // namespace easel
