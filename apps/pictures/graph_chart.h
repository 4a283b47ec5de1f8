// The picture of `easel graph`: the autograd graph that apps/analysis/model_graph traces and folds,
// laid out in rows and drawn as a Figure (SVG for a browser, PNG for anything else).
#pragma once
#include <string>

#include "apps/analysis/model_graph.h"
#include "apps/pictures/figure.h"

namespace easel {

// Each node on the row of its longest path from the leaves, rows ordered to keep edges short; a
// box per op or folded module (its graph_label lines, then "in PATH", the module call an op ran
// in), a rounded box per leaf, straight edges with arrowheads from an input to its reader.
Figure graph_chart(const ModelGraph& g, const std::string& title);

}  // namespace easel
