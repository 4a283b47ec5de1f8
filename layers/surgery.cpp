#include "layers/surgery.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <sstream>

#include "autograd/node.h"
#include "layers/basic.h"
#include "layers/init.h"

namespace easel {

std::vector<std::vector<std::string>> weight_layers(const Module& net) {
  std::vector<std::vector<std::string>> layers;
  for (auto& [path, m] : net.named_modules()) {
    const Module::Role role = m->role();
    if (role == Module::Role::none || (role == Module::Role::norm && layers.empty())) continue;
    if (role == Module::Role::weights) layers.emplace_back();
    for (auto& [name, t] : m->named_parameters()) layers.back().push_back(path.empty() ? name : path + "." + name);
  }
  return layers;
}

namespace {

// parameter name -> its 1-based weight layer
std::map<std::string, int64_t> layer_of(const std::vector<std::vector<std::string>>& layers) {
  std::map<std::string, int64_t> of;
  for (size_t l = 0; l < layers.size(); ++l)
    for (const auto& n : layers[l]) of[n] = int64_t(l + 1);
  return of;
}

double parse_number(const std::string& text, const std::string& item, const char* flag) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  EASEL_CHECK(!text.empty() && *end == 0 && std::isfinite(v), flag, ": cannot read '", item, "'");
  return v;
}

int64_t parse_index(const std::string& text, const std::string& item, const char* flag) {
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  EASEL_CHECK(!text.empty() && *end == 0, flag, ": cannot read '", item, "'");
  return v;
}

}  // namespace

bool LayerRange::covers(const std::string& param, int64_t layer) const {
  if (!prefix.empty()) return param == prefix || param.rfind(prefix + ".", 0) == 0;
  return layer >= first && layer <= last;
}

std::vector<LayerRange> parse_layer_ranges(const std::string& spec, int64_t n_layers, bool with_value, const char* flag) {
  std::vector<LayerRange> out;
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty()) continue;
    LayerRange r;
    const size_t colon = item.find(':');
    EASEL_CHECK(with_value == (colon != std::string::npos), flag, ": '", item, "' should be ",
                with_value ? "FIRST-LAST:VALUE" : "FIRST-LAST");
    const std::string range = item.substr(0, colon);
    if (with_value) r.value = parse_number(item.substr(colon + 1), item, flag);
    if (with_value && !range.empty() && !std::isdigit(uint8_t(range[0]))) {  // a parameter-name prefix
      r.prefix = range;
      out.push_back(r);
      continue;
    }
    const size_t dash = range.find('-');
    r.first = parse_index(range.substr(0, dash), item, flag);
    r.last = dash == std::string::npos ? r.first : parse_index(range.substr(dash + 1), item, flag);
    EASEL_CHECK(r.first >= 1 && r.first <= r.last && r.last <= n_layers, flag, ": range ", r.first, "-", r.last,
                " outside the net's weight layers 1-", n_layers);
    out.push_back(r);
  }
  return out;
}

int64_t reinit_layers(Module& net, const std::string& spec) {
  const auto layers = weight_layers(net);
  std::vector<std::string> names;
  int64_t count = 0;
  for (const LayerRange& r : parse_layer_ranges(spec, int64_t(layers.size()), false, "--reinit"))
    for (int64_t l = r.first; l <= r.last; ++l, ++count)
      names.insert(names.end(), layers[size_t(l - 1)].begin(), layers[size_t(l - 1)].end());
  NoGradGuard ng;
  for (const auto& [name, p] : net.named_parameters()) {
    if (std::find(names.begin(), names.end(), name) == names.end()) continue;
    Tensor t = p;
    const size_t dot = name.rfind('.');
    const Module* owner = dot == std::string::npos ? &net : net.find(name.substr(0, dot));
    if (owner && owner->role() == Module::Role::norm) init::constant_(t, name.substr(dot + 1) == "weight" ? 1.0 : 0.0);
    else if (t.dim() >= 2) init::default_uniform_(t, init::fan_in(t));
    else init::uniform_(t, -0.01, 0.01);
  }
  return count;
}

int64_t freeze_first_layers(Module& net, double fraction, const std::vector<std::string>& backbones) {
  EASEL_CHECK(fraction >= 0 && fraction < 1, "--freeze must be in [0, 1), got ", fraction);
  const auto layers = weight_layers(net);
  // The parts counted separately: each backbone, or the whole net as one.
  const std::vector<std::string> parts = backbones.empty() ? std::vector<std::string>{""} : backbones;
  auto in_part = [](const std::string& name, const std::string& part) {
    return part.empty() || name.rfind(part + ".", 0) == 0;
  };
  std::set<std::string> frozen_names;
  int64_t frozen = 0;
  for (const std::string& part : parts) {
    std::vector<const std::vector<std::string>*> mine;
    for (const auto& l : layers)
      if (!l.empty() && in_part(l[0], part)) mine.push_back(&l);
    EASEL_CHECK(!mine.empty(), "--freeze: the net has no weight layers under '", part, "'");
    const int64_t n = int64_t(std::floor(fraction * double(mine.size())));
    for (int64_t i = 0; i < n; ++i) frozen_names.insert(mine[size_t(i)]->begin(), mine[size_t(i)]->end());
    frozen += n;
  }
  for (auto& [name, p] : net.named_parameters()) p.requires_grad_(!frozen_names.count(name));
  for (auto& [path, m] : net.named_modules())
    if (auto* bn = dynamic_cast<BatchNorm*>(m)) {
      bool all_frozen = bn->weight.defined();
      for (auto& [name, p] : bn->named_parameters()) all_frozen = all_frozen && !p.requires_grad();
      bn->frozen = all_frozen;
    }
  return frozen;
}

std::map<std::string, double> layer_learning_rates(const Module& net, const std::string& spec, double base) {
  const auto layers = weight_layers(net);
  const auto of = layer_of(layers);
  const std::vector<LayerRange> ranges = parse_layer_ranges(spec, int64_t(layers.size()), true, "--layer-lr");
  std::map<std::string, double> lr;
  for (const auto& [name, p] : net.named_parameters()) {
    if (!p.requires_grad()) continue;
    const auto it = of.find(name);
    double v = base;
    for (const LayerRange& r : ranges)
      if (r.covers(name, it == of.end() ? 0 : it->second)) v = r.value;
    lr[name] = v;
  }
  return lr;
}

std::vector<std::string> fold_batch_norms(Module& net, bool values) {
  const auto modules = net.named_modules();
  const auto is_leaf = [&](size_t i) {  // no module below it: the next path does not extend this one
    return i + 1 == modules.size() || modules[i + 1].first.rfind(modules[i].first + ".", 0) != 0 ||
           modules[i].first.empty();
  };
  NoGradGuard no_grad;
  std::vector<std::string> folded;
  Conv2d* conv = nullptr;  // the last leaf, when it was a convolution
  for (size_t i = 0; i < modules.size(); ++i) {
    if (!is_leaf(i) || modules[i].first.empty()) continue;
    Module* m = modules[i].second;
    auto* bn = dynamic_cast<BatchNorm*>(m);
    if (bn && conv && bn->type() == "BatchNorm2d" && !bn->folded && bn->weight.defined() &&
        bn->running_mean.size(0) == conv->weight.size(0)) {
      conv->add_zero_bias();
      if (values) {
        const Tensor s = bn->weight / sqrt(bn->running_var + bn->eps);  // [out]
        conv->weight.copy_(conv->weight * s.reshape({-1, 1, 1, 1}));
        conv->bias.copy_((conv->bias - bn->running_mean) * s + bn->bias);
      }
      bn->fold_away();
      folded.push_back(modules[i].first);
    }
    conv = dynamic_cast<Conv2d*>(m);
  }
  return folded;
}

}  // namespace easel
