#include "io/checkpoint.h"

#include "io/npz.h"

#include <cmath>

namespace easel {

namespace {

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

void add_section(NamedTensors& out, const std::string& prefix, const NamedTensors& section) {
  for (const auto& [k, v] : section) out.emplace_back(prefix + k, v);
}

}  // namespace

double Checkpoint::meta_value(const std::string& key, const std::string& path) const {
  const auto it = meta.find(key);
  EASEL_CHECK(it != meta.end(), path, ": checkpoint has no meta.", key);
  return it->second;
}

void save_checkpoint(const std::string& path, const Checkpoint& ck) {
  NamedTensors all;
  all.emplace_back("format.version", Tensor::scalar(double(kCheckpointVersion), DType::i64));
  add_section(all, "model.", ck.model);
  add_section(all, "optimizer.", ck.optimizer);
  add_section(all, "scheduler.", ck.scheduler);
  Tensor state = Tensor::empty({4}, DType::i64);
  for (int i = 0; i < 4; ++i) state.data<int64_t>()[i] = int64_t(ck.rng.s[size_t(i)]);
  all.emplace_back("rng.state", state);
  all.emplace_back("rng.spare", Tensor::from({ck.rng.spare, double(ck.rng.has_spare)}, {2}, DType::f64));
  for (const auto& [k, v] : ck.meta) all.emplace_back("meta." + k, Tensor::scalar(v, DType::f64));
  save_npz(path, all);
}

namespace {

Checkpoint checkpoint_from(const NamedTensors& all, const std::string& path) {
  Checkpoint ck;
  ck.version = 1;
  Tensor rng_state, rng_spare;
  for (const auto& [k, v] : all) {
    if (k == "format.version") ck.version = int64_t(v.item());
    else if (starts_with(k, "model.")) ck.model.emplace_back(k.substr(6), v);
    else if (starts_with(k, "optimizer.")) ck.optimizer.emplace_back(k.substr(10), v);
    else if (starts_with(k, "scheduler.")) ck.scheduler.emplace_back(k.substr(10), v);
    else if (k == "rng.state" || k == "meta.rng") rng_state = v;
    else if (k == "rng.spare" || k == "meta.rng_spare") rng_spare = v;
    else if (starts_with(k, "meta.")) ck.meta[k.substr(5)] = v.item();
  }
  EASEL_CHECK(ck.version <= kCheckpointVersion, path, ": checkpoint format version ", ck.version,
              " is newer than this Easel reads (", kCheckpointVersion, "); update Easel");
  EASEL_CHECK(!ck.model.empty(), path, ": not a checkpoint (no model.* arrays; a plain weights file goes to --weights)");
  if (rng_state.defined()) {
    EASEL_CHECK(rng_state.numel() == 4 && rng_spare.defined() && rng_spare.numel() == 2, path,
                ": the checkpoint's RNG state is malformed");
    for (int i = 0; i < 4; ++i) ck.rng.s[size_t(i)] = uint64_t(rng_state.data<int64_t>()[i]);
    ck.rng.spare = rng_spare.at({0}), ck.rng.has_spare = rng_spare.at({1}) != 0;
  }
  return ck;
}

}  // namespace

Checkpoint load_checkpoint(const std::string& path) { return checkpoint_from(load_npz(path), path); }
Checkpoint parse_checkpoint(const std::string& bytes, const std::string& where) {
  return checkpoint_from(parse_npz(bytes, where), where);
}

void check_finite(const NamedTensors& arrays, const std::string& path) {
  for (const auto& [k, v] : arrays) {
    if (v.dtype() == DType::i64) continue;
    const Tensor t = v.dtype() == DType::f64 ? v.contiguous() : v.to(DType::f32).contiguous();
    int64_t bad = 0;
    const int64_t n = t.numel();
    if (t.dtype() == DType::f64) {
      const double* p = t.data<double>();
      for (int64_t i = 0; i < n; ++i) bad += !std::isfinite(p[i]);
    } else {
      const float* p = t.data<float>();
      for (int64_t i = 0; i < n; ++i) bad += !std::isfinite(p[i]);
    }
    EASEL_CHECK(bad == 0, path, ": '", k, "' ", v.describe(), " holds ", bad, " non-finite value", bad == 1 ? "" : "s",
                " (NaN or Inf); such weights give meaningless predictions, so they are not loaded");
  }
}

NamedTensors load_model_weights(const std::string& path) {
  bool is_checkpoint = false;
  for (const std::string& k : npz_names(path)) is_checkpoint = is_checkpoint || starts_with(k, "model.") || k == "format.version";
  // A checkpoint's optimizer state (twice the model, for Adam) is not decoded: only what the model needs.
  NamedTensors model = is_checkpoint ? checkpoint_from(load_npz(path, [](const std::string& k) {
    return starts_with(k, "model.") || k == "format.version";
  }), path).model : load_npz(path, [](const std::string& k) { return k != kModelMetadataKey; });
  check_finite(model, path);
  return model;
}

}  // namespace easel
