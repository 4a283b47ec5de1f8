#include "apps/pictures/graph_chart.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace easel {

namespace {

using Kind = GraphNode::Kind;

const Rgb kInk{0.13f, 0.13f, 0.13f}, kEdge{0.33f, 0.33f, 0.33f};
constexpr double kTitle = 13, kText = 11;

Rgb fill_colour(Kind kind) {
  switch (kind) {
    case Kind::op: return {0.933f, 0.933f, 0.933f};             // #eeeeee, as the dot file
    case Kind::parameter: return {0.855f, 0.910f, 0.988f};      // #dae8fc
    case Kind::input: return {0.835f, 0.910f, 0.831f};          // #d5e8d4
    case Kind::leaf: return {0.961f, 0.961f, 0.961f};           // #f5f5f5
    case Kind::module: return {1.0f, 0.949f, 0.8f};             // #fff2cc
  }
  return {1, 1, 1};
}

// ---- layout ---------------------------------------------------------------------------------------

// Row of each node: ops and the input on their longest path from a node nothing feeds (Kahn's
// order); a parameter or other leaf one row above its first reader. Nodes on a cycle (not in a
// tape; folding a module called twice could make one) go below the rest.
std::vector<int> layout_rows(const ModelGraph& g) {
  const size_t n = g.nodes.size();
  std::vector<std::vector<int>> readers(n);
  std::vector<int> waiting(n, 0), row(n, 0);
  for (const GraphEdge& e : g.edges) {
    readers[size_t(e.from)].push_back(e.to);
    ++waiting[size_t(e.to)];
  }
  std::vector<int> ready;
  for (size_t i = 0; i < n; ++i)
    if (waiting[i] == 0) ready.push_back(int(i));
  std::vector<bool> placed(n, false);
  int last = 0;
  while (!ready.empty()) {
    const int i = ready.back();
    ready.pop_back();
    placed[size_t(i)] = true;
    last = std::max(last, row[size_t(i)]);
    for (int r : readers[size_t(i)]) {
      row[size_t(r)] = std::max(row[size_t(r)], row[size_t(i)] + 1);
      if (--waiting[size_t(r)] == 0) ready.push_back(r);
    }
  }
  for (size_t i = 0; i < n; ++i)
    if (!placed[i]) row[i] = last + 1;
  for (size_t i = 0; i < n; ++i) {
    const Kind k = g.nodes[i].kind;
    if ((k != Kind::parameter && k != Kind::leaf) || readers[i].empty()) continue;
    int first = row[size_t(readers[i][0])];
    for (int r : readers[i]) first = std::min(first, row[size_t(r)]);
    row[i] = std::max(first - 1, 0);
  }
  return row;
}

// Nodes of each row, left to right: by the mean position of the nodes they read (rows top down),
// then the leaves of a row by the mean position of their readers (rows bottom up), so that edges
// stay short. Positions are fractions of a row's width.
std::vector<std::vector<int>> order_rows(const ModelGraph& g, const std::vector<int>& row) {
  const size_t rows = row.empty() ? 0 : size_t(*std::max_element(row.begin(), row.end())) + 1;
  std::vector<std::vector<int>> order(rows), inputs(g.nodes.size()), readers(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) order[size_t(row[i])].push_back(int(i));
  for (const GraphEdge& e : g.edges) {
    inputs[size_t(e.to)].push_back(e.from);
    readers[size_t(e.from)].push_back(e.to);
  }
  std::vector<double> pos(g.nodes.size(), 0.5);
  auto set_positions = [&](const std::vector<int>& nodes) {
    for (size_t k = 0; k < nodes.size(); ++k) pos[size_t(nodes[k])] = (double(k) + 0.5) / double(nodes.size());
  };
  auto mean_pos = [&](int i, const std::vector<int>& of) {
    if (of.empty()) return pos[size_t(i)];
    double s = 0;
    for (int j : of) s += pos[size_t(j)];
    return s / double(of.size());
  };
  auto sort_row = [&](std::vector<int>& nodes, const std::vector<std::vector<int>>& by, bool leaves_only) {
    std::vector<double> key(g.nodes.size());
    for (int i : nodes) key[size_t(i)] = leaves_only && !inputs[size_t(i)].empty() ? pos[size_t(i)] : mean_pos(i, by[size_t(i)]);
    std::stable_sort(nodes.begin(), nodes.end(), [&](int a, int b) { return key[size_t(a)] < key[size_t(b)]; });
    set_positions(nodes);
  };
  for (auto& nodes : order) set_positions(nodes);
  for (auto& nodes : order) sort_row(nodes, inputs, false);
  for (size_t r = order.size(); r-- > 0;) sort_row(order[r], readers, true);
  return order;
}

// The text of a node in the picture: its label, plus the module path an op ran in.
std::vector<std::string> chart_lines(const ModelGraph& g, const GraphNode& n) {
  std::vector<std::string> lines = graph_label(g, n);
  if (n.kind == Kind::op && n.call >= 0 && !g.calls[size_t(n.call)].path.empty())
    lines.push_back("in " + g.calls[size_t(n.call)].path);
  return lines;
}

struct Box {
  double x = 0, y = 0, w = 0, h = 0;  // top-left corner, size
};

// ---- drawing --------------------------------------------------------------------------------------

// An op or a folded module: a filled rectangle with a thin border.
void draw_box(Figure& f, const Box& b, Rgb fill) {
  f.rect(b.x, b.y, b.x + b.w, b.y + b.h, fill);
  f.line(b.x, b.y, b.x + b.w, b.y, kEdge, 1);
  f.line(b.x, b.y + b.h, b.x + b.w, b.y + b.h, kEdge, 1);
  f.line(b.x, b.y, b.x, b.y + b.h, kEdge, 1);
  f.line(b.x + b.w, b.y, b.x + b.w, b.y + b.h, kEdge, 1);
}

// A leaf: a box with half-round ends (as the dot file's ellipses), filled, its outline closed.
void draw_pill(Figure& f, const Box& b, Rgb fill) {
  const double r = std::min(b.h, b.w) / 2, cy = b.y + b.h / 2;
  const int steps = 12;
  std::vector<double> xy;
  for (int k = 0; k <= steps; ++k) {  // the right end, top to bottom
    const double a = -M_PI / 2 + M_PI * k / steps;
    xy.push_back(b.x + b.w - r + r * std::cos(a)), xy.push_back(cy + r * std::sin(a));
  }
  for (int k = 0; k <= steps; ++k) {  // the left end, bottom to top
    const double a = M_PI / 2 + M_PI * k / steps;
    xy.push_back(b.x + r + r * std::cos(a)), xy.push_back(cy + r * std::sin(a));
  }
  f.polygon(xy, fill);
  xy.push_back(xy[0]), xy.push_back(xy[1]);
  f.polyline(xy, kEdge, 1);
}

// A straight edge from (x0, y0) to (x1, y1) ending in a filled arrowhead at (x1, y1).
void draw_arrow(Figure& f, double x0, double y0, double x1, double y1) {
  const double len = std::hypot(x1 - x0, y1 - y0), head = 7, half = 3;
  if (len < 1e-9) return;
  const double ux = (x1 - x0) / len, uy = (y1 - y0) / len;
  const double bx = x1 - ux * std::min(head, len), by = y1 - uy * std::min(head, len);  // the head's base
  f.line(x0, y0, bx, by, kEdge, 1);
  f.polygon({x1, y1, bx - uy * half, by + ux * half, bx + uy * half, by - ux * half}, kEdge);
}

}  // namespace

Figure graph_chart(const ModelGraph& g, const std::string& title) {
  const double line_h = 14, pad = 6, gap_x = 18, gap_y = 40, margin = 20, title_h = 28;
  const std::vector<int> row = layout_rows(g);
  const std::vector<std::vector<int>> order = order_rows(g, row);
  // Sizes first (the font's own widths), then each row centred on the widest.
  std::vector<Box> box(g.nodes.size());
  std::vector<std::vector<std::string>> lines(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    lines[i] = chart_lines(g, g.nodes[i]);
    double longest = 0;
    for (const std::string& l : lines[i]) longest = std::max(longest, text_extent(l, kText));
    const bool leaf = g.nodes[i].kind != Kind::op && g.nodes[i].kind != Kind::module;
    box[i].h = double(lines[i].size()) * line_h + 2 * pad;
    box[i].w = std::ceil(longest) + 2 * pad + (leaf ? box[i].h / 2 : 0);  // a leaf's round ends take room
  }
  std::vector<double> row_w(order.size(), 0), row_h(order.size(), 0);
  for (size_t r = 0; r < order.size(); ++r)
    for (int i : order[r]) {
      row_w[r] += box[size_t(i)].w + (row_w[r] > 0 ? gap_x : 0);
      row_h[r] = std::max(row_h[r], box[size_t(i)].h);
    }
  const double width = std::ceil(std::max(row_w.empty() ? 0.0 : *std::max_element(row_w.begin(), row_w.end()),
                                          text_extent(title, kTitle, true)) + 2 * margin);
  double y = margin + title_h;
  for (size_t r = 0; r < order.size(); ++r) {
    double x = (width - row_w[r]) / 2;
    for (int i : order[r]) {
      box[size_t(i)].x = x;
      box[size_t(i)].y = y + (row_h[r] - box[size_t(i)].h) / 2;
      x += box[size_t(i)].w + gap_x;
    }
    y += row_h[r] + gap_y;
  }
  const double height = std::ceil(order.empty() ? y + margin : y - gap_y + margin);

  Figure f(width, height);
  f.text(margin, margin + 12, title, kInk, kTitle, Anchor::start, true);
  for (const GraphEdge& e : g.edges) {  // under the nodes: bottom centre of the input to top centre of the reader
    const Box &a = box[size_t(e.from)], &b = box[size_t(e.to)];
    draw_arrow(f, a.x + a.w / 2, a.y + a.h, b.x + b.w / 2, b.y);
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Box& b = box[i];
    const Kind k = g.nodes[i].kind;
    if (k == Kind::op || k == Kind::module) draw_box(f, b, fill_colour(k));
    else draw_pill(f, b, fill_colour(k));
    for (size_t l = 0; l < lines[i].size(); ++l)
      f.text(b.x + b.w / 2, b.y + pad + line_h * double(l + 1) - 3, lines[i][l], kInk, kText, Anchor::middle);
  }
  return f;
}

}  // namespace easel
