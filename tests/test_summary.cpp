// easel summary and easel graph: the layer table's totals against `easel models`' pass, the autograd
// graph of a 2-layer MLP node for node and edge for edge as its dot file says, folding by module,
// the picture graph_chart draws of it, and what each op declares its backward keeps.
#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "apps/analysis/model_graph.h"
#include "apps/analysis/model_summary.h"
#include "apps/pictures/graph_chart.h"
#include "autograd/flops.h"
#include "helpers.h"
#include "layers/basic.h"
#include "nets/net.h"

using namespace easel;

namespace {

using Names = std::multiset<std::string>;

// What `easel models` computes for a net (apps/cli/cmd_models.cpp): the MACs of one forward pass of
// zeros in eval mode, gradients off.
int64_t models_macs(Module& net, int64_t size) {
  net.eval();
  MacCounter counter;
  {
    NoGradGuard ng;
    net(Tensor::zeros({1, 3, size, size}));
  }
  return counter.macs;
}

// Linear(4, 3), ReLU, Linear(3, 2): modules "0", "1", "2".
std::shared_ptr<Sequential> mlp() {
  auto net = std::make_shared<Sequential>();
  net->push(std::make_shared<Linear>(4, 3));
  net->push(make_relu());
  net->push(std::make_shared<Linear>(3, 2));
  return net;
}

// A module that calls its one child twice.
class Twice : public Module {
 public:
  Twice() : Module("Twice") { f = add_module("f", std::make_shared<Linear>(3, 3)); }
  Tensor forward(const Tensor& x) override { return (*f)((*f)(x)); }
  std::shared_ptr<Linear> f;
};

const SummaryRow* row_of(const ModelSummary& s, const std::string& path) {
  for (const SummaryRow& r : s.rows)
    if (r.path == path) return &r;
  return nullptr;
}

// A dot file read back: each node by the first line of its label, each edge as "from -> to" by
// those names, and the whole labels.
struct Dot {
  Names nodes, edges, labels;
};

Dot read_dot(const std::string& text) {
  Dot d;
  std::map<std::string, std::string> name;
  const std::regex node_re(R"re((n\d+) \[label="([^"]*)")re"), edge_re(R"re((n\d+) -> (n\d+);)re");
  for (std::sregex_iterator it(text.begin(), text.end(), node_re), end; it != end; ++it) {
    const std::string id = (*it)[1], label = (*it)[2];
    name[id] = label.substr(0, label.find("\\n"));
    d.nodes.insert(name[id]);
    d.labels.insert(label);
  }
  for (std::sregex_iterator it(text.begin(), text.end(), edge_re), end; it != end; ++it)
    d.edges.insert(name.at((*it)[1]) + " -> " + name.at((*it)[2]));
  return d;
}

const GraphNode* node_named(const ModelGraph& g, const std::string& name) {
  for (const GraphNode& n : g.nodes)
    if (n.name == name) return &n;
  return nullptr;
}

std::string box_of(const ModelGraph& g, const GraphNode& n) { return n.call < 0 ? "(none)" : g.calls[size_t(n.call)].path; }

}  // namespace

TEST_CASE("summary: resnet18's totals are easel models' numbers, and its rows add up to them") {
  const auto net = create_net("resnet18");
  const ModelSummary s = summarise(*net, {1, 3, 224, 224});
  CHECK(s.params == net->num_parameters());
  CHECK(s.params == 11689512);
  CHECK(s.trainable == s.params);
  CHECK(s.macs == models_macs(*net, 224));
  int64_t leaf_macs = 0;
  for (const SummaryRow& r : s.rows)
    if (r.leaf) leaf_macs += r.macs;
  CHECK(leaf_macs == s.macs);
  REQUIRE(!s.rows.empty());
  CHECK(s.rows[0].path == "");
  CHECK(s.rows[0].depth == 0);
  CHECK(s.rows[0].output == Shape{1, 1000});
  CHECK(s.rows[0].params == s.params);
  CHECK(s.rows[0].macs == s.macs);
  const SummaryRow* conv1 = row_of(s, "conv1");
  REQUIRE(conv1);
  CHECK(conv1->depth == 1);
  CHECK(conv1->leaf);
  CHECK(conv1->output == Shape{1, 64, 112, 112});
  CHECK(conv1->params == 9408);
  CHECK(conv1->macs == 64 * 112 * 112 * 3 * 7 * 7);
  // A residual block's batch norm runs fused with its ReLU (forward_relu): still a row of its own.
  const SummaryRow* bn = row_of(s, "layer1.0.bn1");
  REQUIRE(bn);
  CHECK(bn->depth == 3);
  CHECK(bn->params == 128);
  CHECK(bn->output == Shape{1, 64, 56, 56});
  const std::string text = format_summary(s, 2);
  CHECK(text.find("\nparameters: 11,689,512 (trainable 11,689,512, frozen 0)\n") != std::string::npos);
  CHECK(text.find("\n  conv1: Conv2d(3, 64, k=7x7, s=2, p=3, no bias)  ") != std::string::npos);
  CHECK(text.find("\n    0: BasicBlock  ") != std::string::npos);    // layer1.0 under layer1
  CHECK(text.find("Conv2d(64, 64, k=3x3") == std::string::npos);      // depth 3: not shown
  CHECK(text.find("[1, 3, 224, 224]") != std::string::npos);
}

TEST_CASE("summary: frozen parameters, a module called twice, leaves") {
  const auto net = mlp();
  net->set_trainable("0", false);
  const ModelSummary s = summarise(*net, {2, 4});
  CHECK(s.params == 12 + 3 + 6 + 2);
  CHECK(s.trainable == 6 + 2);
  CHECK(s.macs == 2 * 4 * 3 + 2 * 3 * 2);
  REQUIRE(s.rows.size() == 4);
  CHECK(s.rows[1].path == "0");
  CHECK(s.rows[2].path == "1");
  CHECK(s.rows[2].layer == "ReLU");
  CHECK(s.rows[2].output == Shape{2, 3});
  CHECK(s.rows[2].macs == 0);
  CHECK(s.rows[3].macs == 2 * 3 * 2);
  CHECK(!s.rows[0].leaf);
  CHECK(s.rows[3].leaf);
  CHECK(format_summary(s, 3).find("parameters: 23 (trainable 8, frozen 15)") != std::string::npos);

  Twice twice;
  const ModelSummary t = summarise(twice, {1, 3});
  REQUIRE(t.rows.size() == 3);  // the module itself, then one row per call of f
  CHECK(t.rows[1].path == "f");
  CHECK(t.rows[2].path == "f");
  CHECK(t.rows[1].macs == 9);
  CHECK(t.rows[2].macs == 9);
  CHECK(t.macs == 18);
  CHECK(ModuleObserver::active() == nullptr);
}

TEST_CASE("graph: a 2-layer MLP's dot file holds its ops, parameters and input, and exactly its edges") {
  const auto net = mlp();
  const ModelGraph g = trace_graph(*net, Tensor::zeros({2, 4}));
  const std::string dot = graph_dot(g, "mlp");
  const Dot d = read_dot(dot);
  CHECK(d.nodes == Names{"input", "0.weight", "0.bias", "linear", "relu", "2.weight", "2.bias", "linear", "cross_entropy"});
  CHECK(d.edges == Names{"input -> linear", "0.weight -> linear", "0.bias -> linear", "linear -> relu",
                         "relu -> linear", "2.weight -> linear", "2.bias -> linear", "linear -> cross_entropy"});
  // Output shapes, and what each backward keeps: linear its input and weight (and a column of ones
  // for the bias), relu only its output, the loss its log-probabilities.
  CHECK(d.labels == Names{"input\\n[2, 4]", "0.weight\\n[3, 4]", "0.bias\\n[3]", "2.weight\\n[2, 3]", "2.bias\\n[2]",
                          "linear\\n[2, 3]\\nsaves: input, 0.weight, computed", "relu\\n[2, 3]\\nsaves: output",
                          "linear\\n[2, 2]\\nsaves: relu, 2.weight, computed", "cross_entropy\\n[]\\nsaves: computed"});
  // One cluster per module call, the ops and parameters inside the call that reads them.
  for (const char* cluster : {"label=\"Sequential\"", "label=\"0: Linear\"", "label=\"1: ReLU\"", "label=\"2: Linear\""})
    CHECK_MESSAGE(dot.find(cluster) != std::string::npos, cluster);
  CHECK(box_of(g, *node_named(g, "relu")) == "1");
  CHECK(box_of(g, *node_named(g, "2.weight")) == "2");
  CHECK(box_of(g, *node_named(g, "input")) == "(none)");
  CHECK(box_of(g, *node_named(g, "cross_entropy")) == "(none)");
  CHECK(TapeTrace::active() == nullptr);
  CHECK(ModuleObserver::active() == nullptr);

  // The picture (apps/pictures/graph_chart): every node's lines as texts, one arrowhead per edge.
  const Figure chart = graph_chart(g, "mlp");
  const std::vector<std::string> texts = chart.texts();
  const Names drawn(texts.begin(), texts.end());
  for (const char* t : {"mlp", "input", "0.weight", "linear", "relu", "cross_entropy", "saves: output", "[2, 3]"})
    CHECK_MESSAGE(drawn.count(t) >= 1, t);
  CHECK(drawn.count("linear") == 2);
  CHECK(drawn.count("in 2") == 1);  // the second linear ran in module "2"
  const auto polygons = std::count_if(chart.shapes().begin(), chart.shapes().end(),
                                      [](const Figure::Shape& s) { return s.kind == Figure::Shape::polygon; });
  CHECK(size_t(polygons) == g.edges.size() + 5);  // an arrowhead per edge, a filled outline per leaf
  const std::string svg = chart.svg();
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find(">0.weight</text>") != std::string::npos);
  CHECK(svg.substr(svg.size() - 7) == "</svg>\n");
  const Canvas png = chart.render();
  CHECK(png.width() == int64_t(std::ceil(chart.width)));
}

TEST_CASE("graph: --depth folds module calls into nodes named by path and type") {
  const auto net = mlp();
  const ModelGraph g = trace_graph(*net, Tensor::zeros({2, 4}));
  const Dot d = read_dot(graph_dot(collapse_graph(g, 0), "mlp"));
  CHECK(d.nodes == Names{"input", "0: Linear", "1: ReLU", "2: Linear", "cross_entropy"});
  CHECK(d.edges == Names{"input -> 0: Linear", "0: Linear -> 1: ReLU", "1: ReLU -> 2: Linear", "2: Linear -> cross_entropy"});
  CHECK(d.labels.count("0: Linear\\n[2, 3]\\n1 op") == 1);
  CHECK_THROWS_WITH_AS(collapse_graph(g, -1), doctest::Contains("--depth must be 0 or more, got -1"), Error);

  const auto resnet = create_net("resnet18", 10);
  resnet->train();
  const ModelGraph full = trace_graph(*resnet, Tensor::zeros({2, 3, 32, 32}));
  CHECK(full.count(GraphNode::Kind::parameter) == 62);
  CHECK(full.count(GraphNode::Kind::input) == 1);
  const ModelGraph top = collapse_graph(full, 1);  // the net, its children (layer1, ...); blocks folded
  CHECK(top.nodes.size() < full.nodes.size() / 4);
  Names modules, ops;
  for (const GraphNode& n : top.nodes) {
    if (n.kind == GraphNode::Kind::module) modules.insert(n.name);
    if (n.kind == GraphNode::Kind::op) ops.insert(n.name);
  }
  CHECK(modules == Names{"layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1", "layer4.0", "layer4.1"});
  CHECK(ops.count("conv2d 7x7") == 1);  // conv1 is at depth 1: kept
  CHECK(ops.count("conv2d 3x3") == 0);  // every 3x3 convolution is inside a block
  CHECK(top.count(GraphNode::Kind::parameter) == 5);  // conv1, bn1 and fc's; the blocks' fold in
  const Dot t = read_dot(graph_dot(top, "resnet18"));
  CHECK(t.edges.count("layer1.1: BasicBlock -> layer2.0: BasicBlock") == 1);
  CHECK(t.edges.count("conv1.weight -> conv2d 7x7") == 1);
  // Training mode: the blocks' first batch norm runs fused with its ReLU, in the batch norm's call.
  const GraphNode* fused = node_named(full, "batch_norm_relu");
  REQUIRE(fused);
  CHECK(box_of(full, *fused) == "layer1.0.bn1");
  const std::vector<std::string> top_texts = graph_chart(top, "resnet18").texts();
  CHECK(std::count(top_texts.begin(), top_texts.end(), "layer2.0: BasicBlock") == 1);
}

TEST_CASE("ops declare what their backward keeps; a TapeTrace adds shapes and scopes") {
  Tensor x = Tensor::randn({2, 3}), w = Tensor::randn({4, 3});
  x.requires_grad_();
  w.requires_grad_();
  CHECK(relu(x).grad_fn()->saved == kSavedOutput);  // on the CPU relu keeps its output alone
  CHECK(sigmoid(x).grad_fn()->saved == (saved_input(0) | kSavedOutput));
  CHECK(linear(x, w, Tensor()).grad_fn()->saved == (saved_input(0) | saved_input(1)));
  CHECK(matmul(x, w.transpose(0, 1)).grad_fn()->saved == (saved_input(0) | saved_input(1)));
  CHECK((x * w.slice(0, 0, 2)).grad_fn()->saved == (saved_input(0) | saved_input(1)));
  CHECK((x + x).grad_fn()->saved == kSavedNothing);
  CHECK(x.reshape({3, 2}).grad_fn()->saved == kSavedNothing);
  CHECK(sum(x).grad_fn()->saved == kSavedNothing);
  const Tensor undeclared = record(x.detach(), "undeclared", {x}, [](const Tensor& gy) -> std::vector<Tensor> { return {gy}; });
  CHECK(undeclared.grad_fn()->saved == kSavedUnknown);

  const Tensor plain = relu(x);
  CHECK(plain.grad_fn()->output_shape.empty());
  CHECK(plain.grad_fn()->scope == -1);
  TapeTrace tape;
  tape.scope = 7;
  const Tensor traced = relu(x);
  CHECK(traced.grad_fn()->output_shape == Shape{2, 3});
  CHECK(traced.grad_fn()->scope == 7);
}
