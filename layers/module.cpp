#include "layers/module.h"

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>

#include "autograd/node.h"
#include "autograd/ops.h"

namespace easel {

static thread_local FeatureCapture* g_capture = nullptr;
static thread_local ModuleObserver* g_observer = nullptr;

static Tensor record_op(Tensor out, const char* name, const std::vector<Tensor>& in, BackwardFn fn) {
  return record(std::move(out), name, in, kSavedNothing, std::move(fn));
}

Tensor Module::operator()(const Tensor& x) {
  ModuleObserver* observer = g_observer;
  if (observer) observer->enter(*this);
  Tensor y = forward(x);
  if (g_capture) y = g_capture->record(this, y);
  if (observer) observer->exit(*this, y);
  return y;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::check_name(const std::string& name) const {
  EASEL_CHECK(!name.empty() && name.find('.') == std::string::npos, type_, ": invalid member name '", name, "'");
  auto taken = [&](const auto& list) {
    for (const auto& [n, v] : list)
      if (n == name) return true;
    return false;
  };
  EASEL_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_), type_, ": name '", name, "' registered twice");
}

Tensor Module::add_parameter(const std::string& name, Tensor t) {
  check_name(name);
  if (t.defined() && !t.requires_grad()) t.requires_grad_();
  params_.emplace_back(name, t);
  return t;
}

void Module::drop_state() {
  params_.clear();
  buffers_.clear();
}

Tensor Module::add_buffer(const std::string& name, Tensor t) {
  check_name(name);
  buffers_.emplace_back(name, t);
  return t;
}

// PyTorch's order: a module's own parameters, then its buffers, then each child in turn.
void Module::collect(const std::string& prefix, NamedTensors* params, NamedTensors* buffers) const {
  if (params)
    for (const auto& [n, t] : params_)
      if (t.defined()) params->emplace_back(prefix + n, t);
  if (buffers)
    for (const auto& [n, t] : buffers_)
      if (t.defined()) buffers->emplace_back(prefix + n, t);
  for (const auto& [n, child] : children_) child->collect(prefix + n + ".", params, buffers);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", &out, nullptr);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", nullptr, &out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() const {
  std::vector<std::pair<std::string, Module*>> out{{"", const_cast<Module*>(this)}};
  for (const auto& [n, child] : children_)
    for (auto& [sub, m] : child->named_modules()) out.emplace_back(sub.empty() ? n : n + "." + sub, m);
  return out;
}

Module* Module::find(const std::string& path) const {
  if (path.empty()) return const_cast<Module*>(this);
  const size_t dot = path.find('.');
  const std::string head = path.substr(0, dot);
  for (const auto& [n, child] : children_)
    if (n == head) return dot == std::string::npos ? child.get() : child->find(path.substr(dot + 1));
  return nullptr;
}

Module& Module::at(const std::string& path) const {
  Module* m = find(path);
  if (!m) {
    std::ostringstream names;
    int shown = 0;
    for (auto& [n, mod] : named_modules())
      if (!n.empty() && n.find('.') == std::string::npos && shown++ < 20) names << " " << n;
    throw Error(type_ + ": no module named '" + path + "' (top-level modules:" + names.str() + ")");
  }
  return *m;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  // Per module: parameters then buffers, as torch.nn.Module.state_dict.
  std::function<void(const Module&, const std::string&)> walk = [&](const Module& m, const std::string& prefix) {
    for (const auto& [n, t] : m.params_)
      if (t.defined()) out.emplace_back(prefix + n, t);
    for (const auto& [n, t] : m.buffers_)
      if (t.defined()) out.emplace_back(prefix + n, t);
    for (const auto& [n, child] : m.children_) walk(*child, prefix + n + ".");
  };
  walk(*this, "");
  return out;
}

std::string LoadReport::str() const {
  std::ostringstream os;
  for (const auto& s : missing) os << "  missing in the file: " << s << "\n";
  for (const auto& s : unexpected) os << "  unexpected in the file: " << s << "\n";
  for (const auto& s : mismatched) os << "  shape mismatch: " << s << "\n";
  for (const auto& s : reset) os << "  kept freshly initialised (shape differs): " << s << "\n";
  return os.str();
}

LoadReport Module::load_state_dict(const NamedTensors& sd, const LoadOptions& opt) {
  LoadReport rep;
  std::map<std::string, const Tensor*> file;
  for (const auto& [k, t] : sd) file[k] = &t;
  std::set<std::string> used;
  std::vector<std::pair<Tensor, const Tensor*>> assign;
  for (auto& [key, mine] : state_dict()) {
    auto it = file.find(key);
    if (it == file.end()) {
      rep.missing.push_back(key + " " + shape_str(mine.shape()));
      continue;
    }
    used.insert(key);
    const Tensor& theirs = *it->second;
    if (theirs.shape() != mine.shape()) {
      const std::string what = key + ": file " + shape_str(theirs.shape()) + ", model " + shape_str(mine.shape());
      const bool resettable = !opt.reset_prefix.empty() &&
                              (key == opt.reset_prefix || key.rfind(opt.reset_prefix + ".", 0) == 0);
      (resettable ? rep.reset : rep.mismatched).push_back(what);
      continue;
    }
    assign.emplace_back(mine, &theirs);
  }
  for (const auto& [k, t] : sd)
    if (!used.count(k)) rep.unexpected.push_back(k + " " + shape_str(t.shape()));
  if (opt.strict && !(rep.unexpected.empty() && rep.mismatched.empty() && (opt.allow_missing || rep.missing.empty()))) {
    const size_t n = rep.missing.size() * !opt.allow_missing + rep.unexpected.size() + rep.mismatched.size();
    LoadReport shown = rep;
    if (opt.allow_missing) shown.missing.clear();
    throw Error("load_state_dict into " + type_ + ": " + std::to_string(n) + " problem" + (n == 1 ? "" : "s") +
                " (nothing was loaded)\n" + shown.str());
  }
  NoGradGuard no_grad;
  for (auto& [mine, theirs] : assign) mine.copy_(*theirs);  // converts dtype (e.g. f64 file -> f32 model)
  return rep;
}

void Module::to(DType dtype) {
  EASEL_CHECK(is_floating(dtype), "Module::to: parameters must be f32 or f64, not ", dtype_name(dtype));
  for (auto& list : {named_parameters(), named_buffers()})
    for (auto [name, t] : list) {
      if (!is_floating(t.dtype()) || t.dtype() == dtype) continue;
      const Tensor c = t.detach().to(dtype);
      TensorImpl& impl = *t.impl_;  // swap the data under every handle that shares this impl
      impl.storage = c.impl_->storage;
      impl.shape = c.shape();
      impl.strides = c.strides();
      impl.offset = c.offset();
      impl.dtype = dtype;
      impl.grad.reset();
    }
}

void Module::to(Device device) {
  for (auto& list : {named_parameters(), named_buffers()})
    for (auto [name, t] : list) {
      if (t.device() == device) continue;
      const Tensor c = t.detach().to(device);
      TensorImpl& impl = *t.impl_;  // swap the storage under every handle that shares this impl
      impl.storage = c.impl_->storage;
      impl.strides = c.strides();
      impl.offset = c.offset();
      impl.grad.reset();
    }
}

void Module::set_trainable(const std::string& prefix, bool on) {
  int64_t hit = 0;
  for (auto& [name, t] : named_parameters())
    if (prefix.empty() || name == prefix || name.rfind(prefix + ".", 0) == 0 ||
        (prefix.back() == '.' && name.rfind(prefix, 0) == 0)) {
      t.requires_grad_(on);
      ++hit;
    }
  EASEL_CHECK(hit > 0, "set_trainable: no parameter name starts with '", prefix, "'");
}

std::string Module::tree() const {
  std::ostringstream os;
  for (auto& [path, m] : named_modules()) {
    const int depth = path.empty() ? 0 : int(std::count(path.begin(), path.end(), '.')) + 1;
    os << std::string(size_t(2 * depth), ' ') << (path.empty() ? "" : path + ": ") << m->describe();
    if (m->children_.empty() && m->num_parameters() > 0) os << "  [" << m->num_parameters() << " params]";
    os << "\n";
  }
  return os.str();
}

// ---- FeatureCapture -------------------------------------------------------------------------

FeatureCapture::FeatureCapture(const Module& root, const std::vector<std::string>& paths) : prev_(g_capture) {
  for (const std::string& p : paths) wanted_[&root.at(p)] = p;
  g_capture = this;
}

FeatureCapture::~FeatureCapture() { g_capture = prev_; }
const FeatureCapture* FeatureCapture::active() { return g_capture; }

Tensor FeatureCapture::record(const Module* m, const Tensor& out_in) {
  const Tensor out = prev_ ? prev_->record(m, out_in) : out_in;
  auto it = wanted_.find(m);
  if (it == wanted_.end()) return out;
  got_[it->second] = out;
  if (!out.requires_grad() || !grad_enabled()) return out;
  // An identity op whose backward keeps the gradient passing through (the map outlives us safely).
  return record_op(out.detach(), "capture", {out}, [grads = grads_, path = it->second](const Tensor& gy) -> std::vector<Tensor> {
    auto [slot, fresh] = grads->try_emplace(path, gy);
    if (!fresh) slot->second = slot->second + gy;
    return {gy};
  });
}

Tensor FeatureCapture::grad(const std::string& path) const {
  auto it = grads_->find(path);
  EASEL_CHECK(it != grads_->end(), "FeatureCapture: no gradient reached module '", path,
              "' (did backward() run after its forward, with gradients enabled?)");
  return it->second;
}

Tensor FeatureCapture::get(const std::string& path) const {
  auto it = got_.find(path);
  EASEL_CHECK(it != got_.end(), "FeatureCapture: module '", path, "' has not run since the capture began");
  return it->second;
}

// ---- ModuleObserver ---------------------------------------------------------------------------

ModuleObserver::ModuleObserver() : prev_(g_observer) { g_observer = this; }
ModuleObserver::~ModuleObserver() { g_observer = prev_; }
ModuleObserver* ModuleObserver::active() { return g_observer; }

// ---- Sequential -----------------------------------------------------------------------------

Tensor Sequential::forward_range(const Tensor& x, int64_t begin, int64_t end) {
  EASEL_CHECK(begin >= 0 && begin <= end && end <= size(), "Sequential: range [", begin, ", ", end, ") of ", size(),
              " modules");
  Tensor h = x;
  for (int64_t i = begin; i < end; ++i) h = (*children()[size_t(i)].second)(h);
  return h;
}

Module& Sequential::operator[](int64_t i) const {
  EASEL_CHECK(i >= 0 && i < size(), "Sequential: index ", i, " out of range (", size(), " modules)");
  return *children()[size_t(i)].second;
}

}  // namespace easel
