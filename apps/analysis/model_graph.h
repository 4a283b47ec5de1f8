// easel graph: the autograd graph of one training step, as the tape recorded it. One forward pass
// and a cross-entropy loss run with a TapeTrace (autograd/node.h) and a ModuleObserver
// (layers/module.h) alive; the walk from the loss's Node gives one node per op — its name on the
// tape, its output shape, what its backward keeps — and the parameters and the input as leaves,
// each op tagged with the module call it ran in. The graph and its text (node labels, the Graphviz
// dot file) are made here; apps/pictures/graph_chart lays it out and draws it (SVG or PNG).
#pragma once
#include <string>
#include <vector>

#include "layers/module.h"

namespace easel {

struct GraphCall {   // one module call during the traced pass
  std::string path;  // "layer1.0"; "" for the net itself
  std::string type;  // "BasicBlock"
  int depth = 0;     // how deep the call is nested: 0 for the net's own call
  int parent = -1;   // the call it ran inside; -1 for the net's own
  Shape output;      // what the call returned
};

struct GraphNode {
  enum class Kind { op, parameter, input, leaf, module };
  Kind kind = Kind::op;
  // op: its name on the tape ("linear", "conv2d 3x3"); parameter: its state_dict name ("0.weight");
  // input: "input"; leaf: "tensor" (another tensor that requires grad); module: its path.
  std::string name;
  Shape shape;         // op: its output; parameter, input, leaf: the tensor; module: the call's output
  std::string saves;   // op: what its backward keeps alive, "input, 0.weight, computed"; else ""
  int call = -1;       // the module call (index into calls) whose box holds the node; -1: none
  int stands_for = -1;  // module: the collapsed call
  int ops = 0;          // module: how many ops it stands for
};

struct GraphEdge {
  int from = 0, to = 0;  // node indices: the value of `from` is an input of `to`
};

struct ModelGraph {
  std::vector<GraphCall> calls;
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;  // an op reading one tensor twice has two
  int count(GraphNode::Kind kind) const;
};

// One forward pass of `net` on a copy of `input` made a leaf that requires grad (so the graph
// reaches it), with gradients on, then the cross-entropy of the [N, C] output against targets
// i mod C: the tape of a training step, walked from the loss. The net runs in the mode it is in.
// Parameters sit in the box of the innermost module call that holds every op reading them.
ModelGraph trace_graph(Module& net, const Tensor& input);

// Every module call nested deeper than `depth` (the net's own call is depth 0) folded into one
// node per call at depth + 1, counting its ops; parameters read only inside it fold in with it.
ModelGraph collapse_graph(const ModelGraph& g, int depth);

// The lines that name a node: op: its name, output shape, "saves: ..."; module: "path: Type", the
// call's output shape, "N ops"; parameter, input, leaf: its name and shape.
std::vector<std::string> graph_label(const ModelGraph& g, const GraphNode& n);

// Graphviz's dot language: a box per op (name, output shape, "saves: ..."), an ellipse per leaf, a
// cluster per module call that holds nodes.
std::string graph_dot(const ModelGraph& g, const std::string& title);

}  // namespace easel
