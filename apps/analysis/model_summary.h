// easel summary: a net's layer table, torchinfo-style. One forward pass of zeros in eval mode with
// gradients off — exactly the pass `easel models` counts — watched by a ModuleObserver: each module
// call becomes a row with its output shape, its parameters and the multiply-adds it performed.
#pragma once
#include <string>
#include <vector>

#include "layers/module.h"

namespace easel {

struct SummaryRow {
  int depth = 0;          // 0: the net itself; its children 1, theirs 2, ...
  std::string path;       // the module path, "layer1.0.conv1"; "" for the net
  std::string layer;      // the module's describe(): "Conv2d(3, 64, k=7, s=2, p=3)"
  Shape output;           // the shape this call returned
  int64_t params = 0;     // parameters of the module and everything under it
  int64_t macs = 0;       // multiply-adds during this call, the calls inside it included
  bool leaf = false;      // no child modules: the leaf rows of a pass add up to its MACs
};

struct ModelSummary {
  std::vector<SummaryRow> rows;  // one per module call, in call order (a module called twice: two rows)
  Shape input;
  DType dtype = DType::f32;
  int64_t params = 0, trainable = 0;  // net.num_parameters(); those with requires_grad
  int64_t macs = 0;                   // multiply-adds of the whole forward pass
};

// Runs `net` once on zeros of shape `input` (the net's dtype and device) in eval mode (the net is
// left in it), under NoGradGuard, with a MacCounter and an observer alive.
ModelSummary summarise(Module& net, const Shape& input);

// The table: rows down to `max_depth` (deeper calls are inside the MACs and parameters of their
// row at max_depth), then the totals: parameters (trainable / frozen), multiply-adds, sizes.
std::string format_summary(const ModelSummary& s, int max_depth);

}  // namespace easel
