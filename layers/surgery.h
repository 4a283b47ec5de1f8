// Layer surgery: the operations that fine-tuning recipes phrase in "weight layers" — freeze the
// first 80 %, re-initialise layers 1-4, learning rate 1e-2 for layers 17-20 or for "classifier".
//
// A weight layer is a module whose role() is `weights` (Conv2d, Linear, LSTM) together with the
// batch-norm modules (role `norm`) that follow it; layers are numbered from 1 on the input side,
// in the module tree's order. Everything here works on module paths and parameter names.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "layers/module.h"

namespace easel {

// The weight layers in order, each listing its parameter names ("features.0.weight", ...).
std::vector<std::vector<std::string>> weight_layers(const Module& net);

// One item of a layer spec: a 1-based inclusive range "FIRST-LAST" (or one number), or, where a
// value is given, a parameter-name prefix ("classifier:1e-2"). Later items win.
struct LayerRange {
  int64_t first = 0, last = 0;
  double value = 0;
  std::string prefix;  // set instead of first / last for a name-prefix item
  bool covers(const std::string& param, int64_t layer) const;  // layer: 1-based, 0 if none
};
// "1-10,17-19" (with_value false) or "1-10:1e-2,classifier:1e-4" (with_value true); `flag` names
// the option in errors, ranges are checked against n_layers.
std::vector<LayerRange> parse_layer_ranges(const std::string& spec, int64_t n_layers, bool with_value, const char* flag);

// Fresh initialisation of the layers the spec names: PyTorch's default for weights, 1 / 0 for
// batch-norm scale / shift. Returns how many layers were re-initialised.
int64_t reinit_layers(Module& net, const std::string& spec);

// requires_grad off for the first ⌊fraction · layers⌋ weight layers, on for every other parameter;
// a batch-norm layer whose parameters are all frozen keeps its running statistics (BatchNorm::frozen).
// With `backbones` (module paths, e.g. the two branches of a two-branch net) the fraction applies to
// each backbone's own weight layers, and layers outside them (heads, fusion) stay trainable.
// Returns the number of frozen layers.
int64_t freeze_first_layers(Module& net, double fraction, const std::vector<std::string>& backbones = {});

// The learning rate of each trainable parameter: `base`, or the value of the last spec item that
// covers it (by layer range or name prefix).
std::map<std::string, double> layer_learning_rates(const Module& net, const std::string& spec, double base);

// Batch norm folded into the convolution before it, for inference (export --fold-bn): with
// s = γ / √(var + ε) per output channel, W' = W·s and b' = (b − mean)·s + β; the batch norm becomes
// the identity and leaves the state_dict (its convolution gains a bias). A BatchNorm2d is folded when
// it is the next leaf module after a Conv2d in the tree's order and normalises that conv's channels;
// callers check the logits (the order is how modules were registered, not a proof of data flow).
// `values` false: the structure only (the biases as zeros), to load a file that was folded.
// Returns the module paths of the batch norms folded, in order.
std::vector<std::string> fold_batch_norms(Module& net, bool values = true);

}  // namespace easel
