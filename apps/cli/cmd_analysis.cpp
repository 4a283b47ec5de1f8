// Looking inside a trained net:
//   easel featuremaps --run RUN_DIR [--layer NAME] [--top 15] IMAGE --out PNG
//       the input and the layer's strongest channels as a grid
//   easel tsne --features F.npz [--split all] [--perplexity 30] [--max 2000] [--seed 0] --out PNG
//       a t-SNE map of the embeddings coloured by class (at most --max points, stratified)
//   easel branches --run RUN_DIR [--data DIR|CSV] [--split test] [--out JSON]
//       two-branch nets: branch ablation, feature norms and head weight norms per branch
//   easel report --run RUN_DIR [--svm SVM_DIR] [--out FILE] [--note TEXT]
//       the self-contained HTML report (apps/report.h)
#include <cstdio>
#include <numeric>

#include "apps/cli/args.h"
#include "apps/analysis/branches.h"
#include "apps/analysis/cam.h"
#include "apps/cli/commands.h"
#include "apps/pictures/analysis_charts.h"
#include "apps/report/report.h"
#include "apps/analysis/features.h"
#include "apps/train/inference.h"
#include "apps/train/run.h"
#include "apps/analysis/tsne.h"
#include "io/file.h"
#include "io/image.h"
#include "io/npz.h"
#include "tensor/random.h"

namespace easel {

int cmd_featuremaps(int argc, char** argv) {
  const Args a(argc, argv, 2, {"run", "checkpoint", "layer", "top", "out", "eval-aug"}, {});
  Run run = load_run(a.require("run"), a.get("checkpoint", "best.npz"));
  EASEL_CHECK(a.positional().size() == 1, "featuremaps: give one image path");
  if (a.has("eval-aug")) run.eval_aug = parse_eval_aug(a.get("eval-aug"));
  const Tensor x = inference_input(run, a.positional()[0]);
  const Canvas c = feature_map_grid(strongest_feature_maps(*run.net, x, a.get("layer", ""), a.get_int("top", 15)), denormalize(x.select(0, 0), run.pre.preset));
  c.save(a.require("out"));
  std::printf("featuremaps: %s -> %s\n", a.positional()[0].c_str(), a.get("out").c_str());
  return 0;
}

int cmd_tsne(int argc, char** argv) {
  const Args a(argc, argv, 2, {"features", "split", "perplexity", "max", "seed", "iterations", "out"}, {});
  const Features f = read_features(a.require("features"), split_names(a.get("split", "all")));
  TsneOptions o;
  o.perplexity = a.get_double("perplexity", 30), o.seed = uint64_t(a.get_int("seed", 0));
  o.iterations = int(a.get_int("iterations", 1000));
  tsne_chart(tsne_map(f.X, f.labels, o, size_t(a.get_int("max", 2000))), f.classes, "embeddings").save(a.require("out"));
  std::printf("tsne: %lld embeddings -> %s\n", (long long)f.labels.size(), a.get("out").c_str());
  return 0;
}

int cmd_branches(int argc, char** argv) {
  const Args a(argc, argv, 2, with(kDataFlags, {"run", "checkpoint", "split", "out", "batch", "eval-aug"}), {});
  const std::string dir = a.require("run");
  require_run_directory(dir, "branches");
  Run run = load_run(dir, a.get("checkpoint", "best.npz"));
  BranchAnalysis an(*run.net);
  Dataset data;
  std::vector<size_t> idx;
  if (a.has("data")) {
    data = open_dataset(a.get("data"), csv_options(a));
    EASEL_CHECK(data.classes == run.classes, a.get("data"), ": its classes differ from the run's");
    idx.resize(data.samples.size());
    std::iota(idx.begin(), idx.end(), 0);
  } else {
    data = run_dataset(run, &idx);  // the test split
  }
  if (a.has("eval-aug")) run.eval_aug = parse_eval_aug(a.get("eval-aug"));
  const LoaderOptions lo = inference_loader_options(run, a.get_int("batch", 16));
  DataLoader loader(data, idx, lo);
  an.add(loader);
  const BranchStats s = an.result();
  const std::string out = a.get("out", dir + "/branches.json");
  write_file_atomically(out, s.to_json().dump() + "\n");
  std::printf("branches on %lld images:\n  accuracy  both %.2f%%  global only %.2f%%  patch only %.2f%%\n"
              "  mean feature norm  global %.3f  patch %.3f\n  head weight norm   global %.3f  patch %.3f\n-> %s\n",
              (long long)s.images, 100 * s.accuracy_both, 100 * s.accuracy_global_only, 100 * s.accuracy_patch_only,
              s.feature_norm_global, s.feature_norm_patch, s.weight_norm_global, s.weight_norm_patch, out.c_str());
  if (!s.class_weight_norm_global.empty()) {
    std::printf("  head weight norm per class:\n  %-24s %9s %9s\n", "class", "global", "patch");
    for (size_t c = 0; c < s.class_weight_norm_global.size() && c < run.classes.size(); ++c)
      std::printf("  %-24.24s %9.3f %9.3f\n", run.classes[c].c_str(), s.class_weight_norm_global[c], s.class_weight_norm_patch[c]);
  }
  return 0;
}

int cmd_report(int argc, char** argv) {
  const Args a(argc, argv, 2, {"run", "out", "svm", "note", "cam-images", "tsne-points"}, {});
  ReportOptions o;
  o.run_dir = a.require("run");
  o.out = a.get("out", "");
  o.svm_dir = a.get("svm", "");
  o.outliers_note = a.get("note", "");
  o.cam_images = a.get_int("cam-images", 8);
  o.tsne_points = a.get_int("tsne-points", 1500);
  const std::string path = write_report(o);
  std::printf("report: %s\n", path.c_str());
  return 0;
}

}  // namespace easel
