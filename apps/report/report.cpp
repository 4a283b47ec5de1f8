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

// A picture with its caption: the SVG inline when STEM.svg exists (crisp, text selectable), else
// STEM.png embedded; nothing when neither was written.
std::string figure(const std::string& stem, const std::string& caption) {
  std::string picture;
  if (fs::exists(stem + ".svg")) picture = read_file(stem + ".svg");
  else if (fs::exists(stem + ".png"))
    picture = "<img alt=\"" + esc(caption) + "\" src=\"data:image/png;base64," + base64(read_file(stem + ".png")) + "\">";
  else return "";
  return "<figure>" + picture + "<figcaption>" + esc(caption) + "</figcaption></figure>\n";
}

std::string metrics_row(const std::string& name, const Json& m) {
  auto g = [&](const char* k) { return m.has(k) && !m[k].is_null() ? m[k].num() : std::nan(""); };
  return "<tr><td>" + esc(name) + "</td><td>" + fmt(100 * g("accuracy"), "%.2f%%") + "</td><td>" + fmt(100 * g("top5"), "%.2f%%") +
         "</td><td>" + fmt(g("macro_f1")) + "</td><td>" + fmt(g("weighted_f1")) + "</td><td>" + fmt(g("auc_macro")) + "</td><td>" +
         fmt(g("log_loss")) + "</td></tr>\n";
}

std::string json_value(const Json& v) {
  switch (v.kind()) {
    case Json::Kind::string: return v.str().empty() ? "–" : v.str();
    case Json::Kind::null: return "–";
    default: return v.dump();
  }
}

const char* kStyle =
    "body{font-family:'DejaVu Sans',system-ui,sans-serif;max-width:1160px;margin:0 auto;padding:0 1em 2em;color:#222}"
    "nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:.5em 0;z-index:2;font-size:.9em}"
    "nav a{margin-right:1.1em;color:#1f5fa8;text-decoration:none}nav a:hover{text-decoration:underline}"
    "h1{font-size:1.6em;margin-top:.8em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em;scroll-margin-top:3em}"
    "table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
    "td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}"
    "figure{display:inline-block;margin:.6em .6em .6em 0;vertical-align:top;max-width:100%}"
    "figure svg,figure img{max-width:100%;height:auto;border:1px solid #eee}"
    "figcaption{font-size:.88em;color:#444;max-width:560px;margin-top:.3em}.note{color:#555;font-size:.9em}"
    ".warn{background:#fff4d6;border-left:4px solid #e0a800;padding:.4em .8em}"
    "#thumb{position:fixed;display:none;pointer-events:none;border:2px solid #333;background:#fff;z-index:3}"
    "table.config td{font-family:'DejaVu Sans Mono',monospace;font-size:.85em;text-align:left}";

// Hovering a t-SNE point shows its image (thumbnails keyed by the point's data-key); without the
// script the points still carry their file name as an SVG <title>.
const char* kHoverScript =
    "<script>\n(function(){const box=document.getElementById('tsne');if(!box)return;const img=document.createElement('img');\n"
    "img.id='thumb';img.alt='';document.body.appendChild(img);\n"
    "box.addEventListener('mouseover',e=>{const k=e.target.getAttribute&&e.target.getAttribute('data-key');"
    "if(k===null||!(k in thumbs))return;img.src=thumbs[k];img.style.display='block';});\n"
    "box.addEventListener('mousemove',e=>{img.style.left=(e.clientX+14)+'px';img.style.top=(e.clientY+14)+'px';});\n"
    "box.addEventListener('mouseout',()=>{img.style.display='none';});})();\n</script>\n";

// The page: sections in order, each listed in the navigation bar.
class Page {
 public:
  std::ostringstream body;
  void section(const std::string& id, const std::string& title) {
    nav_.emplace_back(id, title);
    body << "<h2 id=\"" << id << "\">" << esc(title) << "</h2>\n";
  }
  std::string nav() const {
    std::string n = "<nav>";
    for (const auto& [id, title] : nav_) n += "<a href=\"#" + id + "\">" + esc(title) + "</a>";
    return n + "</nav>\n";
  }

 private:
  std::vector<std::pair<std::string, std::string>> nav_;
};

void metrics_section(Page& p, const ReportOptions& o, const Run& run, const Json& test) {
  p.section("metrics", "Test metrics");
  p.body << "<table><tr><th>classifier</th><th>accuracy</th><th>top-5</th><th>macro-F1</th>"
            "<th>weighted-F1</th><th>AUC (macro)</th><th>log loss</th></tr>\n"
         << metrics_row("softmax head", test);
  if (!o.svm_dir.empty() && fs::exists(o.svm_dir + "/test_metrics.json")) {
    const Json sj = Json::load(o.svm_dir + "/svm.json");
    char name[128];
    std::snprintf(name, sizeof name, "SVM head (%s, C = %g, γ = %.3g)", sj["kernel"].str().c_str(), sj["C"].num(), sj["gamma"].num());
    p.body << metrics_row(name, Json::load(o.svm_dir + "/test_metrics.json"));
  }
  // Top-5 per class only where it can be below 100 %: more than five classes.
  const bool top5 = run.classes.size() > 5 && test.has("top5_per_class");
  p.body << "</table>\n<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>AUC</th>"
         << (top5 ? "<th>top-5</th>" : "") << "</tr>\n";
  for (size_t c = 0; c < run.classes.size(); ++c) {
    const Json& auc = test["auc"].items()[c];
    p.body << "<tr><td>" << esc(run.classes[c]) << "</td><td>" << fmt(test["precision"].items()[c].num(), "%.3f") << "</td><td>"
           << fmt(test["recall"].items()[c].num(), "%.3f") << "</td><td>" << fmt(test["f1"].items()[c].num(), "%.3f") << "</td><td>"
           << test["support"].items()[c].integer() << "</td><td>" << fmt(auc.is_null() ? std::nan("") : auc.num(), "%.3f") << "</td>";
    if (top5) p.body << "<td>" << fmt(100 * test["top5_per_class"].items()[c].num(), "%.1f%%") << "</td>";
    p.body << "</tr>\n";
  }
  p.body << "</table>\n<p class=\"note\">Precision: of the paintings the model put in a class, the share that belong there; "
            "recall: of a class's paintings, the share the model found. Macro-F1 weighs every class alike, so a small class "
            "counts as much as a large one.</p>\n";
}

void prediction_section(Page& p, const std::string& pics, const Dataset& data, const Outputs& outs, const std::vector<size_t>& te,
                        const Run& run) {
  const std::set<size_t> in_test(te.begin(), te.end());
  std::vector<size_t> rows;
  std::vector<std::vector<double>> probs;
  std::vector<int64_t> labels;
  for (size_t k = 0; k < outs.indices.size(); ++k)
    if (in_test.count(outs.indices[k])) rows.push_back(outs.indices[k]), probs.push_back(outs.probs[k]), labels.push_back(outs.labels[k]);
  if (rows.empty()) return;
  prediction_gallery(data, rows, probs, labels, run.classes).save(pics + "/predictions.png");
  p.section("predictions", "Right and wrong");
  p.body << figure(pics + "/predictions",
                   "The test paintings the model was most sure of: right (green) and wrong (red), each with the true class, the "
                   "model's choice and the runner-up with their probabilities. Look for: whether confident mistakes are label "
                   "errors, ambiguous paintings, or a pattern (one artist, one kind of scene) the model gets wrong.");
}

void calibration_section(Page& p, const std::string& dir) {
  if (!fs::exists(dir + "/calibration.json")) return;
  const Json c = Json::load(dir + "/calibration.json");
  p.section("calibration", "Calibration");
  if (c.has("warning")) p.body << "<p class=\"warn\">Temperature not fitted: " << esc(c["warning"].str()) << ".</p>\n";
  p.body << "<p>Temperature T = " << fmt(c["temperature"].num(), "%.3f") << " (from the " << esc(c["fitted_on"].str())
         << "). Expected calibration error on the test split: " << fmt(c.get("test_ece_before", std::nan(""))) << " before, "
         << fmt(c.get("test_ece_after", std::nan(""))) << " after. Predicted probabilities (and the two-class score) use T.</p>\n"
         << figure(dir + "/reliability",
                   "How often the model is right against how sure it is (test images in 15 confidence bins), before and after "
                   "temperature scaling. Look for: points on the dashed diagonal — a calibrated model that says 80 % is right "
                   "80 % of the time; points below it mean over-confidence.");
}

// The t-SNE map inline, each point titled with its file and prediction; thumbnails for the hover
// script for up to `thumbs` points.
void embedding_section(Page& p, const std::string& pics, const Dataset& data, const Outputs& outs, const Run& run, size_t points,
                       size_t thumbs) {
  if (outs.labels.size() < 5) return;
  const TsneMap map = tsne_map(outs.embeddings, outs.labels, TsneOptions{}, points);
  std::vector<std::string> tips;
  std::ostringstream script;
  script << "<script>const thumbs={";
  size_t written = 0;
  for (size_t i = 0; i < map.rows.size(); ++i) {
    const size_t r = map.rows[i];
    const auto& pr = outs.probs[r];
    const size_t pred = size_t(std::max_element(pr.begin(), pr.end()) - pr.begin());
    const std::string& path = data.samples[outs.indices[r]].path;
    tips.push_back(fs::path(path).filename().string() + " — " + run.classes[size_t(outs.labels[r])] + ", model: " + run.classes[pred] +
                   " " + fmt(100 * pr[pred], "%.0f%%"));
    // Thumbnails for points spread evenly over the map's rows (which run class by class).
    const size_t n = map.rows.size(), every = (n + thumbs - 1) / std::max<size_t>(thumbs, 1);
    if (thumbs > 0 && i % every == 0) {
      const std::string jpeg = encode_jpeg(resize_shorter(load_image(path), 96), 80, path);
      script << (written++ ? "," : "") << i << ":\"data:image/jpeg;base64," << base64(jpeg) << "\"";
    }
  }
  script << "};</script>\n";
  const Figure f = tsne_chart(map, run.classes, "embeddings", tips);
  save_png_and_svg(f, pics + "/tsne");
  p.section("embeddings", "Embeddings");
  p.body << "<div id=\"tsne\">"
         << figure(pics + "/tsne",
                   "Each dot is one painting's embedding (the net's penultimate layer), laid out by t-SNE so that neighbours stay "
                   "neighbours; colour is the labelled class. Hover a dot to see the painting. Look for: one cluster per class; a "
                   "dot inside another class's cluster is a hard case or a label error.")
         << "</div>\n" << script.str() << kHoverScript;
}

void config_section(Page& p, const std::string& dir) {
  if (!fs::exists(dir + "/config.json")) return;
  const Json cfg = Json::load(dir + "/config.json");
  p.section("configuration", "Configuration");
  p.body << "<p class=\"note\">The run's settings as <code>easel train</code> recorded them in config.json (every flag, defaults "
            "included): the run can be repeated from these.</p>\n<table class=\"config\"><tr><th>setting</th><th>value</th></tr>\n";
  if (cfg.has("train"))
    for (const auto& [key, value] : cfg["train"].members())
      p.body << "<tr><td>--" << esc(key) << "</td><td>" << esc(json_value(value)) << "</td></tr>\n";
  p.body << "</table>\n";
}

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

  Page p;
  const std::time_t now = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", std::localtime(&now));
  p.body << "<h1>Easel report — " << esc(run.train.model) << " on " << esc(run.train.data) << "</h1>\n";
  p.body << "<p>Run <code>" << esc(dir) << "</code>, written " << when << ". Classes: ";
  for (size_t c = 0; c < run.classes.size(); ++c) p.body << (c ? ", " : "") << esc(run.classes[c]);
  p.body << ". Images: " << tr.size() << " train, " << va.size() << " validation, " << te.size() << " test; input " << run.pre.size
         << " px (" << esc(run.pre.preset) << " preprocessing).</p>\n";
  metrics_section(p, o, run, test);

  p.section("training", "Training");
  p.body << figure(dir + "/curves",
                   "Loss (left) and validation scores (right) per epoch. Look for: validation loss turning upwards while the "
                   "training loss keeps falling, or training accuracy far above validation accuracy — both mean over-fitting.");
  p.section("errors", "Confusion matrix and ROC");
  p.body << figure(dir + "/confusion",
                   "Rows are the true classes, columns the model's predictions; each cell holds a count and its share of the "
                   "row. Look for: large cells off the diagonal — the pairs of classes the model mixes up.")
         << figure(dir + "/roc",
                   "One ROC curve per class (that class against all others) on the test split. Look for: curves close to the "
                   "top-left corner; a curve near the dashed diagonal is a class the model cannot tell apart from the rest.");
  prediction_section(p, pics, data, outs, te, run);
  calibration_section(p, dir);

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
    p.section("gradcam", "Where the net looks");
    p.body << figure(pics + "/gradcam",
                     "Grad-CAM: the regions whose features raised the predicted class's score, red strongest, on test paintings "
                     "of each class. Look for: heat on the painted content, not on borders, frames, signatures or blank canvas.");
    const Tensor x = inference_input(run, data.samples[cam_idx[0]].path);
    const std::string layer = feature_map_layer(*run.net, x);
    feature_map_grid(strongest_feature_maps(*run.net, x, layer), denormalize(x.select(0, 0), run.pre.preset)).save(pics + "/featuremaps.png");
    p.body << figure(pics + "/featuremaps",
                     "The strongest channels of " + layer + " for the first of those paintings. Look for: edges and colour blobs "
                     "in early layers, larger shapes and textures in later ones.");
  }

  embedding_section(p, pics, data, outs, run, size_t(o.tsne_points), 400);

  {  // outliers
    const double threshold = run.classes.size() > 2 ? 0.5 : 0.75;  // the max softmax is at least 1/C
    const OutlierScores s = outlier_scores(outs.embeddings, outs.probs, outs.labels, threshold);
    outlier_gallery(data, outs, s, run.classes).save(pics + "/outliers.png");
    int64_t low = 0;
    for (bool b : s.low_confidence) low += b;
    p.section("outliers", "Outliers and suspicious labels");
    p.body << "<p>" << low << " of " << s.confidence.size() << " images have a max-softmax probability below " << threshold
           << ". Ranked by the Mahalanobis distance of their embedding to their labelled class (shared covariance, shrinkage "
              "0.1):</p>\n";
    if (!o.outliers_note.empty()) p.body << "<p class=\"note\">" << esc(o.outliers_note) << "</p>\n";
    p.body << figure(pics + "/outliers",
                     "The images farthest from the rest of their labelled class. Look for: wrong labels (red captions: the model "
                     "disagrees too), damaged or duplicated files, paintings that belong to no class.");
  }

  if (!o.svm_dir.empty() && fs::exists(o.svm_dir + "/svm.json")) {
    const Json sj = Json::load(o.svm_dir + "/svm.json");
    p.section("svm", "SVM head");
    p.body << "<p>One-vs-rest " << esc(sj["kernel"].str()) << " SVMs (libsvm) on the standardised " << sj["dims"].integer()
           << "-d embeddings of " << sj["train_rows"].integer() << " training images; " << sj["support_vectors"].integer()
           << " support vectors.</p>\n";
    if (sj.has("grid")) {
      p.body << "<table><tr><th>C</th><th>γ</th><th>" << sj["cv_folds"].integer() << "-fold CV accuracy</th></tr>\n";
      for (const Json& c : sj["grid"].items())
        p.body << "<tr><td>" << fmt(c["C"].num(), "%g") << "</td><td>" << fmt(c["gamma"].num(), "%.3g") << "</td><td>"
               << fmt(100 * c["cv_accuracy"].num(), "%.2f%%") << "</td></tr>\n";
      p.body << "</table>\n";
    }
  }

  if (is_two_branch(*run.net)) {
    BranchAnalysis an(*run.net);
    DataLoader tl(data, te, lo);
    an.add(tl);
    const BranchStats s = an.result();
    p.section("branches", "Two branches");
    p.body << "<table><tr><th></th><th>global</th><th>patch</th><th>both</th></tr>\n"
           << "<tr><td>test accuracy, other branch zeroed</td><td>" << fmt(100 * s.accuracy_global_only, "%.2f%%") << "</td><td>"
           << fmt(100 * s.accuracy_patch_only, "%.2f%%") << "</td><td>" << fmt(100 * s.accuracy_both, "%.2f%%") << "</td></tr>\n"
           << "<tr><td>mean feature norm</td><td>" << fmt(s.feature_norm_global, "%.3f") << "</td><td>" << fmt(s.feature_norm_patch, "%.3f")
           << "</td><td></td></tr>\n<tr><td>head weight norm</td><td>" << fmt(s.weight_norm_global, "%.3f") << "</td><td>"
           << fmt(s.weight_norm_patch, "%.3f") << "</td><td></td></tr>\n</table>\n";
  }
  config_section(p, dir);

  std::ostringstream h;
  h << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Easel report: " << esc(fs::path(dir).filename().string())
    << "</title><style>" << kStyle << "</style></head><body>\n"
    << p.nav() << p.body.str() << "<p class=\"note\">Written by easel report in "
    << fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), "%.1f") << " s.</p>\n</body></html>\n";
  write_file_atomically(out, h.str());
  return out;
}

}  // namespace easel
