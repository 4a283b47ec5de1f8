#include "apps/analysis/svm.h"

#include <libsvm/svm.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <omp.h>

#include "io/file.h"
#include "io/npz.h"
#include "tensor/random.h"
#include "tensor/strided.h"

namespace easel {

namespace {

void quiet(const char*) {}
const int kQuiet = (svm_set_print_string_function(quiet), 0);  // libsvm prints each optimisation otherwise

int kernel_code(const std::string& k) {
  if (k == "linear") return LINEAR;
  if (k == "poly") return POLY;
  if (k == "rbf") return RBF;
  if (k == "sigmoid") return SIGMOID;
  throw Error("svm: unknown kernel '" + k + "' (linear, poly, rbf, sigmoid)");
}

std::vector<double> rows_f64(const Tensor& X) {
  EASEL_CHECK(X.dim() == 2, "svm: features must be [N, D], got ", X.describe());
  return dense(X.to(DType::f64)).to_vector();
}

// Dense libsvm rows (index 1..D, then the -1 terminator) of the standardised features.
std::vector<svm_node> to_nodes(const std::vector<double>& x, int64_t n, int64_t d, const std::vector<double>& mean,
                               const std::vector<double>& inv_std) {
  std::vector<svm_node> nodes(static_cast<size_t>(n * (d + 1)));
  for (int64_t i = 0; i < n; ++i) {
    svm_node* row = &nodes[size_t(i * (d + 1))];
    for (int64_t j = 0; j < d; ++j) row[j] = {int(j + 1), (x[size_t(i * d + j)] - mean[size_t(j)]) * inv_std[size_t(j)]};
    row[d] = {-1, 0};
  }
  return nodes;
}

Tensor rows_of(const std::vector<double>& x, int64_t d, const std::vector<int64_t>& idx) {
  std::vector<double> out;
  out.reserve(idx.size() * size_t(d));
  for (int64_t i : idx) out.insert(out.end(), x.begin() + i * d, x.begin() + (i + 1) * d);
  return Tensor::from(out, {int64_t(idx.size()), d}, DType::f64);
}

// Runs f(i) for i in [0, n) on all threads unless already inside a parallel region.
template <class F>
void parallel_jobs(int64_t n, F&& f) {
  if (omp_in_parallel() || n < 2) {
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::vector<std::string> errors(static_cast<size_t>(n));
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = 0; i < n; ++i) {
    try {
      f(i);
    } catch (const std::exception& e) {
      errors[size_t(i)] = e.what();
    }
  }
  for (const auto& e : errors)
    if (!e.empty()) throw Error(e);
}

}  // namespace

OneVsRestSvm::OneVsRestSvm() { (void)kQuiet; }
OneVsRestSvm::~OneVsRestSvm() {
  for (void*& m : models_) {
    auto* p = static_cast<svm_model*>(m);
    svm_free_and_destroy_model(&p);
  }
}
OneVsRestSvm::OneVsRestSvm(OneVsRestSvm&& o) noexcept { *this = std::move(o); }
OneVsRestSvm& OneVsRestSvm::operator=(OneVsRestSvm&& o) noexcept {
  std::swap(params_, o.params_);
  std::swap(nodes_, o.nodes_);
  std::swap(mean_, o.mean_);
  std::swap(inv_std_, o.inv_std_);
  std::swap(models_, o.models_);
  return *this;
}

void OneVsRestSvm::fit(const Tensor& X, const std::vector<int64_t>& labels, int64_t classes, const SvmParams& p) {
  const std::vector<double> x = rows_f64(X);
  const int64_t n = X.size(0), d = X.size(1);
  EASEL_CHECK(int64_t(labels.size()) == n, "svm: ", n, " feature rows but ", labels.size(), " labels");
  EASEL_CHECK(classes >= 2, "svm: need at least 2 classes, got ", classes);
  std::vector<int64_t> count(static_cast<size_t>(classes));
  for (int64_t l : labels) {
    EASEL_CHECK(l >= 0 && l < classes, "svm: label ", l, " outside [0, ", classes, ")");
    count[size_t(l)]++;
  }
  for (int64_t c = 0; c < classes; ++c) EASEL_CHECK(count[size_t(c)] > 0, "svm: class ", c, " has no training samples");
  EASEL_CHECK(p.C > 0, "svm: C must be positive, got ", p.C);
  kernel_code(p.kernel);
  this->~OneVsRestSvm();
  models_.assign(size_t(classes), nullptr);
  params_ = p;
  if (params_.gamma <= 0) params_.gamma = 1.0 / double(d);
  // Standardise: zero mean, unit variance per feature (constant features are left at 0).
  mean_.assign(size_t(d), 0);
  inv_std_.assign(size_t(d), 1);
  for (int64_t j = 0; j < d && p.standardize; ++j) {
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < n; ++i) s += x[size_t(i * d + j)];
    const double m = s / double(n);
    for (int64_t i = 0; i < n; ++i) s2 += std::pow(x[size_t(i * d + j)] - m, 2);
    const double sd = std::sqrt(s2 / double(n));
    mean_[size_t(j)] = m;
    inv_std_[size_t(j)] = sd > 1e-12 ? 1 / sd : 0;
  }
  auto nodes = std::make_shared<std::vector<svm_node>>(to_nodes(x, n, d, mean_, inv_std_));
  nodes_ = nodes;
  std::vector<svm_node*> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) rows[size_t(i)] = &(*nodes)[size_t(i * (d + 1))];
  parallel_jobs(classes, [&](int64_t c) {
    std::vector<double> y(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) y[size_t(i)] = labels[size_t(i)] == c ? 1 : -1;
    svm_problem prob{int(n), y.data(), rows.data()};
    int weight_label[2] = {1, -1};
    double weight[2] = {p.balanced ? double(n - count[size_t(c)]) / double(count[size_t(c)]) : 1.0, 1.0};
    svm_parameter sp{};
    sp.svm_type = C_SVC;
    sp.kernel_type = kernel_code(p.kernel);
    sp.degree = p.degree, sp.gamma = params_.gamma, sp.coef0 = p.coef0;
    sp.cache_size = 200, sp.eps = 1e-3, sp.C = p.C, sp.shrinking = 1, sp.probability = 0;
    sp.nr_weight = 2, sp.weight_label = weight_label, sp.weight = weight;
    if (const char* err = svm_check_parameter(&prob, &sp)) throw Error(std::string("svm: libsvm: ") + err);
    models_[size_t(c)] = svm_train(&prob, &sp);
  });
}

std::vector<std::vector<double>> OneVsRestSvm::decision(const Tensor& X) const {
  EASEL_CHECK(!models_.empty(), "svm: the model is not trained");
  const std::vector<double> x = rows_f64(X);
  const int64_t n = X.size(0), d = X.size(1);
  EASEL_CHECK(d == dims(), "svm: the model was trained on ", dims(), "-dimensional features, got ", X.describe());
  const std::vector<svm_node> nodes = to_nodes(x, n, d, mean_, inv_std_);
  std::vector<std::vector<double>> out(static_cast<size_t>(n), std::vector<double>(models_.size()));
  parallel_jobs(n, [&](int64_t i) {
    for (size_t c = 0; c < models_.size(); ++c) {
      const auto* m = static_cast<const svm_model*>(models_[c]);
      double v = 0;
      svm_predict_values(m, &nodes[size_t(i * (d + 1))], &v);
      out[size_t(i)][c] = m->label[0] == 1 ? v : -v;  // libsvm's value is for its first label
    }
  });
  return out;
}

std::vector<int64_t> OneVsRestSvm::predict(const Tensor& X) const {
  std::vector<int64_t> p;
  for (const auto& row : decision(X)) p.push_back(int64_t(std::max_element(row.begin(), row.end()) - row.begin()));
  return p;
}

int64_t OneVsRestSvm::support_vectors() const {
  int64_t n = 0;
  for (void* m : models_) n += svm_get_nr_sv(static_cast<const svm_model*>(m));
  return n;
}

void OneVsRestSvm::save(const std::string& dir, const Json& extra) const {
  EASEL_CHECK(!models_.empty(), "svm: nothing to save, the model is not trained");
  std::filesystem::create_directories(dir);
  for (size_t c = 0; c < models_.size(); ++c) {
    const std::string path = dir + "/class_" + std::to_string(c) + ".model", tmp = path + ".tmp";
    EASEL_CHECK(svm_save_model(tmp.c_str(), static_cast<const svm_model*>(models_[c])) == 0, "svm: cannot write ", tmp);
    std::filesystem::rename(tmp, path);
  }
  const int64_t d = dims();
  save_npz(dir + "/scaler.npz", {{"mean", Tensor::from(mean_, {d}, DType::f64)}, {"inv_std", Tensor::from(inv_std_, {d}, DType::f64)}});
  Json j = Json::object();
  j.set("kernel", params_.kernel);
  j.set("C", params_.C);
  j.set("gamma", params_.gamma);
  j.set("coef0", params_.coef0);
  j.set("degree", int64_t(params_.degree));
  j.set("balanced", params_.balanced);
  j.set("standardize", params_.standardize);
  j.set("classes", classes());
  j.set("dims", d);
  j.set("support_vectors", support_vectors());
  if (extra.kind() == Json::Kind::object)
    for (const auto& [k, v] : extra.members()) j.set(k, v);
  write_file_atomically(dir + "/svm.json", j.dump() + "\n");  // last: its presence marks a complete model
}

OneVsRestSvm OneVsRestSvm::load(const std::string& dir, Json* meta) {
  const Json j = Json::load(dir + "/svm.json");
  OneVsRestSvm m;
  m.params_.kernel = j["kernel"].str();
  m.params_.C = j["C"].num(), m.params_.gamma = j["gamma"].num(), m.params_.coef0 = j["coef0"].num();
  m.params_.degree = int(j["degree"].num()), m.params_.balanced = j["balanced"].boolean();
  m.params_.standardize = j.get("standardize", true);
  const NamedTensors scaler = load_npz(dir + "/scaler.npz");
  m.mean_ = npz_get(scaler, "mean", dir + "/scaler.npz").to_vector();
  m.inv_std_ = npz_get(scaler, "inv_std", dir + "/scaler.npz").to_vector();
  EASEL_CHECK(int64_t(m.mean_.size()) == j["dims"].integer(), dir, "/scaler.npz: ", m.mean_.size(),
              " features but svm.json says ", j["dims"].integer());
  for (int64_t c = 0; c < j["classes"].integer(); ++c) {
    const std::string path = dir + "/class_" + std::to_string(c) + ".model";
    svm_model* sm = svm_load_model(path.c_str());
    EASEL_CHECK(sm, "svm: cannot read the libsvm model ", path);
    m.models_.push_back(sm);
  }
  if (meta) *meta = j;
  return m;
}

double cross_validate(const Tensor& X, const std::vector<int64_t>& labels, int64_t classes, const SvmParams& p,
                      int folds, uint64_t seed) {
  EASEL_CHECK(folds >= 2, "svm: --cv needs at least 2 folds, got ", folds);
  const std::vector<double> x = rows_f64(X);
  const int64_t n = X.size(0), d = X.size(1);
  EASEL_CHECK(int64_t(labels.size()) == n, "svm: ", n, " feature rows but ", labels.size(), " labels");
  // Stratified folds: each class's samples, shuffled, dealt round-robin.
  std::vector<int> fold(static_cast<size_t>(n));
  Generator g(seed);
  for (int64_t c = 0; c < classes; ++c) {
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < n; ++i)
      if (labels[size_t(i)] == c) idx.push_back(i);
    EASEL_CHECK(int64_t(idx.size()) >= folds, "svm: class ", c, " has ", idx.size(), " samples, fewer than the ", folds,
                " cross-validation folds");
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[size_t(g.randint(int64_t(i)))]);
    for (size_t i = 0; i < idx.size(); ++i) fold[size_t(idx[i])] = int(i % size_t(folds));
  }
  int64_t correct = 0;
  for (int f = 0; f < folds; ++f) {
    std::vector<int64_t> tr, te;
    for (int64_t i = 0; i < n; ++i) (fold[size_t(i)] == f ? te : tr).push_back(i);
    auto pick = [&](const std::vector<int64_t>& idx) {
      std::vector<int64_t> l;
      for (int64_t i : idx) l.push_back(labels[size_t(i)]);
      return l;
    };
    OneVsRestSvm m;
    m.fit(rows_of(x, d, tr), pick(tr), classes, p);
    const std::vector<int64_t> pred = m.predict(rows_of(x, d, te)), truth = pick(te);
    for (size_t i = 0; i < pred.size(); ++i) correct += pred[i] == truth[i];
  }
  return double(correct) / double(n);
}

GridResult grid_search(const Tensor& X, const std::vector<int64_t>& labels, int64_t classes, SvmParams base,
                       const std::vector<double>& Cs, const std::vector<double>& gammas, int folds, uint64_t seed) {
  EASEL_CHECK(!Cs.empty() && !gammas.empty(), "svm: empty grid");
  const std::vector<double> gs = base.kernel == "linear" ? std::vector<double>{base.gamma} : gammas;
  GridResult r;
  for (double C : Cs)
    for (double gm : gs) r.cells.push_back({C, gm, 0});
  parallel_jobs(int64_t(r.cells.size()), [&](int64_t k) {
    SvmParams p = base;
    p.C = r.cells[size_t(k)].C, p.gamma = r.cells[size_t(k)].gamma;
    r.cells[size_t(k)].accuracy = cross_validate(X, labels, classes, p, folds, seed);
  });
  const GridCell* best = &r.cells[0];
  for (const GridCell& c : r.cells) {
    const bool better = c.accuracy > best->accuracy + 1e-12 ||
                        (std::abs(c.accuracy - best->accuracy) <= 1e-12 && (c.C < best->C || (c.C == best->C && c.gamma < best->gamma)));
    if (better) best = &c;
  }
  r.best = base;
  r.best.C = best->C, r.best.gamma = best->gamma;
  r.best_accuracy = best->accuracy;
  return r;
}

Metrics svm_metrics(const std::vector<std::vector<double>>& dec, const std::vector<int64_t>& labels, int64_t classes) {
  std::vector<std::vector<double>> soft;
  for (const auto& row : dec) {
    EASEL_CHECK(int64_t(row.size()) == classes, "svm_metrics: a row has ", row.size(), " decision values, expected ", classes);
    const double mx = *std::max_element(row.begin(), row.end());
    std::vector<double> e;
    double z = 0;
    for (double v : row) z += e.emplace_back(std::exp(v - mx));
    for (double& v : e) v /= z;
    soft.push_back(e);
  }
  Metrics met = compute_metrics(soft, labels);
  met.log_loss = std::nan("");
  met.top5 = top_k_accuracy(dec, labels, 5);
  double auc_sum = 0;
  int defined = 0;
  for (int64_t c = 0; c < classes; ++c) {
    std::vector<double> s;
    std::vector<int> pos;
    for (size_t i = 0; i < dec.size(); ++i) s.push_back(dec[i][size_t(c)]), pos.push_back(labels[i] == c);
    met.roc[size_t(c)] = roc_curve(s, pos);
    if (!std::isnan(met.roc[size_t(c)].auc)) auc_sum += met.roc[size_t(c)].auc, ++defined;
  }
  met.auc_macro = defined ? auc_sum / defined : std::nan("");
  return met;
}

}  // namespace easel
