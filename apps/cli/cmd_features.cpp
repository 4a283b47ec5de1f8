// easel features --run RUN_DIR | --model NAME [--weights W.npz|best.npz|RUN_DIR] [--layer NAME] [--data DIR|CSV ...]
//                [--split all|train|val|test|trainval] --out F.npz
//   embeddings (the vector before the final Linear, or the named layer's pooled output), labels,
//   probabilities (runs only); F.npz.csv lists row, path, label, class name and split: the run's split,
//   or with --data a stratified split of that set's own (--val 0.15 --test 0.15 --seed 0), so the SVM
//   head never fits and scores the same rows. --eval-aug replaces the run's noise / blur at inference.
// easel outliers --run RUN_DIR [--data DIR|CSV ...] [--threshold 0.5] [--flag-fraction 0.1] [--shrinkage 0.1]
//                [--known KNOWN.txt] --out DIR
//   DIR/outliers.csv (every image ranked by Mahalanobis score, all three scores and their flags: max
//   softmax below --threshold (0.75 by default with 2 classes), the top --flag-fraction of each
//   distance), DIR/summary.json, DIR/gallery.png (the most suspicious images with labels and scores).
//   --known: images known to be outliers (mis-assigned); each score's flags are scored against them.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <sstream>
#include <tuple>

#include "apps/cli/args.h"
#include "apps/analysis/calibration.h"
#include "apps/cli/commands.h"
#include "apps/analysis/outliers.h"
#include "apps/pictures/analysis_charts.h"
#include "apps/report/report.h"
#include "apps/train/inference.h"
#include "apps/train/run.h"
#include "apps/train/weights.h"
#include "io/file.h"
#include "io/npz.h"

namespace easel {

namespace {

struct Collected {
  Run run;
  Dataset data;
  Outputs out;
  std::vector<std::string> split;  // per output row: train / val / test, or "" for outside data
  std::vector<std::string> label_names;  // the classes the labels index (the data set's)
  bool same_classes = true;              // the labels index the run's classes (probabilities comparable)
};

// The images a command looks at: --data (all of it), or the run's own images (--split).
Collected collect(const Args& a, bool allow_model = false) {
  Collected c;
  const Device device = parse_device(a.get("device", "cpu"));
  if (a.has("model")) {  // a bare registry net with converted weights (e.g. ImageNet): features only
    EASEL_CHECK(allow_model, "--model works with `easel features` only; this command needs a trained --run");
    EASEL_CHECK(a.has("data"), "features --model: give the images with --data");
    EASEL_CHECK(!a.has("run"), "features: give --run or --model, not both");
    const std::string model = a.get("model");
    int64_t classes = a.get_int("classes", 0);
    StartingWeights w;
    if (a.has("weights")) {  // a converted .npz, a checkpoint or a run directory
      w = read_starting_weights(a.get("weights"), model);
      if (classes == 0) classes = head_classes(w.tensors, *create_net(model, 1));
    }
    c.run.net = create_net(model, classes > 0 ? classes : 1000);
    if (a.has("weights")) std::printf("%s\n", load_starting_weights(*c.run.net, w).c_str());
    c.run.net->eval();
    c.run.net->to(device);
    c.run.pre.size = a.get_int("size", 224);
    c.run.pre.preset = a.get("preprocess", "imagenet");
  } else {
    c.run = load_run(a.require("run"), a.get("checkpoint", "best.npz"), device);
  }
  std::vector<size_t> idx, tr, va, te;
  if (a.has("data")) {
    c.data = open_dataset(a.get("data"), csv_options(a));
    // Features of any image set (e.g. a curated set seen through a net trained on another one): the
    // labels are the data set's own; the run's class probabilities only where the classes agree.
    EASEL_CHECK(allow_model || c.data.classes == c.run.classes, a.get("data"), ": its classes differ from the run's (",
                c.run.classes.size(), " classes); this command compares labels with the run's predictions");
    c.same_classes = !a.has("model") && c.data.classes == c.run.classes;
    c.label_names = c.data.classes;
    // A stratified train / val / test split of its own, so that `svm train` and `svm eval` never
    // fit and score the same rows.
    const double val = a.get_double("val", 0.15), test = a.get_double("test", 0.15);
    EASEL_CHECK(val >= 0 && test > 0 && val + test < 1, "features: --val must not be negative, --test positive, and "
                "together below 1 (got ", val, ", ", test, ")");
    const Split sp = stratified_split(c.data.labels(), 1 - val - test, val, uint64_t(a.get_int("seed", 0)));
    tr = sp.train, va = sp.val, te = sp.test;
  } else {
    c.data = run_dataset(c.run, &te, &va, &tr);
    c.label_names = c.run.classes;
  }
  const std::string want = a.get("split", "all");
  EASEL_CHECK(want == "all" || want == "train" || want == "val" || want == "test" || want == "trainval",
              "--split: one of all, train, val, test, trainval; got '", want, "'");
  std::vector<std::string> name(c.data.samples.size());
  for (size_t i : tr) name[i] = "train";
  for (size_t i : va) name[i] = "val";
  for (size_t i : te) name[i] = "test";
  for (size_t i = 0; i < name.size(); ++i)
    if (want == "all" || want == name[i] || (want == "trainval" && name[i] != "test")) idx.push_back(i);
  for (size_t i : idx) c.split.push_back(name[i]);
  if (a.has("eval-aug")) c.run.eval_aug = parse_eval_aug(a.get("eval-aug"));
  const LoaderOptions lo = inference_loader_options(c.run, a.get_int("batch", 32));
  DataLoader loader(c.data, idx, lo);
  c.out = collect_outputs(*c.run.net, loader, a.get("layer", ""));
  // Rows come back in loader order; keep the split names aligned with them.
  std::vector<std::string> by_sample(c.data.samples.size());
  for (size_t k = 0; k < idx.size(); ++k) by_sample[idx[k]] = c.split[k];
  for (size_t k = 0; k < c.out.indices.size(); ++k) c.split[k] = by_sample[c.out.indices[k]];
  return c;
}


}  // namespace

int cmd_features(int argc, char** argv) {
  const Args a(argc, argv, 2,
               with(kDataFlags, {"run", "checkpoint", "model", "weights", "classes", "size", "preprocess", "layer", "split",
                                 "batch", "out", "device", "eval-aug", "val", "test", "seed"}),
               {});
  const std::string out = a.require("out");
  const Collected c = collect(a, true);
  const int64_t n = int64_t(c.out.labels.size()), C = int64_t(c.out.probs.at(0).size());
  std::vector<double> labels(c.out.labels.begin(), c.out.labels.end()), probs;
  for (const auto& row : c.out.probs) probs.insert(probs.end(), row.begin(), row.end());
  NamedTensors arrays = {{"embeddings", c.out.embeddings}, {"labels", Tensor::from(labels, {n}, DType::i64)}};
  if (c.same_classes) arrays.emplace_back("probabilities", Tensor::from(probs, {n, C}));  // the run's classes
  save_npz(out, arrays);
  std::ostringstream csv;
  csv << "row,path,label,class,split\n";
  for (int64_t i = 0; i < n; ++i) {
    const Sample& s = c.data.samples[c.out.indices[size_t(i)]];
    csv << i << "," << csv_quote(s.path) << "," << s.label << "," << csv_quote(c.label_names[size_t(s.label)]) << ","
        << c.split[size_t(i)] << "\n";
  }
  write_file_atomically(out + ".csv", csv.str());
  std::printf("features: %lld images x %lld dims -> %s (paths in %s.csv)\n", (long long)n,
              (long long)c.out.embeddings.size(1), out.c_str(), out.c_str());
  return 0;
}

int cmd_calibrate(int argc, char** argv) {
  const Args a(argc, argv, 2, {"run", "checkpoint", "eval-aug"}, {});
  const std::string dir = a.require("run");
  require_run_directory(dir, "calibrate");
  Run run = load_run(dir, a.get("checkpoint", "best.npz"));
  if (a.has("eval-aug")) run.eval_aug = parse_eval_aug(a.get("eval-aug"));
  std::vector<size_t> val, test;
  Dataset data = run_dataset(run, &test, &val);
  const LoaderOptions lo = inference_loader_options(run);
  DataLoader vl(data, val, lo), tl(data, test, lo);
  const Outputs v = collect_outputs(*run.net, vl);
  const TemperatureFit fit = fit_temperature_checked(v.logits, v.labels);
  const double T = fit.temperature;
  if (!fit.warning.empty()) std::fprintf(stderr, "warning: calibrate: %s\n", fit.warning.c_str());
  Json j = Json::object();
  j.set("temperature", T);
  if (!fit.warning.empty()) j.set("warning", fit.warning);
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
  save_png_and_svg(reliability_chart(before, after, fit.warning.empty() ? "reliability" : "reliability (T = 1 kept: see the warning)"),
                   dir + "/reliability");
  std::printf("calibrate: T = %.3f; ECE %.4f -> %.4f (%s); %s/calibration.json, reliability.png\n", T, before.ece,
              after.ece, test.empty() ? "validation" : "test", dir.c_str());
  return 0;
}

namespace {

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// --known FILE (its text read before inference): one image path per line (or a CSV whose first
// column is the path, with a "path" header), absolute or relative to the data set; each must name
// exactly one image of the set.
std::vector<int> read_known(const std::string& file, const std::string& text, const Collected& c) {
  std::vector<int> known(c.out.indices.size(), 0);
  std::istringstream lines(text);
  int64_t line_no = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_no;
    std::string entry = line.substr(0, line.find(','));
    while (!entry.empty() && (entry.back() == '\r' || entry.back() == ' ')) entry.pop_back();
    if (entry.size() >= 2 && entry.front() == '"' && entry.back() == '"') entry = entry.substr(1, entry.size() - 2);
    if (entry.empty() || (line_no == 1 && entry == "path")) continue;
    std::vector<size_t> matches;
    for (size_t i = 0; i < known.size(); ++i) {
      const std::string& path = c.data.samples[c.out.indices[i]].path;
      if (path == entry || (path.size() > entry.size() && path.compare(path.size() - entry.size(), entry.size(), entry) == 0 &&
                            path[path.size() - entry.size() - 1] == '/'))
        matches.push_back(i);
    }
    EASEL_CHECK(!matches.empty(), file, ": line ", line_no, ": '", entry, "' is not an image of the data set looked at");
    EASEL_CHECK(matches.size() == 1, file, ": line ", line_no, ": '", entry, "' names ", matches.size(), " images (",
                c.data.samples[c.out.indices[matches[0]]].path, ", ", c.data.samples[c.out.indices[matches[1]]].path,
                matches.size() > 2 ? ", ..." : "", "); give more of its path");
    known[matches[0]] = 1;
  }
  return known;
}

}  // namespace

int cmd_outliers(int argc, char** argv) {
  const Args a(argc, argv, 2, with(kDataFlags, {"run", "checkpoint", "split", "batch", "out", "threshold", "shrinkage", "device",
                                                "eval-aug", "known", "flag-fraction"}), {});
  const std::string dir = a.require("out");
  // The options are checked before the (long) inference; the threshold again once the classes are known.
  const double shrink = a.get_double("shrinkage", 0.1), fraction = a.get_double("flag-fraction", 0.1);
  EASEL_CHECK(shrink >= 0 && shrink <= 1, "outliers: --shrinkage must be in [0, 1], got ", shrink);
  EASEL_CHECK(fraction > 0 && fraction <= 1, "outliers: --flag-fraction must be in (0, 1], got ", fraction);
  if (a.has("threshold"))
    EASEL_CHECK(a.get_double("threshold", 0) > 0 && a.get_double("threshold", 0) <= 1, "outliers: --threshold must be in "
                "(0, 1] (a max softmax probability), got ", a.get("threshold"));
  const std::string known_text = a.has("known") ? read_file(a.get("known")) : "";
  const Collected c = collect(a);
  // The max softmax is at least 1/C, so a threshold at or below it never flags anything.
  const size_t C = c.run.classes.size();
  const double threshold = a.get_double("threshold", C > 2 ? 0.5 : 0.75);
  EASEL_CHECK(threshold > 1.0 / double(C) && threshold <= 1, "outliers: --threshold ", threshold, " never flags with ", C,
              " classes (the max softmax is at least 1/", C, "); give a value in (", 1.0 / double(C), ", 1]");
  const OutlierScores s = outlier_scores(c.out.embeddings, c.out.probs, c.out.labels, threshold, shrink);
  std::filesystem::create_directories(dir);
  std::vector<size_t> order(s.mahalanobis.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return s.mahalanobis[x] > s.mahalanobis[y]; });
  const std::vector<bool> far_centroid = flag_top_fraction(s.centroid, fraction), far_mahalanobis = flag_top_fraction(s.mahalanobis, fraction);
  const std::vector<int> known = a.has("known") ? read_known(a.get("known"), known_text, c) : std::vector<int>(order.size(), 0);
  std::ostringstream csv;
  csv << "rank,path,label,predicted,p_label,max_softmax,low_confidence,centroid_distance,centroid_flag,mahalanobis,mahalanobis_flag"
      << (a.has("known") ? ",known" : "") << "\n";
  int64_t low = 0;
  for (size_t r = 0; r < order.size(); ++r) {
    const size_t i = order[r];
    const auto& p = c.out.probs[i];
    const size_t pred = size_t(std::max_element(p.begin(), p.end()) - p.begin());
    low += s.low_confidence[i];
    csv << r + 1 << "," << csv_quote(c.data.samples[c.out.indices[i]].path) << "," << csv_quote(c.run.classes[size_t(c.out.labels[i])])
        << "," << csv_quote(c.run.classes[pred]) << "," << 1 - s.confidence[i] << "," << p[pred] << ","
        << (s.low_confidence[i] ? 1 : 0) << "," << s.centroid[i] << "," << (far_centroid[i] ? 1 : 0) << "," << s.mahalanobis[i]
        << "," << (far_mahalanobis[i] ? 1 : 0);
    if (a.has("known")) csv << "," << known[i];
    csv << "\n";
  }
  write_file_atomically(dir + "/outliers.csv", csv.str());
  Json sum = Json::object();
  sum.set("images", int64_t(order.size()));
  sum.set("threshold", threshold);
  sum.set("low_confidence", low);
  sum.set("flag_fraction", fraction);
  sum.set("shrinkage", shrink);
  Json top = Json::array();
  for (size_t r = 0; r < std::min<size_t>(10, order.size()); ++r) top.push(c.data.samples[c.out.indices[order[r]]].path);
  sum.set("top_mahalanobis", top);
  std::printf("outliers: %zu images, %lld below max-softmax %.2f, the top %.0f%% by distance flagged; ranked list in %s/outliers.csv\n",
              order.size(), (long long)low, threshold, 100 * fraction, dir.c_str());
  if (a.has("known")) {  // the seed's measure: each score's flags (and its AUROC) against the known outliers
    Json against = Json::object();
    std::printf("against %s (%lld known outliers):\n  %-12s %-22s %8s %9s %9s %7s %7s\n", a.get("known").c_str(),
                (long long)std::count(known.begin(), known.end(), 1), "score", "flagged when", "flagged", "accuracy",
                "precision", "recall", "AUROC");
    const std::string top_rule = "top " + number_text(100 * fraction) + "%";
    const std::vector<std::tuple<std::string, std::string, const std::vector<double>*, const std::vector<bool>*>> rows = {
        {"confidence", "max softmax < " + number_text(threshold), &s.confidence, &s.low_confidence},
        {"centroid", top_rule, &s.centroid, &far_centroid},
        {"mahalanobis", top_rule, &s.mahalanobis, &far_mahalanobis}};
    for (const auto& row : rows) {
      const FlagQuality q = flag_quality(*std::get<2>(row), *std::get<3>(row), known);
      std::printf("  %-12s %-22s %8lld %9.3f %9.3f %7.3f %7.3f\n", std::get<0>(row).c_str(), std::get<1>(row).c_str(),
                  (long long)q.flagged, q.accuracy, q.precision, q.recall, q.auroc);
      against.set(std::get<0>(row), Json::object({{"flagged_when", std::get<1>(row)}, {"flagged", q.flagged}, {"hits", q.hits},
                                                  {"accuracy", q.accuracy}, {"precision", q.precision}, {"recall", q.recall},
                                                  {"f1", q.f1}, {"auroc", q.auroc}}));
    }
    sum.set("known", a.get("known"));
    sum.set("against_known", against);
  }
  write_file_atomically(dir + "/summary.json", sum.dump() + "\n");
  outlier_gallery(c.data, c.out, s, c.run.classes).save(dir + "/gallery.png");
  return 0;
}

}  // namespace easel
