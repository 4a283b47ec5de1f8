// Pictures of what apps/analysis computes: the analysis returns numbers, these draw them.
#pragma once
#include <string>
#include <vector>

#include "apps/analysis/calibration.h"
#include "apps/analysis/cam.h"
#include "apps/analysis/grouped.h"
#include "apps/analysis/tsne.h"
#include "apps/pictures/plot.h"

namespace easel {

// A heat colour (blue → cyan → yellow → red) for values in [0, 1], blended over the RGB image.
Tensor colorize(const Tensor& map);  // [H, W] -> [3, H, W]
Tensor overlay(const Tensor& rgb, const Tensor& map, double alpha = 0.45);

// The input picture rgb [3, H, W], then each feature map in grey with its channel and strength.
Canvas feature_map_grid(const FeatureMaps& maps, const Tensor& rgb);

// Reliability diagram before / after (accuracy against confidence, with the diagonal).
Figure reliability_chart(const Reliability& before, const Reliability& after, const std::string& title = "reliability");

// The extended confusion matrix as a heat map: one column per group, one row per predicted class.
Figure grouped_chart(const GroupedConfusion& g, const std::string& title);

// The t-SNE map as a scatter chart coloured by class; tips[i] (optional): point i's hover text.
Figure tsne_chart(const TsneMap& map, const std::vector<std::string>& classes, const std::string& title,
                  const std::vector<std::string>& tips = {});

}  // namespace easel
