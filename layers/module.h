// Module: the base of every layer and net. A module owns named parameters (trainable tensors),
// named buffers (state such as batch-norm running statistics) and named child modules. Full names
// join the path with dots — "layer1.0.conv1.weight" — and are exactly PyTorch's state_dict keys,
// so weights converted from PyTorch load by name with no renaming.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor/named.h"
#include "tensor/tensor.h"

namespace easel {

struct LoadOptions {
  bool strict = true;  // every key present on both sides, every shape equal
  // Parameters under this module path (e.g. "fc") whose shapes differ from the file's keep their
  // fresh initialisation instead of failing: for loading ImageNet weights into a net with another
  // number of classes.
  std::string reset_prefix;
  // Keys of the model absent from the file keep their initialisation (a backbone-only file, e.g.
  // ImageNet weights for effnet_lstm's cnn.*); unexpected keys and shape mismatches still fail.
  bool allow_missing = false;
};

struct LoadReport {
  std::vector<std::string> missing, unexpected, mismatched, reset;  // each "key [shape]" / details
  bool clean() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string str() const;  // one line per problem
};

class Module {
 public:
  explicit Module(std::string type) : type_(std::move(type)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& x) = 0;
  // forward(), plus recording the output when a FeatureCapture asks for this module, and telling
  // a ModuleObserver when one watches.
  Tensor operator()(const Tensor& x);

  const std::string& type() const { return type_; }
  // How layer surgery (layers/surgery.h) counts this module: it owns a weight layer (Conv2d,
  // Linear, LSTM), it joins the weight layer before it (batch norm), or neither.
  enum class Role { none, weights, norm };
  virtual Role role() const { return Role::none; }
  virtual std::string describe() const { return type_; }  // one line, e.g. "Conv2d(3, 64, k=7, s=2, p=3)"

  // ---- mode ---------------------------------------------------------------------------------
  void train(bool on = true);  // recursive; affects dropout, batch norm, stochastic depth
  void eval() { train(false); }
  bool training() const { return training_; }

  // ---- the tree -----------------------------------------------------------------------------
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;
  std::vector<std::pair<std::string, Module*>> named_modules() const;  // "" is this module
  Module* find(const std::string& path) const;                          // nullptr if absent
  Module& at(const std::string& path) const;                            // throws, naming the path
  int64_t num_parameters() const;

  // ---- weights ------------------------------------------------------------------------------
  NamedTensors state_dict() const;  // parameters and buffers, PyTorch's order
  LoadReport load_state_dict(const NamedTensors& sd, const LoadOptions& opt = {});
  // Converts every floating parameter and buffer in place (f32 <-> f64); handles stay valid.
  void to(DType dtype);
  // Moves every parameter and buffer to `device` in place (gradients are dropped); handles stay valid.
  void to(Device device);
  // requires_grad on/off for every parameter whose name starts with prefix ("" = all).
  void set_trainable(const std::string& prefix, bool on);

  std::string tree() const;  // the module hierarchy, one line per module, with parameter counts

 protected:
  Tensor add_parameter(const std::string& name, Tensor t);  // marks it requires_grad
  Tensor add_buffer(const std::string& name, Tensor t);
  void drop_state();  // no parameters or buffers from now on (a batch norm folded away)
  template <class M>
  std::shared_ptr<M> add_module(const std::string& name, std::shared_ptr<M> m) {
    check_name(name);
    children_.emplace_back(name, m);
    return m;
  }
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

 private:
  void check_name(const std::string& name) const;
  void collect(const std::string& prefix, NamedTensors* params, NamedTensors* buffers) const;
  std::string type_;
  bool training_ = true;
  NamedTensors params_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

// Records the outputs of chosen modules during forward passes on this thread (for embeddings,
// feature maps and Grad-CAM). While it lives, `module(x)` stores its output under the module's
// path, and — when that output is part of a graph — also the gradient that a later backward()
// sends through it (grad(path)).
class FeatureCapture {
 public:
  FeatureCapture(const Module& root, const std::vector<std::string>& paths);
  ~FeatureCapture();
  FeatureCapture(const FeatureCapture&) = delete;
  FeatureCapture& operator=(const FeatureCapture&) = delete;
  Tensor get(const std::string& path) const;   // the latest output; throws if it never ran
  Tensor grad(const std::string& path) const;  // d(what backward started from)/d(output); throws if none
  Tensor record(const Module* m, const Tensor& out);  // returns `out`, tapped for its gradient if wanted
  bool wants(const Module* m) const { return wanted_.count(m) > 0; }
  static const FeatureCapture* active();  // the one alive on this thread, or null

 private:
  std::map<const Module*, std::string> wanted_;
  std::map<std::string, Tensor> got_;
  std::shared_ptr<std::map<std::string, Tensor>> grads_ = std::make_shared<std::map<std::string, Tensor>>();
  FeatureCapture* prev_;
};

// Watches the module calls on this thread (easel summary, easel graph): while one lives, `module(x)`
// calls enter(module) before forward() and exit(module, output) after it, nested calls inside. Only
// the newest observer alive is told. With none alive, a call costs one thread-local pointer test.
// An exception thrown by forward() skips exit(): an observer is for one pass, dropped after it.
class ModuleObserver {
 public:
  ModuleObserver();
  virtual ~ModuleObserver();
  ModuleObserver(const ModuleObserver&) = delete;
  ModuleObserver& operator=(const ModuleObserver&) = delete;
  virtual void enter(const Module& m) = 0;
  virtual void exit(const Module& m, const Tensor& output) = 0;
  static ModuleObserver* active();  // the one told on this thread, or null

 private:
  ModuleObserver* prev_;
};

// Runs its children in order; they are named "0", "1", ... as in torch.nn.Sequential.
class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  template <class M>
  std::shared_ptr<M> push(std::shared_ptr<M> m) {
    return add_module(std::to_string(children().size()), std::move(m));
  }
  Tensor forward(const Tensor& x) override { return forward_range(x, 0, size()); }
  Tensor forward_range(const Tensor& x, int64_t begin, int64_t end);  // children [begin, end)
  int64_t size() const { return int64_t(children().size()); }
  Module& operator[](int64_t i) const;
};

}  // namespace easel
