// easel demo — the README's first command: the whole pipeline, end to end, on an embedded default.
//   1. paint a seeded two-class set of painting-like images (apps/paintings.h), a few of them
//      deliberately filed under the wrong class
//   2. train a ResNet-18 from scratch on CPU, calibrate it, evaluate it on the held-out test split
//   3. extract embeddings, fit a one-vs-rest SVM head with a cross-validated grid, evaluate it
//   4. Grad-CAM on test images, outlier ranking (and how many planted label errors it finds)
//   5. write the HTML report and print its path
// Each step is an ordinary easel command; the demo prints it so it can be rerun by hand.
// --data DIR|CSV and --weights W.npz run the same pipeline on real images / pretrained weights.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "apps/cli/args.h"
#include "apps/cli/commands.h"
#include "apps/analysis/metrics.h"
#include "apps/pictures/paintings.h"
#include "apps/train/inference.h"
#include "apps/train/run.h"
#include "io/file.h"
#include "io/npz.h"
#include "io/text.h"
#include "tensor/parallel.h"

namespace fs = std::filesystem;

namespace easel {

namespace {

void easel_cmd(std::vector<std::string> args) {
  std::printf("\n$ easel");
  for (const auto& a : args) std::printf(" %s", a.find(' ') == std::string::npos ? a.c_str() : ("'" + a + "'").c_str());
  std::printf("\n");
  std::fflush(stdout);
  args.insert(args.begin(), "easel");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  const int rc = run_command(int(argv.size()), argv.data());
  EASEL_CHECK(rc == 0, "demo: `easel ", args[1], "` failed");
}

}  // namespace

int cmd_demo(int argc, char** argv) {
  const Args a(argc, argv, 2, {"out", "data", "weights", "model", "size", "epochs", "images", "seed", "batch", "lr"}, {"quick"});
  const bool quick = a.has("quick");
  const std::string out = a.get("out", "easel-demo");
  const std::string model = a.get("model", "resnet18");
  const int64_t size = a.get_int("size", quick ? 32 : 64), epochs = a.get_int("epochs", quick ? 2 : 8);
  const int64_t per_class = a.get_int("images", quick ? 30 : 250);
  const std::string seed = std::to_string(a.get_int("seed", 0));
  // The demo owns OUT: it replaces its own earlier results but never a folder it did not write.
  if (fs::exists(out) && !fs::is_empty(out)) {
    EASEL_CHECK(fs::exists(out + "/demo.txt"), "demo: ", out, " exists and was not written by easel demo; pick another --out");
    for (const char* sub : {"run", "svm", "cam", "outliers", "data"}) fs::remove_all(out + "/" + sub);
  }
  fs::create_directories(out);
  write_file_atomically(out + "/demo.txt", "written by `easel demo`; rerunning the demo replaces this folder's contents\n");
  const auto t0 = std::chrono::steady_clock::now();
  std::printf("easel demo: %s, %d threads, results in %s/\n", quick ? "quick mode" : "full pipeline", num_threads(), out.c_str());

  std::string data = a.get("data", "");
  std::set<std::string> planted;
  int64_t generated = 0;  // images painted here
  if (data.empty()) {
    data = out + "/data";
    std::printf("\n[1/6] painting %lld abstract and %lld figurative pictures (96x96, seed %s) into %s\n", (long long)per_class,
                (long long)per_class, seed.c_str(), data.c_str());
    const PaintingSet set = write_painting_set(data, per_class, 96, uint64_t(parse_int(seed, "--seed")), 0.04);
    generated = set.images;
    for (const auto& p : set.mislabelled) planted.insert(fs::weakly_canonical(p).string());  // the run may store absolute paths
    std::string list;
    for (const auto& p : set.mislabelled) list += p + "\n";
    write_file_atomically(out + "/planted_label_errors.txt", list);
    std::printf("      %lld images, %zu of them filed under the wrong class on purpose (listed in %s/planted_label_errors.txt)\n",
                (long long)set.images, set.mislabelled.size(), out.c_str());
  } else {
    std::printf("\n[1/6] your data: %s\n", data.c_str());
  }

  std::printf("\n[2/6] training %s from %s\n", model.c_str(), a.has("weights") ? a.get("weights").c_str() : "scratch");
  std::vector<std::string> tr = {"train", "--data", data, "--model", model, "--size", std::to_string(size), "--epochs",
                                 std::to_string(epochs), "--batch", a.get("batch", "32"), "--lr", a.get("lr", "0.001"),
                                 "--aug", "hflip", "--scheduler", "cosine", "--seed", seed, "--out", out + "/run", "--overwrite"};
  if (a.has("weights")) tr.insert(tr.end(), {"--weights", a.get("weights"), "--reset-head"});
  easel_cmd(tr);
  easel_cmd({"calibrate", "--run", out + "/run"});
  easel_cmd({"eval", "--run", out + "/run"});

  std::printf("\n[3/6] an SVM head on the net's embeddings\n");
  easel_cmd({"features", "--run", out + "/run", "--out", out + "/features.npz"});
  easel_cmd({"svm", "train", "--features", out + "/features.npz", "--kernel", "rbf", "--grid", "--cv", "3", "--out", out + "/svm"});
  easel_cmd({"svm", "eval", "--model", out + "/svm", "--features", out + "/features.npz", "--out", out + "/svm/test_metrics.json"});

  std::printf("\n[4/6] Grad-CAM on two test images\n");
  {
    Run run = load_run(out + "/run");
    std::vector<size_t> test;
    const Dataset d = run_dataset(run, &test);
    std::vector<std::string> cam = {"gradcam", "--run", out + "/run", "--out", out + "/cam"};
    for (size_t k = 0; k < std::min<size_t>(2, test.size()); ++k) cam.push_back(d.samples[test[k]].path);
    easel_cmd(cam);
  }

  std::printf("\n[5/6] looking for suspicious labels\n");
  std::vector<std::string> outliers = {"outliers", "--run", out + "/run", "--out", out + "/outliers"};
  std::string note;
  if (!planted.empty()) {
    // Each score's flags against the planted errors (accuracy, precision, recall, AUROC); each
    // distance flags its top 2k images, k the number planted.
    const double fraction = std::min(1.0, 2.0 * double(planted.size()) / double(generated));
    outliers.insert(outliers.end(), {"--known", out + "/planted_label_errors.txt", "--flag-fraction", std::to_string(fraction)});
  }
  easel_cmd(outliers);
  if (!planted.empty()) {
    const Json known = Json::load(out + "/outliers/summary.json")["against_known"];
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "Planted label errors: %zu. AUROC at telling them apart: confidence %.3f, centroid distance %.3f, "
                  "Mahalanobis %.3f; %lld of them are among the %lld highest Mahalanobis scores.",
                  planted.size(), known["confidence"]["auroc"].num(), known["centroid"]["auroc"].num(),
                  known["mahalanobis"]["auroc"].num(), (long long)known["mahalanobis"]["hits"].integer(),
                  (long long)known["mahalanobis"]["flagged"].integer());
    note = buf;
    std::printf("      %s\n", note.c_str());
  }

  std::printf("\n[6/6] the report\n");
  std::vector<std::string> rep = {"report", "--run", out + "/run", "--svm", out + "/svm", "--out", out + "/report.html"};
  if (!note.empty()) rep.insert(rep.end(), {"--note", note});
  easel_cmd(rep);
  const Json m = Json::load(out + "/run/test_metrics.json"), s = Json::load(out + "/svm/test_metrics.json");
  std::printf("\neasel demo done in %.0f s. Test accuracy: softmax head %.1f%%, SVM head %.1f%% (macro-F1 %.3f / %.3f).\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 100 * m["accuracy"].num(),
              100 * s["accuracy"].num(), m["macro_f1"].num(), s["macro_f1"].num());
  std::printf("Report: %s\n", fs::absolute(out + "/report.html").string().c_str());
  return 0;
}

}  // namespace easel
