// easel gradcam --run RUN_DIR [--method gradcam|gradcam++|eigencam] [--layer NAME] [--class C]
//               IMAGE... --out DIR
// For each image: DIR/<name>_<method>.png (the heat map over the network's view of the image) and
// DIR/<name>_<method>.npz (`cam`: the map at the layer's resolution, `cam_image`: at the input's).
#include <cstdio>
#include <filesystem>

#include "apps/cli/args.h"
#include "apps/analysis/cam.h"
#include "apps/cli/commands.h"
#include "apps/pictures/analysis_charts.h"
#include "apps/train/inference.h"
#include "apps/train/run.h"
#include "io/image.h"
#include "io/npz.h"
#include "tensor/random.h"

namespace easel {

int cmd_gradcam(int argc, char** argv) {
  const Args a(argc, argv, 2, {"run", "checkpoint", "method", "layer", "class", "out", "alpha", "eval-aug"}, {});
  Run run = load_run(a.require("run"), a.get("checkpoint", "best.npz"));
  if (a.has("eval-aug")) run.eval_aug = parse_eval_aug(a.get("eval-aug"));
  const std::string method = a.get("method", "gradcam"), out = a.require("out"), layer = a.get("layer", "");
  EASEL_CHECK(!a.positional().empty(), "gradcam: give one or more image paths");
  int64_t cls = -1;
  if (a.has("class")) {
    const std::string c = a.get("class");
    const auto it = std::find(run.classes.begin(), run.classes.end(), c);
    cls = it != run.classes.end() ? int64_t(it - run.classes.begin()) : a.get_int("class", -1);
    EASEL_CHECK(cls >= 0 && cls < int64_t(run.classes.size()), "gradcam: --class '", c, "' is neither a class name nor an index");
  }
  std::filesystem::create_directories(out);
  for (const std::string& path : a.positional()) {
    const Tensor x = inference_input(run, path);  // the run's preprocessing and --eval-aug
    const Cam cam = compute_cam(*run.net, x, layer, method, cls);
    const std::string stem = out + "/" + std::filesystem::path(path).stem().string() + "_" +
                             (method == "gradcam++" ? std::string("gradcampp") : method);
    save_png(stem + ".png", overlay(denormalize(x.select(0, 0), run.pre.preset), cam.image, a.get_double("alpha", 0.45)));
    save_npz(stem + ".npz", {{"cam", cam.map}, {"cam_image", cam.image}});
    std::printf("%s: %s %.1f%% -> %s.png (%s on %s)\n", path.c_str(), run.classes[size_t(cam.cls)].c_str(),
                100 * cam.probability, stem.c_str(), method.c_str(), (layer.empty() ? run.net->last_conv_path : layer).c_str());
  }
  return 0;
}

}  // namespace easel
