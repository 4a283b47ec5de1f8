// The backward engine: topological order, gradient routing and accumulation.
#include <unordered_map>
#include <unordered_set>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "autograd/profile.h"

namespace easel {

static thread_local bool g_grad_enabled = true;

bool grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : prev_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = prev_; }

static thread_local TapeTrace* g_tape_trace = nullptr;

TapeTrace::TapeTrace() : prev_(g_tape_trace) { g_tape_trace = this; }
TapeTrace::~TapeTrace() { g_tape_trace = prev_; }
TapeTrace* TapeTrace::active() { return g_tape_trace; }

Tensor record(Tensor out, const char* name, const std::vector<Tensor>& inputs, BackwardFn backward) {
  return record(std::move(out), name, inputs, kSavedUnknown, std::move(backward));
}

Tensor record(Tensor out, const char* name, const std::vector<Tensor>& inputs, Saved saved, BackwardFn backward) {
  OpProfile::lap(name);
  if (!g_grad_enabled) return out;
  bool any = false;
  for (const Tensor& t : inputs) any = any || (t.defined() && t.requires_grad());
  if (!any) return out;
  auto node = std::make_shared<Node>();
  node->name = name;
  for (const Tensor& t : inputs) {
    Edge e;
    if (t.defined() && t.requires_grad()) {
      if (t.grad_fn()) e.node = t.grad_fn();
      else e.leaf = t.impl_;
    }
    node->next.push_back(e);
    node->input_shapes.push_back(t.defined() ? t.shape() : Shape{});
    node->input_dtypes.push_back(t.defined() ? t.dtype() : DType::f32);
    node->input_devices.push_back(t.defined() ? t.device() : Device::cpu());
  }
  node->backward = std::move(backward);
  node->saved = saved;
  if (g_tape_trace) {
    node->output_shape = out.shape();
    node->scope = g_tape_trace->scope;
  }
  // The result is a new handle, so that recording never changes a tensor the caller already holds.
  auto impl = std::make_shared<TensorImpl>(*out.impl_);
  impl->requires_grad = true;
  impl->grad_fn = std::move(node);
  impl->grad.reset();
  return Tensor(std::move(impl));
}

// Nodes reachable from `root`, each after every node that consumes its output (iterative DFS,
// so that long chains such as an unrolled LSTM cannot overflow the stack).
static std::vector<Node*> topological_order(Node* root) {
  std::vector<Node*> order;
  std::unordered_set<Node*> seen{root};
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [n, i] = stack.back();
    if (i < n->next.size()) {
      Node* child = n->next[i++].node.get();
      if (child && seen.insert(child).second) stack.push_back({child, 0});
    } else {
      order.push_back(n);
      stack.pop_back();
    }
  }
  std::reverse(order.begin(), order.end());  // consumers first
  return order;
}

// A gradient nobody else holds: its handle is ours alone and it is the only view of its storage.
static bool sole_owner(const Tensor& g) {
  return g.impl_.use_count() == 1 && g.impl().storage.use_count() == 1 && g.is_contiguous() && g.offset() == 0;
}

// leaf.grad += g. The first gradient is adopted as it is when nothing else holds it (no copy: for
// a large net this is a step's worth of fresh pages); otherwise copied, since it may alias a saved
// tensor or another input's gradient.
static void accumulate_leaf(TensorImpl& leaf, Tensor g) {
  if (!leaf.grad) {
    leaf.grad = sole_owner(g) ? std::move(g.impl_) : g.clone().impl_;
    return;
  }
  Tensor acc(leaf.grad);
  acc.copy_(acc + g);
}

// While profiling: each node's backward is charged to its op; the rest of the walk (summing
// gradients that meet, accumulating into leaves) to "(gradient sums)".
namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct BackwardProfile {
  bool on = OpProfile::active();
  Clock::time_point start = Clock::now();
  double in_nodes = 0;
  BackwardProfile() { OpProfile::pause(true); }
  ~BackwardProfile() {
    if (on) OpProfile::add_backward("(gradient sums)", seconds_since(start) - in_nodes);
    OpProfile::pause(false);
  }
  std::vector<Tensor> run_node(Node& node, const Tensor& gy) {
    if (!on) return node.backward(gy);
    const auto t0 = Clock::now();
    std::vector<Tensor> gin = node.backward(gy);
    const double s = seconds_since(t0);
    in_nodes += s;
    OpProfile::add_backward(node.name, s);
    return gin;
  }
};
}  // namespace

void run_backward(const Tensor& root, const Tensor& grad_in, bool retain_graph) {
  EASEL_CHECK(root.requires_grad(), "backward() on a tensor that does not require grad (", root.describe(),
              "): no input of the computation had requires_grad set, or it ran under NoGradGuard");
  Tensor grad = grad_in;
  if (!grad.defined()) {
    EASEL_CHECK(root.numel() == 1, "backward() without a gradient needs a one-element output, got ",
                root.describe(), "; pass the upstream gradient explicitly");
    grad = Tensor::ones(root.shape(), root.dtype(), root.device());
  }
  EASEL_CHECK(grad.shape() == root.shape(), "backward(): gradient of shape ", shape_str(grad.shape()),
              " for an output of shape ", shape_str(root.shape()));
  EASEL_CHECK(grad.device() == root.device(), "backward(): gradient on ", grad.device().str(), " for an output on ",
              root.device().str());
  NoGradGuard no_grad;  // gradients are computed without recording (no double backward)
  BackwardProfile profile;
  if (!root.grad_fn()) {  // backward on a leaf: its gradient is the upstream gradient
    accumulate_leaf(root.impl(), grad);
    return;
  }
  std::unordered_map<Node*, Tensor> grads{{root.grad_fn().get(), grad}};
  for (Node* node : topological_order(root.grad_fn().get())) {
    auto it = grads.find(node);
    if (it == grads.end()) continue;
    const Tensor gy = std::move(it->second);
    grads.erase(it);
    EASEL_CHECK(node->backward, "backward through '", node->name,
                "' a second time: its saved tensors were freed; pass retain_graph=true to the first backward()");
    std::vector<Tensor> gin = profile.run_node(*node, gy);
    EASEL_CHECK(gin.size() == node->next.size(), "backward of '", node->name, "' returned ", gin.size(),
                " gradients for ", node->next.size(), " inputs");
    for (size_t i = 0; i < gin.size(); ++i) {
      const Edge& e = node->next[i];
      if (!e.active() || !gin[i].defined()) continue;
      EASEL_CHECK(gin[i].shape() == node->input_shapes[i], "backward of '", node->name, "' returned a gradient of shape ",
                  shape_str(gin[i].shape()), " for input ", i, " of shape ", shape_str(node->input_shapes[i]));
      Tensor g = gin[i].dtype() == node->input_dtypes[i] ? std::move(gin[i]) : gin[i].to(node->input_dtypes[i]);
      if (g.device() != node->input_devices[i]) g = g.to(node->input_devices[i]);  // a CPU scalar beside a device tensor
      gin[i] = Tensor();
      if (e.node) {
        auto [slot, fresh] = grads.try_emplace(e.node.get(), g);
        if (!fresh) slot->second = slot->second + g;
      } else {
        accumulate_leaf(*e.leaf, std::move(g));
      }
    }
    if (!retain_graph) node->backward = nullptr;  // frees the saved tensors
  }
}

// ---- the autograd methods of Tensor ----------------------------------------------------------

void Tensor::backward(const Tensor& grad, bool retain_graph) const { run_backward(*this, grad, retain_graph); }

Tensor& Tensor::requires_grad_(bool on) {
  EASEL_CHECK(is_leaf(), "requires_grad_() on a non-leaf tensor (produced by '", grad_fn()->name,
              "'); call detach() first");
  EASEL_CHECK(!on || is_floating(dtype()), "requires_grad_() needs a floating tensor, got ", describe());
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return impl().grad ? Tensor(impl().grad) : Tensor(); }
void Tensor::zero_grad() { impl().grad.reset(); }
void Tensor::set_grad(const Tensor& g) {
  EASEL_CHECK(!g.defined() || (g.shape() == shape() && g.dtype() == dtype() && g.device() == device()),
              "set_grad: a gradient ", g.defined() ? g.describe() : "", " for a parameter ", describe());
  impl().grad = g.impl_;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>(this->impl());
  impl->requires_grad = false;
  impl->grad_fn.reset();
  impl->grad.reset();
  return Tensor(std::move(impl));
}

}  // namespace easel
