// easel features --run RUN_DIR [--data DIR|CSV ...] --out F.npz
//   embeddings (the vector before the final Linear), labels, probabilities; paths in F.npz.csv.
// easel outliers --run RUN_DIR [--data DIR|CSV ...] [--threshold 0.5] [--shrinkage 0.1] --out DIR
//   DIR/outliers.csv (every image ranked by Mahalanobis score, all three scores), DIR/summary.json.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <sstream>

#include "apps/args.h"
#include "apps/calibration.h"
#include "apps/commands.h"
#include "apps/outliers.h"
#include "apps/train.h"
#include "io/npz.h"

namespace easel {

namespace {

struct Collected {
  Run run;
  Dataset data;
  Outputs out;
};

Collected collect(const Args& a) {
  Collected c{load_run(a.require("run"), a.get("checkpoint", "best.npz")), {}, {}};
  std::vector<size_t> idx;
  if (a.has("data")) {
    CsvOptions o;
    o.label_column = a.get("label-column", "label");
    o.path_template = a.get("path-template", "");
    c.data = open_dataset(a.get("data"), o);
    EASEL_CHECK(c.data.classes == c.run.classes, a.get("data"), ": its classes differ from the run's");
    idx.resize(c.data.samples.size());
    std::iota(idx.begin(), idx.end(), 0);
  } else {
    c.data = run_dataset(c.run, nullptr);  // every image the run knows, train + val + test
    idx.resize(c.data.samples.size());
    std::iota(idx.begin(), idx.end(), 0);
  }
  LoaderOptions lo;
  lo.batch = 32, lo.workers = 2, lo.pre = c.run.pre;
  DataLoader loader(c.data, idx, lo);
  c.out = collect_outputs(*c.run.net, loader);
  return c;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

}  // namespace

int cmd_features(int argc, char** argv) {
  const Args a(argc, argv, 2, {"run", "checkpoint", "data", "label-column", "path-template", "out"}, {});
  const std::string out = a.require("out");
  const Collected c = collect(a);
  const int64_t n = int64_t(c.out.labels.size()), C = int64_t(c.run.classes.size());
  std::vector<double> labels(c.out.labels.begin(), c.out.labels.end()), probs;
  for (const auto& row : c.out.probs) probs.insert(probs.end(), row.begin(), row.end());
  save_npz(out, {{"embeddings", c.out.embeddings}, {"labels", Tensor::from(labels, {n}, DType::i64)},
                 {"probabilities", Tensor::from(probs, {n, C})}});
  std::ostringstream csv;
  csv << "row,path,label,class\n";
  for (int64_t i = 0; i < n; ++i) {
    const Sample& s = c.data.samples[c.out.indices[size_t(i)]];
    csv << i << "," << csv_field(s.path) << "," << s.label << "," << csv_field(c.run.classes[size_t(s.label)]) << "\n";
  }
  write_file_atomically(out + ".csv", csv.str());
  std::printf("features: %lld images x %lld dims -> %s (paths in %s.csv)\n", (long long)n,
              (long long)c.out.embeddings.size(1), out.c_str(), out.c_str());
  return 0;
}

int cmd_calibrate(int argc, char** argv) {
  const Args a(argc, argv, 2, {"run", "checkpoint"}, {});
  const std::string dir = a.require("run");
  Run run = load_run(dir, a.get("checkpoint", "best.npz"));
  std::vector<size_t> val, test;
  Dataset data = run_dataset(run, &test, &val);
  LoaderOptions lo;
  lo.batch = 32, lo.workers = 2, lo.pre = run.pre;
  DataLoader vl(data, val, lo), tl(data, test, lo);
  const Outputs v = collect_outputs(*run.net, vl);
  const double T = fit_temperature(v.logits, v.labels);
  Json j = Json::object();
  j.set("temperature", T);
  j.set("fitted_on", "validation split (" + std::to_string(v.labels.size()) + " images)");
  const Reliability vb = reliability(softmax_rows(v.logits), v.labels), va = reliability(softmax_rows(v.logits, T), v.labels);
  j.set("val_ece_before", vb.ece);
  j.set("val_ece_after", va.ece);
  Reliability before = vb, after = va;
  if (!test.empty()) {
    const Outputs t = collect_outputs(*run.net, tl);
    before = reliability(softmax_rows(t.logits), t.labels);
    after = reliability(softmax_rows(t.logits, T), t.labels);
    j.set("test_ece_before", before.ece);
    j.set("test_ece_after", after.ece);
  }
  write_file_atomically(dir + "/calibration.json", j.dump() + "\n");
  save_reliability_png(dir + "/reliability.png", before, after);
  std::printf("calibrate: T = %.3f; ECE %.4f -> %.4f (%s); %s/calibration.json, reliability.png\n", T, before.ece,
              after.ece, test.empty() ? "validation" : "test", dir.c_str());
  return 0;
}

int cmd_outliers(int argc, char** argv) {
  const Args a(argc, argv, 2, {"run", "checkpoint", "data", "label-column", "path-template", "out", "threshold", "shrinkage"}, {});
  const std::string dir = a.require("out");
  const double threshold = a.get_double("threshold", 0.5), shrink = a.get_double("shrinkage", 0.1);
  const Collected c = collect(a);
  const OutlierScores s = outlier_scores(c.out.embeddings, c.out.probs, c.out.labels, threshold, shrink);
  std::filesystem::create_directories(dir);
  std::vector<size_t> order(s.mahalanobis.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return s.mahalanobis[x] > s.mahalanobis[y]; });
  std::ostringstream csv;
  csv << "rank,path,label,predicted,p_label,max_softmax,low_confidence,centroid_distance,mahalanobis\n";
  int64_t low = 0;
  for (size_t r = 0; r < order.size(); ++r) {
    const size_t i = order[r];
    const auto& p = c.out.probs[i];
    const size_t pred = size_t(std::max_element(p.begin(), p.end()) - p.begin());
    low += s.low_confidence[i];
    csv << r + 1 << "," << csv_field(c.data.samples[c.out.indices[i]].path) << "," << csv_field(c.run.classes[size_t(c.out.labels[i])])
        << "," << csv_field(c.run.classes[pred]) << "," << 1 - s.confidence[i] << "," << p[pred] << ","
        << (s.low_confidence[i] ? 1 : 0) << "," << s.centroid[i] << "," << s.mahalanobis[i] << "\n";
  }
  write_file_atomically(dir + "/outliers.csv", csv.str());
  Json sum = Json::object();
  sum.set("images", int64_t(order.size()));
  sum.set("threshold", threshold);
  sum.set("low_confidence", low);
  sum.set("shrinkage", shrink);
  Json top = Json::array();
  for (size_t r = 0; r < std::min<size_t>(10, order.size()); ++r) top.push(c.data.samples[c.out.indices[order[r]]].path);
  sum.set("top_mahalanobis", top);
  write_file_atomically(dir + "/summary.json", sum.dump() + "\n");
  std::printf("outliers: %zu images, %lld below max-softmax %.2f; ranked list in %s/outliers.csv\n", order.size(),
              (long long)low, threshold, dir.c_str());
  return 0;
}

}  // namespace easel
