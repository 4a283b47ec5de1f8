// easel summary and easel graph: what a registry net is made of, for learners.
//   easel summary --model NAME [--size 224] [--classes 1000] [--depth 3]
//     the layer table: output shape, parameters and multiply-adds of each module call; the totals
//     are those of `easel models` (the same pass: eval mode, no gradients, one image of zeros).
//   easel graph --model NAME [--size 32] [--classes 1000] [--depth K] --out G.dot|G.svg|G.png
//     the autograd graph of one training step: forward in training mode on a batch of 2, then the
//     cross-entropy loss; --depth K folds every module call nested deeper than K into one node.
//     .dot: Graphviz text; .svg and .png: the picture apps/pictures/graph_chart draws.
#include <cstdio>

#include "apps/analysis/model_graph.h"
#include "apps/analysis/model_summary.h"
#include "apps/cli/args.h"
#include "apps/cli/commands.h"
#include "apps/pictures/graph_chart.h"
#include "io/file.h"
#include "nets/net.h"

namespace easel {

namespace {

// --size: the side of the square input images, in pixels.
int64_t image_size(const Args& args, const std::string& command, int64_t fallback) {
  const int64_t size = args.get_int("size", fallback);
  EASEL_CHECK(size >= 1 && size <= 4096, command, ": --size must be between 1 and 4096 pixels, got ", size);
  return size;
}

// --depth: how deep module calls are nested before they are hidden (summary) or folded (graph).
int depth_flag(const Args& args, const std::string& command, int64_t fallback) {
  const int64_t depth = args.get_int("depth", fallback);
  EASEL_CHECK(depth >= 0 && depth <= 1000, command, ": --depth must be between 0 and 1000, got ", depth);
  return int(depth);
}

// A net too large for the input (a kernel wider than the feature map, ...) fails in an op, whose
// message names shapes only: this adds which net and which input.
[[noreturn]] void rethrow_with_input(const std::string& command, const std::string& model, const Shape& input,
                                     const Error& e) {
  throw Error(command + ": " + model + " does not run on an input of shape " + shape_str(input) + ": " + e.what());
}

}  // namespace

int cmd_summary(int argc, char** argv) {
  const Args args(argc, argv, 2, {"model", "size", "classes", "depth"}, {});
  const std::string model = args.require("model");
  const int64_t size = image_size(args, "summary", 224);
  const int depth = depth_flag(args, "summary", 3);
  const auto net = create_net(model, args.get_int("classes", 1000));
  const Shape input{1, 3, size, size};
  ModelSummary s;
  try {
    s = summarise(*net, input);
  } catch (const Error& e) {
    rethrow_with_input("summary", model, input, e);
  }
  std::fputs(format_summary(s, depth).c_str(), stdout);
  return 0;
}

int cmd_graph(int argc, char** argv) {
  const Args args(argc, argv, 2, {"model", "size", "classes", "depth", "out"}, {});
  const std::string model = args.require("model"), out = args.require("out");
  const std::string ext = out.size() >= 4 ? out.substr(out.size() - 4) : "";
  EASEL_CHECK(ext == ".dot" || ext == ".svg" || ext == ".png", "graph: --out must end in .dot, .svg or .png, got '", out, "'");
  const int64_t size = image_size(args, "graph", 32);
  const bool folds = args.has("depth");
  const int depth = depth_flag(args, "graph", 0);
  const auto net = create_net(model, args.get_int("classes", 1000));
  net->train();  // the graph of a training step: batch norm on batch statistics, dropout on
  const Shape input{2, 3, size, size};
  ModelGraph g;
  try {
    g = trace_graph(*net, Tensor::zeros(input));
  } catch (const Error& e) {
    rethrow_with_input("graph", model, input, e);
  }
  const int ops = g.count(GraphNode::Kind::op), params = g.count(GraphNode::Kind::parameter);
  if (folds) g = collapse_graph(g, depth);
  std::string title = model + ": forward in training mode on " + shape_str(input) + ", cross-entropy loss; " +
                      std::to_string(ops) + " ops";
  if (folds) title += ", module calls deeper than " + std::to_string(depth) + " folded";
  if (ext == ".dot") write_file_atomically(out, graph_dot(g, title));
  else graph_chart(g, title).save(out);  // .svg: the figure's SVG; .png: the same figure rasterised
  std::printf("graph: %s: %d ops, %d parameter tensors, %d module calls -> %s (%zu nodes drawn)\n", model.c_str(), ops,
              params, int(g.calls.size()), out.c_str(), g.nodes.size());
  return 0;
}

}  // namespace easel
