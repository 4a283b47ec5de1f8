// easel svm train --features F.npz --out DIR [--kernel rbf|sigmoid|linear|poly] [--C 1] [--gamma G]
//                 [--coef0 0] [--degree 3] [--balanced] [--no-standardize] [--grid [--C-grid ..] [--gamma-grid ..]] [--cv 3]
//                 [--split trainval] [--seed 0]
// easel svm eval --model DIR --features F.npz [--split test] [--out metrics.json] [--predictions P.csv]
//
// F.npz comes from `easel features`; its F.npz.csv gives the class names and each row's split, so by
// default the SVM trains on the run's train + validation images and is evaluated on its test images.
// --grid: stratified --cv-fold search over C × γ (default C ∈ {0.1, 1, 10, 100}, γ ∈ {0.1, 0.3, 1, 3, 10} / D),
// then a final fit on all the training rows with the best pair. --gamma-grid values are γ itself
// (e.g. 1e-4,1e-3), not multiples of 1 / D.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <sstream>

#include "apps/cli/args.h"
#include "apps/cli/commands.h"
#include "apps/analysis/features.h"
#include "apps/analysis/metrics.h"
#include "apps/analysis/svm.h"
#include "io/dataset.h"
#include "io/file.h"
#include "io/npz.h"
#include "io/text.h"

namespace easel {

namespace {

std::vector<double> number_list(const std::string& s, const char* flag) {
  std::vector<double> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    out.push_back(parse_number(item, flag));
    EASEL_CHECK(out.back() > 0, flag, ": values must be positive, got ", out.back());
  }
  EASEL_CHECK(!out.empty(), flag, ": empty list");
  return out;
}

int svm_train_cmd(int argc, char** argv) {
  const Args a(argc, argv, 3,
               {"features", "out", "kernel", "C", "gamma", "coef0", "degree", "cv", "C-grid", "gamma-grid", "split", "seed"},
               {"grid", "balanced", "no-standardize"});
  const Features f = read_features(a.require("features"), split_names(a.get("split", "trainval")));
  const std::string out = a.require("out");
  const int64_t C = int64_t(f.classes.size()), D = f.X.size(1);
  SvmParams p;
  p.kernel = a.get("kernel", "rbf");
  p.C = a.get_double("C", 1), p.gamma = a.get_double("gamma", 0), p.coef0 = a.get_double("coef0", 0);
  p.degree = int(a.get_int("degree", 3)), p.balanced = a.has("balanced"), p.standardize = !a.has("no-standardize");
  const int folds = int(a.get_int("cv", 3));
  const uint64_t seed = uint64_t(a.get_int("seed", 0));
  std::printf("svm: %lld rows x %lld features (%s), %lld classes, %s kernel, one-vs-rest\n", (long long)f.labels.size(),
              (long long)D, p.standardize ? "standardised" : "raw", (long long)C, p.kernel.c_str());
  const auto t0 = std::chrono::steady_clock::now();
  Json extra = Json::object(), classes = Json::array();
  for (const auto& c : f.classes) classes.push(c);
  extra.set("class_names", classes);
  extra.set("features", a.get("features"));
  extra.set("train_rows", int64_t(f.labels.size()));
  if (a.has("grid")) {
    std::vector<double> gammas;
    if (a.has("gamma-grid")) gammas = number_list(a.get("gamma-grid"), "--gamma-grid");
    else
      for (double m : {0.1, 0.3, 1.0, 3.0, 10.0}) gammas.push_back(m / double(D));
    const std::vector<double> Cs = a.has("C-grid") ? number_list(a.get("C-grid"), "--C-grid") : std::vector<double>{0.1, 1, 10, 100};
    const GridResult g = grid_search(f.X, f.labels, C, p, Cs, gammas, folds, seed);
    Json cells = Json::array();
    std::printf("%d-fold cross-validated accuracy:\n%12s", folds, "C \\ gamma");
    const bool lin = p.kernel == "linear";
    const size_t ng = lin ? 1 : gammas.size();
    for (size_t k = 0; k < ng; ++k) std::printf(" %10.3g", lin ? 0.0 : gammas[k]);
    for (size_t k = 0; k < g.cells.size(); ++k) {
      if (k % ng == 0) std::printf("\n%12.3g", g.cells[k].C);
      std::printf(" %9.2f%%", 100 * g.cells[k].accuracy);
      Json cell = Json::object();
      cell.set("C", g.cells[k].C);
      cell.set("gamma", g.cells[k].gamma);
      cell.set("cv_accuracy", g.cells[k].accuracy);
      cells.push(cell);
    }
    std::printf("\nbest: C = %g, gamma = %g (cv accuracy %.2f%%)\n", g.best.C, g.best.gamma, 100 * g.best_accuracy);
    p = g.best;
    extra.set("grid", cells);
    extra.set("cv_folds", int64_t(folds));
    extra.set("cv_accuracy", g.best_accuracy);
  } else if (a.has("cv")) {
    const double acc = cross_validate(f.X, f.labels, C, p, folds, seed);
    std::printf("%d-fold cross-validated accuracy: %.2f%%\n", folds, 100 * acc);
    extra.set("cv_folds", int64_t(folds));
    extra.set("cv_accuracy", acc);
  }
  OneVsRestSvm m;
  m.fit(f.X, f.labels, C, p);
  std::vector<int64_t> pred = m.predict(f.X);
  int64_t right = 0;
  for (size_t i = 0; i < pred.size(); ++i) right += pred[i] == f.labels[i];
  extra.set("train_accuracy", double(right) / double(pred.size()));
  m.save(out, extra);
  std::printf("trained in %.1fs: %lld support vectors, training accuracy %.2f%% -> %s/svm.json\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), (long long)m.support_vectors(),
              100.0 * double(right) / double(pred.size()), out.c_str());
  return 0;
}

int svm_eval_cmd(int argc, char** argv) {
  const Args a(argc, argv, 3, {"model", "features", "split", "out", "predictions"}, {"json"});
  const std::string dir = a.require("model");
  Json meta;
  const OneVsRestSvm m = OneVsRestSvm::load(dir, &meta);
  const Features f = read_features(a.require("features"), split_names(a.get("split", "test")));
  std::vector<std::string> classes;
  for (const Json& c : meta["class_names"].items()) classes.push_back(c.str());
  EASEL_CHECK(f.classes.size() <= classes.size(), a.get("features"), ": ", f.classes.size(), " classes but the SVM in ", dir,
              " knows ", classes.size());
  for (size_t c = 0; c < f.classes.size(); ++c)
    EASEL_CHECK(f.classes[c] == classes[c] || f.classes[c] == std::to_string(c), a.get("features"), ": class ", c,
                " is '", f.classes[c], "' but the SVM's is '", classes[c], "'");
  const std::vector<std::vector<double>> dec = m.decision(f.X);
  const Metrics met = svm_metrics(dec, f.labels, int64_t(classes.size()));
  if (a.has("out")) write_file_atomically(a.get("out"), met.to_json() + "\n");
  if (a.has("predictions")) {
    std::ostringstream csv;
    csv << "path,label,predicted,top5,decision\n";
    for (size_t i = 0; i < dec.size(); ++i) {
      std::vector<size_t> order(classes.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return dec[i][x] > dec[i][y]; });
      csv << '"' << f.paths[i] << "\"," << classes[size_t(f.labels[i])] << "," << classes[order[0]] << ",\"";
      for (size_t k = 0; k < std::min<size_t>(5, order.size()); ++k) csv << (k ? ";" : "") << classes[order[k]];
      csv << "\"," << dec[i][order[0]] << "\n";
    }
    write_file_atomically(a.get("predictions"), csv.str());
  }
  if (a.has("json")) {
    std::printf("%s\n", met.to_json().c_str());
    return 0;
  }
  std::printf("svm (%s, C = %g, gamma = %g) on %s:\n", m.params().kernel.c_str(), m.params().C, m.params().gamma,
              a.get("features").c_str());
  std::fputs(format_metrics(met, classes).c_str(), stdout);
  return 0;
}

}  // namespace

int cmd_svm(int argc, char** argv) {
  const std::string sub = argc > 2 ? argv[2] : "";
  if (sub == "train") return svm_train_cmd(argc, argv);
  if (sub == "eval") return svm_eval_cmd(argc, argv);
  throw Error("svm: use `easel svm train ...` or `easel svm eval ...` (got '" + sub + "')");
}

}  // namespace easel
