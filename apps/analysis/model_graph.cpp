#include "apps/analysis/model_graph.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "autograd/node.h"
#include "autograd/ops.h"

namespace easel {

int ModelGraph::count(GraphNode::Kind kind) const {
  return int(std::count_if(nodes.begin(), nodes.end(), [kind](const GraphNode& n) { return n.kind == kind; }));
}

namespace {

using Kind = GraphNode::Kind;

// ---- tracing ------------------------------------------------------------------------------------

// Numbers the module calls as they begin and keeps the tape's scope on the innermost one under way,
// so that every Node recorded carries the call it ran in.
class CallRecorder : public ModuleObserver {
 public:
  CallRecorder(const Module& net, TapeTrace& tape) : tape_(tape) {
    for (auto& [path, m] : net.named_modules()) paths_.try_emplace(m, path);  // a shared module: its first path
  }

  void enter(const Module& m) override {
    GraphCall call;
    auto it = paths_.find(&m);
    call.path = it != paths_.end() ? it->second : "(" + m.type() + ", not in the net's tree)";
    call.type = m.type();
    call.depth = int(open_.size());
    call.parent = open_.empty() ? -1 : open_.back();
    open_.push_back(int(calls.size()));
    calls.push_back(call);
    tape_.scope = open_.back();
  }

  void exit(const Module&, const Tensor& output) override {
    calls[size_t(open_.back())].output = output.shape();
    open_.pop_back();
    tape_.scope = open_.empty() ? -1 : open_.back();
  }

  std::vector<GraphCall> calls;

 private:
  TapeTrace& tape_;
  std::map<const Module*, std::string> paths_;
  std::vector<int> open_;  // the calls under way, outermost first
};

// "input, 0.weight, computed": the inputs an op's backward keeps (named by the node that produced
// them), then its own output and the tensors it computed on the way.
std::string saves_text(Saved saved, const std::vector<std::string>& input_names) {
  if (saved & kSavedUnknown) return "not declared";
  std::string text;
  auto add = [&text](const std::string& part) { text += (text.empty() ? "" : ", ") + part; };
  for (size_t i = 0; i < input_names.size() && i < size_t(kSavedInputBits); ++i)
    if (saved & saved_input(int(i))) add(input_names[i]);
  if (saved & kSavedOutput) add("output");
  if (saved & kSavedComputed) add("computed");
  return text.empty() ? "nothing" : text;
}

// The tape as graph nodes: a leaf when first met, each op once every node it reads is in. A
// depth-first walk from the loss, iterative so that long chains cannot overflow the stack.
class TapeWalk {
 public:
  TapeWalk(ModelGraph& g, const std::map<const TensorImpl*, std::pair<Kind, std::string>>& leaves)
      : g_(g), leaves_(leaves) {}

  void run(Node* root) {
    std::unordered_set<const Node*> seen{root};
    std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->next.size()) {
        const Edge& e = node->next[next++];
        if (e.node && seen.insert(e.node.get()).second) stack.push_back({e.node.get(), 0});
        else if (e.leaf) add_leaf(e.leaf.get());
      } else {
        add_op(*node);
        stack.pop_back();
      }
    }
  }

 private:
  void add_leaf(const TensorImpl* t) {
    if (leaf_index_.count(t)) return;
    GraphNode n;
    auto it = leaves_.find(t);
    n.kind = it != leaves_.end() ? it->second.first : Kind::leaf;
    n.name = it != leaves_.end() ? it->second.second : "tensor";
    n.shape = t->shape;
    leaf_index_[t] = int(g_.nodes.size());
    g_.nodes.push_back(n);
  }

  void add_op(const Node& node) {
    const int me = int(g_.nodes.size());
    std::vector<std::string> input_names(node.next.size(), "a constant");
    for (size_t i = 0; i < node.next.size(); ++i) {
      const Edge& e = node.next[i];
      if (!e.active()) continue;
      const int from = e.node ? op_index_.at(e.node.get()) : leaf_index_.at(e.leaf.get());
      g_.edges.push_back({from, me});
      input_names[i] = g_.nodes[size_t(from)].name;
    }
    GraphNode n;
    n.kind = Kind::op;
    n.name = node.name;
    n.shape = node.output_shape;
    n.saves = saves_text(node.saved, input_names);
    n.call = node.scope;
    op_index_[&node] = me;
    g_.nodes.push_back(n);
  }

  ModelGraph& g_;
  const std::map<const TensorImpl*, std::pair<Kind, std::string>>& leaves_;
  std::unordered_map<const Node*, int> op_index_;
  std::unordered_map<const TensorImpl*, int> leaf_index_;
};

// The innermost call that both a and b are or run inside; -1 when none is (outside every module).
int common_call(const std::vector<GraphCall>& calls, int a, int b) {
  std::set<int> around_a;
  for (int c = a; c >= 0; c = calls[size_t(c)].parent) around_a.insert(c);
  for (int c = b; c >= 0; c = calls[size_t(c)].parent)
    if (around_a.count(c)) return c;
  return -1;
}

// Each parameter goes in the box of the innermost call that holds every node reading it.
void place_parameters(ModelGraph& g) {
  const int unread = -2;
  std::vector<int> box(g.nodes.size(), unread);
  for (const GraphEdge& e : g.edges) {
    if (g.nodes[size_t(e.from)].kind != Kind::parameter) continue;
    int& b = box[size_t(e.from)];
    const int reader = g.nodes[size_t(e.to)].call;
    b = b == unread ? reader : common_call(g.calls, b, reader);
  }
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].kind == Kind::parameter) g.nodes[i].call = box[i] == unread ? -1 : box[i];
}

// The call at depth + 1 that `call` is or runs inside; -1 when `call` is at `depth` or above.
int folding_call(const std::vector<GraphCall>& calls, int call, int depth) {
  int found = -1;
  for (int c = call; c >= 0; c = calls[size_t(c)].parent)
    if (calls[size_t(c)].depth > depth) found = c;
  return found;
}

// ---- text of a node -------------------------------------------------------------------------------

std::string call_title(const GraphCall& c) { return c.path.empty() ? c.type : c.path + ": " + c.type; }

const char* fill_colour(Kind kind) {
  switch (kind) {
    case Kind::op: return "#eeeeee";
    case Kind::parameter: return "#dae8fc";
    case Kind::input: return "#d5e8d4";
    case Kind::leaf: return "#f5f5f5";
    case Kind::module: return "#fff2cc";
  }
  return "#ffffff";
}

// ---- dot ----------------------------------------------------------------------------------------

std::string dot_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string dot_node(const ModelGraph& g, size_t i) {
  const GraphNode& n = g.nodes[i];
  std::string label;
  for (const std::string& line : graph_label(g, n)) {
    std::string escaped = dot_quoted(line);
    label += (label.empty() ? "" : "\\n") + escaped.substr(1, escaped.size() - 2);
  }
  const bool box = n.kind == Kind::op || n.kind == Kind::module;
  std::ostringstream os;
  os << "n" << i << " [label=\"" << label << "\", shape=" << (box ? "box" : "ellipse")
     << ", style=\"" << (n.kind == Kind::op ? "rounded,filled" : "filled") << "\", fillcolor=\"" << fill_colour(n.kind)
     << "\"];";
  return os.str();
}

// What each call's box holds: its nodes and the boxes of the calls inside it, and how many nodes
// in all (an empty box is not drawn). Slot calls.size() stands for outside every call.
struct Boxes {
  std::vector<std::vector<size_t>> nodes, calls;
  std::vector<size_t> content;
};

Boxes boxes_of(const ModelGraph& g) {
  const size_t outside = g.calls.size();
  Boxes b;
  b.nodes.resize(outside + 1);
  b.calls.resize(outside + 1);
  b.content.assign(outside + 1, 0);
  for (size_t i = 0; i < g.nodes.size(); ++i) b.nodes[g.nodes[i].call < 0 ? outside : size_t(g.nodes[i].call)].push_back(i);
  for (size_t c = 0; c < outside; ++c) b.calls[g.calls[c].parent < 0 ? outside : size_t(g.calls[c].parent)].push_back(c);
  // Calls are numbered as they begin, so each comes after the call it runs inside: sum backwards.
  for (size_t c = outside; c-- > 0;) {
    b.content[c] += b.nodes[c].size();
    b.content[g.calls[c].parent < 0 ? outside : size_t(g.calls[c].parent)] += b.content[c];
  }
  return b;
}

void write_box(std::ostringstream& os, const ModelGraph& g, const Boxes& b, size_t slot, const std::string& indent) {
  for (size_t i : b.nodes[slot]) os << indent << dot_node(g, i) << "\n";
  for (size_t c : b.calls[slot]) {
    if (b.content[c] == 0) continue;
    os << indent << "subgraph cluster_" << c << " {\n"
       << indent << "  label=" << dot_quoted(call_title(g.calls[c])) << "; style=rounded; color=\"#999999\";\n";
    write_box(os, g, b, c, indent + "  ");
    os << indent << "}\n";
  }
}

}  // namespace

// ---- the public functions -------------------------------------------------------------------------

ModelGraph trace_graph(Module& net, const Tensor& input) {
  std::map<const TensorImpl*, std::pair<Kind, std::string>> leaves;
  for (const auto& [name, t] : net.named_parameters()) leaves.try_emplace(t.impl_.get(), Kind::parameter, name);
  Tensor x = input.detach();
  x.requires_grad_(true);
  leaves[x.impl_.get()] = {Kind::input, "input"};
  ModelGraph g;
  Tensor loss;
  {
    TapeTrace tape;
    CallRecorder recorder(net, tape);
    const Tensor logits = net(x);
    EASEL_CHECK(logits.dim() == 2 && logits.size(1) > 0,
                "graph: the net's output must be [N, classes] logits for the cross-entropy loss, got ", logits.describe());
    std::vector<double> targets;
    for (int64_t i = 0; i < logits.size(0); ++i) targets.push_back(double(i % logits.size(1)));
    loss = cross_entropy(logits, Tensor::from(targets, {logits.size(0)}, DType::i64));
    g.calls = std::move(recorder.calls);
  }
  EASEL_CHECK(loss.grad_fn(), "graph: the loss recorded no graph (gradients are off: a NoGradGuard is alive)");
  TapeWalk(g, leaves).run(loss.grad_fn().get());
  place_parameters(g);
  return g;
}

ModelGraph collapse_graph(const ModelGraph& g, int depth) {
  EASEL_CHECK(depth >= 0, "graph: --depth must be 0 or more, got ", depth);
  ModelGraph out;
  out.calls = g.calls;
  std::vector<int> to(g.nodes.size(), -1);  // each node's node in `out`
  std::map<int, int> folded;                // folded call -> its node in `out`
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const GraphNode& n = g.nodes[i];
    if (n.kind == Kind::parameter) continue;  // below, once their readers have their places
    const int inner = n.kind == Kind::op ? n.call : n.kind == Kind::module ? n.stands_for : -1;
    const int call = folding_call(g.calls, inner, depth);
    if (call < 0) {
      to[i] = int(out.nodes.size());
      out.nodes.push_back(n);
      continue;
    }
    auto [it, fresh] = folded.try_emplace(call, int(out.nodes.size()));
    if (fresh) {
      GraphNode m;
      m.kind = Kind::module;
      m.name = g.calls[size_t(call)].path;
      m.shape = g.calls[size_t(call)].output;
      m.call = g.calls[size_t(call)].parent;
      m.stands_for = call;
      out.nodes.push_back(m);
    }
    out.nodes[size_t(it->second)].ops += n.kind == Kind::module ? n.ops : 1;
    to[i] = it->second;
  }
  // A parameter read only inside one folded call folds in with it; any other keeps its node.
  std::vector<std::set<int>> readers(g.nodes.size());
  for (const GraphEdge& e : g.edges) readers[size_t(e.from)].insert(to[size_t(e.to)]);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].kind != Kind::parameter) continue;
    const std::set<int>& r = readers[i];
    if (r.size() == 1 && out.nodes[size_t(*r.begin())].kind == Kind::module) {
      to[i] = *r.begin();
      continue;
    }
    to[i] = int(out.nodes.size());
    out.nodes.push_back(g.nodes[i]);
  }
  // Edges between the new nodes: none inside a folded call, one per pair where a folded call is an end.
  std::set<std::pair<int, int>> joined;
  for (const GraphEdge& e : g.edges) {
    const int a = to[size_t(e.from)], b = to[size_t(e.to)];
    if (a == b) continue;
    const bool folded_end = out.nodes[size_t(a)].kind == Kind::module || out.nodes[size_t(b)].kind == Kind::module;
    if (folded_end && !joined.insert({a, b}).second) continue;
    out.edges.push_back({a, b});
  }
  place_parameters(out);
  return out;
}

std::vector<std::string> graph_label(const ModelGraph& g, const GraphNode& n) {
  if (n.kind == Kind::op) return {n.name, shape_str(n.shape), "saves: " + n.saves};
  if (n.kind == Kind::module)
    return {call_title(g.calls[size_t(n.stands_for)]), shape_str(n.shape), std::to_string(n.ops) + (n.ops == 1 ? " op" : " ops")};
  return {n.name, shape_str(n.shape)};
}

std::string graph_dot(const ModelGraph& g, const std::string& title) {
  std::ostringstream os;
  os << "// " << title << "\n"
     << "// ops: boxes (name, output shape, what backward keeps: inputs by the node that produced them,\n"
     << "// its output, tensors computed in the forward pass); leaves: ellipses; module calls: clusters\n"
     << "digraph easel {\n"
     << "  graph [fontname=\"Helvetica\", fontsize=10, label=" << dot_quoted(title) << ", labelloc=t];\n"
     << "  node [fontname=\"Helvetica\", fontsize=10];\n"
     << "  edge [arrowsize=0.6];\n";
  const Boxes boxes = boxes_of(g);
  write_box(os, g, boxes, g.calls.size(), "  ");
  for (const GraphEdge& e : g.edges) os << "  n" << e.from << " -> n" << e.to << ";\n";
  os << "}\n";
  return os.str();
}

}  // namespace easel
