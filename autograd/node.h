// The autograd tape, in one page.
//
// Every differentiable op that sees an input with requires_grad records a Node: its name, one
// Edge per input (where that input's gradient must go) and a backward function. Following the
// edges from a result back to the leaves gives the graph; Tensor::backward() walks it in reverse
// topological order, calling each Node's backward once with the summed gradient of its output.
//
//   y = f(a, b)      records  Node{"f", edges: [a.grad_fn or a itself, b...], backward}
//   backward(gy)     returns  [ga, gb]  (ga = dL/da = gy · ∂f/∂a, ...)
//
// Leaves (tensors made by the user with requires_grad) collect gradients in .grad, adding to what
// is already there. A backward function captures exactly the tensors it needs ("saved tensors");
// they are released after the Node has run unless retain_graph was asked for.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace easel {

struct Node;

// Where one input's gradient goes: into another Node (a non-leaf input) or into a leaf's .grad.
struct Edge {
  std::shared_ptr<Node> node;
  std::shared_ptr<TensorImpl> leaf;
  bool active() const { return node || leaf; }
};

// gy -> one gradient per input, in input order; an undefined Tensor where not needed.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& gy)>;

// What an op's backward closure keeps alive until it runs (its "saved tensors"), as the op declares
// it to record(): bit i for input i, plus its own output and tensors it computed on the way
// (indices, statistics, log-probabilities). Graph dumps (easel graph) show it.
using Saved = uint32_t;
constexpr int kSavedInputBits = 29;                // inputs 0..28 can be named
constexpr Saved kSavedNothing = 0;
constexpr Saved kSavedOutput = Saved(1) << 29;
constexpr Saved kSavedComputed = Saved(1) << 30;
constexpr Saved kSavedUnknown = Saved(1) << 31;    // the op did not say
constexpr Saved saved_input(int i) { return i >= 0 && i < kSavedInputBits ? Saved(1) << i : kSavedUnknown; }

struct Node {
  std::string name;                 // the op, for error messages and graph dumps
  std::vector<Edge> next;           // one per input
  std::vector<Shape> input_shapes;  // to check each gradient's shape
  std::vector<DType> input_dtypes;
  std::vector<Device> input_devices;  // gradients are moved back to their input's device
  BackwardFn backward;              // null once released
  Saved saved = kSavedUnknown;      // what `backward` keeps alive (above)
  // Kept only while a TapeTrace lives (graph dumps): the output's shape, and the trace's scope at
  // record() time (the module call it ran in, as a number the trace's owner gave it; -1 for none).
  Shape output_shape;
  int scope = -1;
  bool needs_grad(size_t i) const { return next[i].active(); }
};

// Records `out` as the result of op `name` on `inputs` when grad mode is on and any input
// requires grad; otherwise returns `out` untouched. `backward` may capture saved tensors; `saved`
// says which (every op of autograd/ declares it; the first form leaves it unknown).
Tensor record(Tensor out, const char* name, const std::vector<Tensor>& inputs, BackwardFn backward);
Tensor record(Tensor out, const char* name, const std::vector<Tensor>& inputs, Saved saved, BackwardFn backward);
// Same, for ops with several outputs that each get their own node (e.g. split) — not needed yet.

// Grad mode: while a NoGradGuard lives (per thread), ops record nothing.
bool grad_enabled();
struct NoGradGuard {
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

// While a TapeTrace lives on this thread (easel graph), record() also keeps each Node's output
// shape and tags the Node with `scope`, which the trace's owner sets as modules are entered and
// left. Without one, record() keeps neither (one pointer test).
class TapeTrace {
 public:
  TapeTrace();
  ~TapeTrace();
  TapeTrace(const TapeTrace&) = delete;
  TapeTrace& operator=(const TapeTrace&) = delete;
  int scope = -1;
  static TapeTrace* active();  // the newest one alive on this thread, or null

 private:
  TapeTrace* prev_;
};

// Runs reverse-mode differentiation from `root` with upstream gradient `grad`.
void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph);

}  // namespace easel
