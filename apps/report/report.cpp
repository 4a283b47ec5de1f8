#include "apps/report/report.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>

#include "apps/analysis/branches.h"
#include "apps/analysis/cam.h"
#include "apps/analysis/tsne.h"
#include "apps/pictures/analysis_charts.h"
#include "io/file.h"
#include "io/image.h"
#include "io/npz.h"
#include "tensor/random.h"

namespace fs = std::filesystem;

namespace easel {

std::string base64(const std::string& in) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    const uint32_t b0 = uint8_t(in[i]), b1 = i + 1 < in.size() ? uint8_t(in[i + 1]) : 0, b2 = i + 2 < in.size() ? uint8_t(in[i + 2]) : 0;
    const uint32_t v = b0 << 16 | b1 << 8 | b2;
    out += abc[v >> 18 & 63];
    out += abc[v >> 12 & 63];
    out += i + 1 < in.size() ? abc[v >> 6 & 63] : '=';
    out += i + 2 < in.size() ? abc[v & 63] : '=';
  }
  return out;
}

Canvas outlier_gallery(const Dataset& data, const Outputs& out, const OutlierScores& s, const std::vector<std::string>& classes,
                       size_t count) {
  std::vector<size_t> order(s.mahalanobis.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s.mahalanobis[a] > s.mahalanobis[b]; });
  std::vector<Tile> tiles;
  for (size_t r = 0; r < std::min(count, order.size()); ++r) {
    const size_t i = order[r];
    const auto& p = out.probs[i];
    const size_t pred = size_t(std::max_element(p.begin(), p.end()) - p.begin());
    char l3[64];
    std::snprintf(l3, sizeof l3, "maha %.2f  p %.2f", s.mahalanobis[i], p[pred]);
    Tile t{resize_shorter(load_image(data.samples[out.indices[i]].path), 128),
           {"#" + std::to_string(r + 1) + " label " + classes[size_t(out.labels[i])], "model: " + classes[pred], l3}};
    if (int64_t(pred) != out.labels[i]) t.caption_color = {0.75f, 0.1f, 0.1f};
    tiles.push_back(t);
  }
  return image_grid("most suspicious images (Mahalanobis distance to the labelled class; red: model disagrees)", tiles, 6, 128);
}

Canvas prediction_gallery(const Dataset& data, const std::vector<size_t>& rows, const std::vector<std::vector<double>>& probs,
                          const std::vector<int64_t>& labels, const std::vector<std::string>& classes, size_t count) {
  EASEL_CHECK(rows.size() == probs.size() && probs.size() == labels.size(), "gallery: ", rows.size(), " rows, ", probs.size(),
              " probability rows and ", labels.size(), " labels");
  std::vector<size_t> right, wrong;
  std::vector<size_t> top(probs.size()), second(probs.size());
  for (size_t i = 0; i < probs.size(); ++i) {
    std::vector<size_t> order(probs[i].size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return probs[i][a] > probs[i][b]; });
    top[i] = order[0], second[i] = order.size() > 1 ? order[1] : order[0];
    (int64_t(top[i]) == labels[i] ? right : wrong).push_back(i);
  }
  auto most_confident = [&](std::vector<size_t>& v) {
    std::stable_sort(v.begin(), v.end(), [&](size_t a, size_t b) { return probs[a][top[a]] > probs[b][top[b]]; });
    v.resize(std::min(v.size(), count));
  };
  most_confident(right), most_confident(wrong);
  std::vector<Tile> tiles;
  for (const std::vector<size_t>* group : {&right, &wrong})
    for (size_t i : *group) {
      char l2[96], l3[96];
      std::snprintf(l2, sizeof l2, "model: %.20s %.0f%%", classes[top[i]].c_str(), 100 * probs[i][top[i]]);
      std::snprintf(l3, sizeof l3, "2nd: %.20s %.0f%%", classes[second[i]].c_str(), 100 * probs[i][second[i]]);
      Tile t{resize_shorter(load_image(data.samples[rows[i]].path), 128), {"true: " + classes[size_t(labels[i])], l2, l3}};
      t.caption_color = group == &right ? Rgb{0.1f, 0.5f, 0.15f} : Rgb{0.75f, 0.1f, 0.1f};
      tiles.push_back(t);
    }
  EASEL_CHECK(!tiles.empty(), "gallery: no predictions to show");
  return image_grid("most confident right (green, " + std::to_string(right.size()) + ") and wrong (red, " +
                        std::to_string(wrong.size()) + ") predictions",
                    tiles, int64_t(std::max<size_t>(1, std::min<size_t>(count, 6))), 128);
}

Canvas cam_gallery(Run& run, const Dataset& data, const std::vector<size_t>& idx, const std::string& method) {
  std::vector<Tile> tiles;
  for (size_t i : idx) {
    const Tensor x = inference_input(run, data.samples[i].path);
    const Cam cam = compute_cam(*run.net, x, "", method);
    char l2[96];
    std::snprintf(l2, sizeof l2, "model: %s %.0f%%", run.classes[size_t(cam.cls)].c_str(), 100 * cam.probability);
    Tile t{overlay(denormalize(x.select(0, 0), run.pre.preset), cam.image), {"true: " + run.classes[size_t(data.samples[i].label)], l2}};
    if (cam.cls != data.samples[i].label) t.caption_color = {0.75f, 0.1f, 0.1f};
    tiles.push_back(t);
  }
  return image_grid(method + " on " + run.net->last_conv_path + " (red: wrong prediction)", tiles, 4, 160);
}

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '"' ? "&quot;" : std::string(1, c);
  return o;
}

std::string fmt(double v, const char* f = "%.4f") {
  if (!std::isfinite(v)) return "–";
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string img(const std::string& png, const std::string& alt) {
  return "<figure><img alt=\"" + esc(alt) + "\" src=\"data:image/png;base64," + base64(read_file(png)) + "\"><figcaption>" +
         esc(alt) + "</figcaption></figure>\n";
}

std::string metrics_row(const std::string& name, const Json& m) {
  auto g = [&](const char* k) { return m.has(k) && !m[k].is_null() ? m[k].num() : std::nan(""); };
  return "<tr><td>" + esc(name) + "</td><td>" + fmt(100 * g("accuracy"), "%.2f%%") + "</td><td>" + fmt(100 * g("top5"), "%.2f%%") +
         "</td><td>" + fmt(g("macro_f1")) + "</td><td>" + fmt(g("weighted_f1")) + "</td><td>" + fmt(g("auc_macro")) + "</td><td>" +
         fmt(g("log_loss")) + "</td></tr>\n";
}

const char* kStyle =
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
    "h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}"
    "table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
    "td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}"
    "figure{display:inline-block;margin:.4em;vertical-align:top}img{max-width:100%;border:1px solid #eee}"
    "figcaption{font-size:.85em;color:#555}.note{color:#555;font-size:.9em}";

}  // namespace

std::string write_report(const ReportOptions& o) {
  const std::string dir = o.run_dir, pics = dir + "/report", out = o.out.empty() ? dir + "/report.html" : o.out;
  require_run_directory(dir, "report");
  fs::create_directories(pics);
  const auto t0 = std::chrono::steady_clock::now();
  Run run = load_run(dir);
  const Json test = Json::load(dir + "/test_metrics.json");
  std::vector<size_t> tr, va, te;
  const Dataset data = run_dataset(run, &te, &va, &tr);
  // One pass over every image of the run: embeddings and probabilities for outliers and t-SNE.
  std::vector<size_t> all(data.samples.size());
  std::iota(all.begin(), all.end(), 0);
  const LoaderOptions lo = inference_loader_options(run);
  DataLoader loader(data, all, lo);
  const Outputs outs = collect_outputs(*run.net, loader);
  std::printf("report: %zu images through %s\n", outs.labels.size(), run.train.model.c_str());

  std::ostringstream h;
  h << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Easel report: " << esc(fs::path(dir).filename().string())
    << "</title><style>" << kStyle << "</style></head><body>\n";
  const std::time_t now = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", std::localtime(&now));
  h << "<h1>Easel report — " << esc(run.train.model) << " on " << esc(run.train.data) << "</h1>\n";
  h << "<p>Run <code>" << esc(dir) << "</code>, written " << when << ". Classes: ";
  for (size_t c = 0; c < run.classes.size(); ++c) h << (c ? ", " : "") << esc(run.classes[c]);
  h << ". Images: " << tr.size() << " train, " << va.size() << " validation, " << te.size() << " test; input "
    << run.pre.size << " px (" << esc(run.pre.preset) << " preprocessing).</p>\n";

  h << "<h2>Test metrics</h2>\n<table><tr><th>classifier</th><th>accuracy</th><th>top-5</th><th>macro-F1</th>"
       "<th>weighted-F1</th><th>AUC (macro)</th><th>log loss</th></tr>\n"
    << metrics_row("softmax head", test);
  if (!o.svm_dir.empty() && fs::exists(o.svm_dir + "/test_metrics.json")) {
    const Json sj = Json::load(o.svm_dir + "/svm.json");
    char name[128];
    std::snprintf(name, sizeof name, "SVM head (%s, C = %g, γ = %.3g)", sj["kernel"].str().c_str(), sj["C"].num(), sj["gamma"].num());
    h << metrics_row(name, Json::load(o.svm_dir + "/test_metrics.json"));
  }
  h << "</table>\n<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>AUC</th></tr>\n";
  for (size_t c = 0; c < run.classes.size(); ++c)
    h << "<tr><td>" << esc(run.classes[c]) << "</td><td>" << fmt(test["precision"].items()[c].num(), "%.3f") << "</td><td>"
      << fmt(test["recall"].items()[c].num(), "%.3f") << "</td><td>" << fmt(test["f1"].items()[c].num(), "%.3f") << "</td><td>"
      << test["support"].items()[c].integer() << "</td><td>"
      << fmt(test["auc"].items()[c].is_null() ? std::nan("") : test["auc"].items()[c].num(), "%.3f") << "</td></tr>\n";
  h << "</table>\n";

  h << "<h2>Training</h2>\n";
  if (fs::exists(dir + "/curves.png")) h << img(dir + "/curves.png", "losses, validation accuracy and macro-F1 per epoch");
  h << "<h2>Confusion matrix and ROC (test)</h2>\n";
  if (fs::exists(dir + "/confusion.png")) h << img(dir + "/confusion.png", "confusion matrix, test split");
  if (fs::exists(dir + "/roc.png")) h << img(dir + "/roc.png", "ROC curves, one-vs-rest");
  {  // right and wrong test predictions
    const std::set<size_t> in_test(te.begin(), te.end());
    std::vector<size_t> rows;
    std::vector<std::vector<double>> probs;
    std::vector<int64_t> labels;
    for (size_t k = 0; k < outs.indices.size(); ++k)
      if (in_test.count(outs.indices[k])) rows.push_back(outs.indices[k]), probs.push_back(outs.probs[k]), labels.push_back(outs.labels[k]);
    if (!rows.empty()) {
      prediction_gallery(data, rows, probs, labels, run.classes).save(pics + "/predictions.png");
      h << "<h2>Right and wrong (test)</h2>\n" << img(pics + "/predictions.png", "the most confident right and wrong test predictions");
    }
  }
  if (fs::exists(dir + "/calibration.json")) {
    const Json c = Json::load(dir + "/calibration.json");
    h << "<h2>Calibration</h2>\n<p>Temperature T = " << fmt(c["temperature"].num(), "%.3f") << " (" << esc(c["fitted_on"].str())
      << "). Expected calibration error on the test split: " << fmt(c.get("test_ece_before", std::nan(""))) << " before, "
      << fmt(c.get("test_ece_after", std::nan(""))) << " after. Predicted probabilities (and the two-class score) use T.</p>\n";
    if (fs::exists(dir + "/reliability.png")) h << img(dir + "/reliability.png", "reliability diagram before and after temperature scaling");
  }

  // Grad-CAM on test images taken from each class in turn, and one image's feature maps.
  std::vector<size_t> cam_idx;
  {
    std::vector<std::vector<size_t>> by_class(run.classes.size());
    for (size_t i : te) by_class[size_t(data.samples[i].label)].push_back(i);
    for (size_t r = 0; cam_idx.size() < size_t(o.cam_images) && r < te.size(); ++r)
      for (const auto& list : by_class)
        if (r < list.size() && cam_idx.size() < size_t(o.cam_images)) cam_idx.push_back(list[r]);
  }
  if (!cam_idx.empty()) {
    cam_gallery(run, data, cam_idx).save(pics + "/gradcam.png");
    h << "<h2>Where the net looks (Grad-CAM)</h2>\n" << img(pics + "/gradcam.png", "Grad-CAM heat maps on test images");
    const Tensor x = inference_input(run, data.samples[cam_idx[0]].path);
    const std::string layer = feature_map_layer(*run.net, x);
    feature_map_grid(strongest_feature_maps(*run.net, x, layer), denormalize(x.select(0, 0), run.pre.preset)).save(pics + "/featuremaps.png");
    h << img(pics + "/featuremaps.png", "strongest feature maps of " + layer + " for the first test image");
  }

  // Embeddings.
  if (outs.labels.size() >= 5) {
    tsne_chart(tsne_map(outs.embeddings, outs.labels, TsneOptions{}, size_t(o.tsne_points)), run.classes, "embeddings").save(pics + "/tsne.png");
    h << "<h2>Embeddings</h2>\n" << img(pics + "/tsne.png", "t-SNE map of the embeddings, coloured by labelled class");
  }

  // Outliers.
  {
    const double threshold = run.classes.size() > 2 ? 0.5 : 0.75;  // the max softmax is at least 1/C
    const OutlierScores s = outlier_scores(outs.embeddings, outs.probs, outs.labels, threshold);
    outlier_gallery(data, outs, s, run.classes).save(pics + "/outliers.png");
    int64_t low = 0;
    for (bool b : s.low_confidence) low += b;
    h << "<h2>Outliers and suspicious labels</h2>\n<p>" << low << " of " << s.confidence.size()
      << " images have a max-softmax probability below " << threshold << ". Ranked by the Mahalanobis distance of their embedding to their"
         " labelled class (shared covariance, shrinkage 0.1):</p>\n";
    if (!o.outliers_note.empty()) h << "<p class=\"note\">" << esc(o.outliers_note) << "</p>\n";
    h << img(pics + "/outliers.png", "the most suspicious images");
  }

  if (!o.svm_dir.empty() && fs::exists(o.svm_dir + "/svm.json")) {
    const Json sj = Json::load(o.svm_dir + "/svm.json");
    h << "<h2>SVM head</h2>\n<p>One-vs-rest " << esc(sj["kernel"].str()) << " SVMs (libsvm) on the standardised "
      << sj["dims"].integer() << "-d embeddings of " << sj["train_rows"].integer() << " training images; "
      << sj["support_vectors"].integer() << " support vectors.</p>\n";
    if (sj.has("grid")) {
      h << "<table><tr><th>C</th><th>γ</th><th>" << sj["cv_folds"].integer() << "-fold CV accuracy</th></tr>\n";
      for (const Json& c : sj["grid"].items())
        h << "<tr><td>" << fmt(c["C"].num(), "%g") << "</td><td>" << fmt(c["gamma"].num(), "%.3g") << "</td><td>"
          << fmt(100 * c["cv_accuracy"].num(), "%.2f%%") << "</td></tr>\n";
      h << "</table>\n";
    }
  }

  if (is_two_branch(*run.net)) {
    BranchAnalysis an(*run.net);
    DataLoader tl(data, te, lo);
    an.add(tl);
    const BranchStats s = an.result();
    h << "<h2>Two branches</h2>\n<table><tr><th></th><th>global</th><th>patch</th><th>both</th></tr>\n"
      << "<tr><td>test accuracy, other branch zeroed</td><td>" << fmt(100 * s.accuracy_global_only, "%.2f%%") << "</td><td>"
      << fmt(100 * s.accuracy_patch_only, "%.2f%%") << "</td><td>" << fmt(100 * s.accuracy_both, "%.2f%%") << "</td></tr>\n"
      << "<tr><td>mean feature norm</td><td>" << fmt(s.feature_norm_global, "%.3f") << "</td><td>" << fmt(s.feature_norm_patch, "%.3f")
      << "</td><td></td></tr>\n<tr><td>head weight norm</td><td>" << fmt(s.weight_norm_global, "%.3f") << "</td><td>"
      << fmt(s.weight_norm_patch, "%.3f") << "</td><td></td></tr>\n</table>\n";
  }
  h << "<p class=\"note\">Written by easel report in "
    << fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), "%.1f") << " s.</p>\n</body></html>\n";
  write_file_atomically(out, h.str());
  return out;
}

}  // namespace easel
