#include "apps/model/model_file.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "io/checkpoint.h"
#include "layers/init.h"
#include "layers/surgery.h"
#include "io/npz.h"
#include "tensor/random.h"

namespace fs = std::filesystem;

namespace easel {

namespace {

// FNV-1a over the weights' names and bytes: the same weights give the same id on every machine.
std::string weights_hash(const NamedTensors& weights) {
  uint64_t h = 1469598103934665603ULL;
  const auto mix = [&](const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ULL;
  };
  for (const auto& [key, t] : weights) {
    const Tensor c = t.detach().cpu().to(DType::f32);
    mix(key.data(), key.size());
    mix(c.raw_data(), size_t(c.numel()) * sizeof(float));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
  return std::string(hex, 8);
}

std::string normalization_text(const std::string& preset) {
  if (preset == "imagenet") return "RGB in [0, 1], minus mean [0.485, 0.456, 0.406], divided by std [0.229, 0.224, 0.225]";
  if (preset == "caffe") return "BGR in [0, 255], minus mean [103.939, 116.779, 123.68]";
  if (preset == "tf") return "RGB scaled to [-1, 1]";
  return "RGB in [0, 1]";
}

}  // namespace

Tensor model_input(const Run& run, const Tensor& image, uint64_t seed) {
  Generator g(seed);
  return prepare_image(image, run.pre, run.eval_aug.any() ? &run.eval_aug : nullptr, g);
}

Json model_metadata(const Run& run, const std::string& source_run, const std::string& checkpoint) {
  const NamedTensors weights = run.net->state_dict();
  const Preprocess& pre = run.pre;
  Json classes = Json::array();
  for (const auto& c : run.classes) classes.push(c);
  Json input = Json::object();
  input.set("size", pre.size);
  input.set("resize", pre.pad ? "pad to a square with zeros, resize to size x size"
                              : "shorter side to size (antialiased bilinear), centre crop size x size");
  input.set("pad", pre.pad);
  input.set("preset", pre.preset);
  input.set("normalization", normalization_text(pre.preset));
  input.set("grayscale", pre.grayscale);
  input.set("eval_aug", run.eval_aug.str());
  Json source = Json::object();
  const std::string where = source_run.empty() ? "" : fs::absolute(source_run).string();
  if (checkpoint.empty()) {
    source.set("weights", where);  // a registry net on converted weights ("" for fresh ones)
  } else {
    source.set("run", where);
    source.set("checkpoint", checkpoint);
  }
  Json m = Json::object();
  m.set("format", "easel-model");
  m.set("version", run.folded_batch_norms.empty() ? int64_t(1) : int64_t(2));
  m.set("id", run.train.model + "-" + weights_hash(weights));
  m.set("model", run.train.model);
  m.set("classes", classes);
  m.set("num_classes", int64_t(run.classes.size()));
  m.set("input", input);
  m.set("temperature", run.temperature);
  m.set("batch_norm_folded", !run.folded_batch_norms.empty());
  if (!run.folded_batch_norms.empty()) {
    Json paths = Json::array();
    for (const auto& path : run.folded_batch_norms) paths.push(path);
    m.set("folded_batch_norms", paths);
  }
  m.set("train", train_config_to_json(run.train));
  m.set("source", source);
  return m;
}

Json save_model_file(const std::string& path, const Run& run, const std::string& source_run,
                     const std::string& checkpoint) {
  const Json m = model_metadata(run, source_run, checkpoint);
  save_npz(path, run.net->state_dict(), false, {{kModelMetadataKey, m.dump() + "\n"}});
  return m;
}

std::string fold_batch_norms_checked(Run& run) {
  EASEL_CHECK(run.folded_batch_norms.empty(), "export --fold-bn: the model's batch norms are folded already");
  const int64_t S = run.pre.size;
  Generator g(12345);
  std::vector<double> v(size_t(2 * 3 * S * S));
  for (double& e : v) e = g.uniform(-2, 2);
  const Tensor x = Tensor::from(v, {2, 3, S, S}, run.net->parameters()[0].dtype()).to(run.net->parameters()[0].device());
  NoGradGuard no_grad;
  const Tensor before = (*run.net)(x);
  run.folded_batch_norms = fold_batch_norms(*run.net);
  const int64_t n = int64_t(run.folded_batch_norms.size());
  const Tensor after = (*run.net)(x);
  const double largest = max(abs(before)).item(), moved = max(abs(after - before)).item();
  EASEL_CHECK(moved <= 1e-4 * std::max(1.0, largest), "export --fold-bn: folding ", n, " batch norms moved ",
              run.train.model, "'s logits by ", moved, " (largest logit ", largest, "): a batch norm in this net does "
              "not follow the convolution before it in the module tree's order; export without --fold-bn");
  char text[200];
  std::snprintf(text, sizeof text, "%lld batch norms folded into their convolutions; the logits of two random "
                "images moved by %.2g at most (largest logit %.3g)", (long long)n, moved, largest);
  return text;
}

bool is_model_file(const std::string& path) {
  if (!fs::is_regular_file(path)) return false;
  for (const std::string& name : npz_names(path))
    if (name == kModelMetadataKey) return true;
  return false;
}

Json read_model_metadata(const std::string& path) {
  std::string text;
  EASEL_CHECK(load_npz_bytes(path, kModelMetadataKey, &text), path, ": not a model file (no '", kModelMetadataKey,
              "' array); `easel export --run RUN_DIR --out FILE` writes one");
  const std::string where = path + ": " + kModelMetadataKey;
  try {
    const Json m = Json::parse(text, where);
    EASEL_CHECK(m.get("format", std::string()) == "easel-model", "format is not 'easel-model'");
    const int64_t v = m["version"].integer();
    EASEL_CHECK(v >= 1 && v <= kModelFileVersion, "model file version ", v, " is not one this Easel reads (1..",
                kModelFileVersion, "); update Easel");
    for (const char* key : {"id", "model"}) EASEL_CHECK(!m[key].str().empty(), "'", key, "' is empty");
    EASEL_CHECK(!m["classes"].items().empty(), "'classes' is empty");
    m["train"].members();  // an object
    return m;
  } catch (const Error& e) {
    const std::string what = e.what();
    throw Error(what.rfind(where, 0) == 0 ? what : where + ": " + what);
  }
}

Run load_model_file(const std::string& path, const Device& device, Json* metadata) {
  const Json m = read_model_metadata(path);  // the keys used below are there
  const std::string where = path + ": " + kModelMetadataKey;
  Run r;
  r.train = train_config_from_json(m["train"], where + ": train");
  for (const Json& c : m["classes"].items()) {
    EASEL_CHECK(c.kind() == Json::Kind::string, where, ": 'classes' holds a non-string");
    r.classes.push_back(c.str());
  }
  EASEL_CHECK(int64_t(r.classes.size()) == int64_t(m.get("num_classes", double(r.classes.size()))), where,
              ": 'classes' lists ", r.classes.size(), " names but 'num_classes' says otherwise");
  EASEL_CHECK(m["model"].str() == r.train.model, where, ": 'model' is ", m["model"].str(), " but train.model is ",
              r.train.model);
  // What inference does with the input: a size or preset no run could have had is refused here.
  EASEL_CHECK(r.train.pre.size >= 8 && r.train.pre.size <= 4096, where, ": train.size ", r.train.pre.size,
              " is not 8 to 4096 pixels");
  try {
    normalize(Tensor::zeros({3, 1, 1}), r.train.pre.preset);
  } catch (const Error& e) {
    throw Error(where + ": train.preset: " + e.what());
  }
  r.net = [&] {
    init::SkipRandomInit skip;  // every weight is loaded next (strictly)
    return create_net(r.train.model, int64_t(r.classes.size()));
  }();
  if (m.get("batch_norm_folded", false)) {  // the file's convolutions carry these batch norms
    r.folded_batch_norms = fold_batch_norms(*r.net, false);
    std::vector<std::string> listed;
    for (const Json& p : m["folded_batch_norms"].items()) listed.push_back(p.str());
    EASEL_CHECK(listed == r.folded_batch_norms, where, ": the file folds ", listed.size(), " batch norms, this Easel's rule "
                "finds ", r.folded_batch_norms.size(), " others in a ", r.train.model, "; export it again from its run");
  }
  r.net->load_state_dict(load_model_weights(path));  // every key and shape checked; non-finite values refused
  r.net->eval();
  r.net->to(device);
  r.pre = r.train.pre;
  r.eval_aug = r.train.eval_aug;
  r.temperature = m.get("temperature", 1.0);
  EASEL_CHECK(r.temperature > 0 && std::isfinite(r.temperature), where, ": temperature ", r.temperature,
              " is not a positive number");
  r.model_id = m.get("id", std::string());
  if (metadata) *metadata = m;
  return r;
}

}  // namespace easel
