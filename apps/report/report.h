// `easel report`: one self-contained HTML page about a trained run (every picture embedded as a
// base64 PNG, no scripts, no external files), and the picture galleries it shares with
// `easel outliers`. The PNGs are also left in RUN_DIR/report/ for reuse.
#pragma once
#include <string>
#include <vector>

#include "apps/analysis/outliers.h"
#include "apps/pictures/plot.h"
#include "apps/train/inference.h"
#include "apps/train/run.h"

namespace easel {

// The `count` most suspicious images (by Mahalanobis score), captioned with given and predicted
// class and the score.
Canvas outlier_gallery(const Dataset& data, const Outputs& out, const OutlierScores& s,
                       const std::vector<std::string>& classes, size_t count = 12);

// The `count` most confident right predictions (green captions), then the `count` most confident
// wrong ones (red), each with its true class, the predicted class and probability, and the runner-up:
// the seed papers' galleries. `rows`: the dataset index of each probability row.
Canvas prediction_gallery(const Dataset& data, const std::vector<size_t>& rows, const std::vector<std::vector<double>>& probs,
                          const std::vector<int64_t>& labels, const std::vector<std::string>& classes, size_t count = 6);

// Grad-CAM overlays for the images `idx` of `data`, captioned with true and predicted class.
Canvas cam_gallery(Run& run, const Dataset& data, const std::vector<size_t>& idx, const std::string& method = "gradcam");

struct ReportOptions {
  std::string run_dir, out;     // out: default RUN_DIR/report.html
  std::string svm_dir;          // an `easel svm train` folder (its test_metrics.json is shown when present)
  std::string outliers_note;    // a line to print under the outlier section (the demo names its planted errors)
  int64_t cam_images = 8, tsne_points = 1500;
};
std::string write_report(const ReportOptions& o);  // returns the HTML file's path

std::string base64(const std::string& bytes);

}  // namespace easel
