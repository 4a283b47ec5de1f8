#include "apps/pictures/analysis_charts.h"

#include <cstdio>

#include "autograd/ops.h"

namespace easel {

Tensor colorize(const Tensor& map) {
  const Tensor t = clamp(map, 0, 1);
  auto ramp = [&](double c) { return clamp(1.5 - abs(t * 4.0 - c), 0, 1); };  // the classic "jet" ramps
  return concat({ramp(3).unsqueeze(0), ramp(2).unsqueeze(0), ramp(1).unsqueeze(0)}, 0);
}

Tensor overlay(const Tensor& rgb, const Tensor& map, double alpha) {
  EASEL_CHECK(rgb.dim() == 3 && map.dim() == 2 && rgb.size(1) == map.size(0) && rgb.size(2) == map.size(1),
              "overlay: image ", rgb.describe(), " and map ", map.describe(), " differ in size");
  return clamp(rgb * (1 - alpha) + colorize(map) * alpha, 0, 1);
}

Canvas feature_map_grid(const FeatureMaps& f, const Tensor& rgb) {
  std::vector<Tile> tiles{{rgb, {"input"}}};
  for (size_t k = 0; k < f.maps.size(); ++k) {
    char cap[64];
    std::snprintf(cap, sizeof cap, "ch %lld  mean %.3g", (long long)f.channel[k], f.strength[k]);
    tiles.push_back({f.maps[k], {cap}});
  }
  char title[256];
  std::snprintf(title, sizeof title, "%s: %lld channels of %lldx%lld, strongest first", f.layer.c_str(), (long long)f.channels,
                (long long)f.height, (long long)f.width);
  return image_grid(title, tiles, 4, 128);
}

Figure reliability_chart(const Reliability& before, const Reliability& after, const std::string& title) {
  char b[64], a[64];
  std::snprintf(b, sizeof b, "before (ECE %.3f)", before.ece);
  std::snprintf(a, sizeof a, "after (ECE %.3f)", after.ece);
  Series perfect{"perfect", {0, 1}, {0, 1}, {0.6f, 0.6f, 0.6f}};
  perfect.dashed = true;
  return line_chart(title, "confidence", "accuracy",
                    {perfect, {b, before.confidence, before.accuracy, palette(3)}, {a, after.confidence, after.accuracy, palette(0)}},
                    520, 420, kUnit, kUnit);
}

Figure grouped_chart(const GroupedConfusion& g, const std::string& title) {
  std::vector<std::string> cols;
  char buf[200];
  for (size_t k = 0; k < g.groups.size(); ++k) {
    std::snprintf(buf, sizeof buf, "%s (%s, accuracy %.2f)", g.groups[k].c_str(), g.true_class[k].c_str(), g.accuracy(k));
    cols.push_back(buf);
  }
  return count_heatmap(title, g.counts, g.classes, cols, true, "predicted class", g.column);
}

Figure tsne_chart(const TsneMap& m, const std::vector<std::string>& classes, const std::string& title,
                  const std::vector<std::string>& tips) {
  char t[256];
  std::snprintf(t, sizeof t, "%s (t-SNE of %lld-d, %zu points, perplexity %.0f, KL %.2f)", title.c_str(),
                (long long)m.input_dims, m.x.size(), m.perplexity, m.kl);
  return scatter_chart(t, m.x, m.y, m.labels, classes, 560, tips);
}

}  // namespace easel
