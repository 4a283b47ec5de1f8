#include "apps/pictures/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "autograd/ops.h"
#include "io/image.h"

namespace easel {

namespace {

const Rgb kInk{0.13f, 0.13f, 0.13f}, kGrey{0.42f, 0.42f, 0.42f}, kGrid{0.9f, 0.9f, 0.9f};
constexpr double kTitle = 15, kLabel = 12, kTick = 11;

// `s` cut (with an ellipsis) to fit `room` pixels at `size`.
std::string fit_text(const std::string& s, double room, double size, bool bold = false) {
  if (text_extent(s, size, bold) <= room) return s;
  std::string cut = s;
  while (!cut.empty() && text_extent(cut + "…", size, bold) > room) {
    while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80) cut.pop_back();  // continuation bytes,
    if (!cut.empty()) cut.pop_back();  // then the character's first byte: one whole UTF-8 character
  }
  return cut + "…";
}

// The legend: a swatch and a name per item in rows under the title, wrapping before `right`.
// Returns the y below it.
double legend_rows(Figure& f, const std::vector<std::pair<std::string, Rgb>>& items, double left, double right, double top) {
  double x = left, y = top + 12;
  for (const auto& [name, color] : items) {
    const double w = 22 + text_extent(name, kLabel);
    if (x > left && x + w > right) x = left, y += 18;
    f.rect(x, y - 8, x + 14, y - 2, color);
    f.text(x + 19, y, name, kInk, kLabel);
    x += w + 16;
  }
  return items.empty() ? top : y + 8;
}

// An axis: its range (the data's, widened to whole ticks, never past the bounds) and its ticks.
struct Axis {
  double lo, hi, step;
  std::vector<double> ticks;
  double at(double v, double from, double to) const { return from + (std::clamp(v, lo, hi) - lo) / (hi - lo) * (to - from); }
};

Axis make_axis(double d0, double d1, Bounds b, int target) {
  if (!std::isfinite(d0) || !std::isfinite(d1)) d0 = std::isfinite(b.lo) ? b.lo : 0, d1 = std::isfinite(b.hi) ? b.hi : d0 + 1;
  d0 = std::clamp(d0, b.lo, b.hi), d1 = std::clamp(d1, b.lo, b.hi);
  if (d1 - d0 < 1e-12 * std::max(1.0, std::fabs(d0))) {
    const double half = std::max(0.5 * std::fabs(d0), 0.5);
    d0 = std::max(d0 - half, b.lo), d1 = std::min(d1 + half, b.hi);
  }
  Axis a{d0, d1, 1, {}};
  if (b.whole) d0 = std::floor(d0), d1 = std::max(std::ceil(d1), d0 + 1), target = int(std::min<double>(target, d1 - d0));
  for (double t : nice_ticks(d0, d1, target))
    if (t >= b.lo - 1e-12 && t <= b.hi + 1e-12) a.ticks.push_back(t);
  if (a.ticks.size() >= 2) a.step = a.ticks[1] - a.ticks[0];
  if (!a.ticks.empty()) a.lo = std::min(d0, a.ticks.front()), a.hi = std::max(d1, a.ticks.back());
  return a;
}

// The plotted area L..R × T..B: grid lines and tick labels of both axes, the axis names.
// The y axis of the plotted area L..R × T..B: grid lines, tick labels, its name turned.
void draw_y_axis(Figure& f, const Axis& ay, double L, double T, double R, double B, const std::string& ylabel) {
  for (double t : ay.ticks) {
    const double y = ay.at(t, B, T);
    f.line(L, y, R, y, kGrid, 1);
    f.text(L - 6, y + 4, tick_text(t, ay.step), kGrey, kTick, Anchor::end);
  }
  f.text(16, (T + B) / 2, ylabel, kInk, kLabel, Anchor::middle, false, -90);
}

void draw_axes(Figure& f, const Axis& ax, const Axis& ay, double L, double T, double R, double B, const std::string& xlabel,
               const std::string& ylabel) {
  draw_y_axis(f, ay, L, T, R, B, ylabel);
  for (double t : ax.ticks) {
    const double x = ax.at(t, L, R);
    f.line(x, T, x, B, kGrid, 1);
    f.text(x, B + 16, tick_text(t, ax.step), kGrey, kTick, Anchor::middle);
  }
  f.line(L, B, R, B, kInk, 1);
  f.line(L, T, L, B, kInk, 1);
  f.text((L + R) / 2, B + 36, xlabel, kInk, kLabel, Anchor::middle);
}

double widest_tick(const Axis& a) {
  double w = 0;
  for (double t : a.ticks) w = std::max(w, text_extent(tick_text(t, a.step), kTick));
  return w;
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
  const double raw = (hi - lo) / std::max(target, 1), mag = std::pow(10.0, std::floor(std::log10(raw))), r = raw / mag;
  const double step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
  std::vector<double> out;
  const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
  for (double k = first; k <= last + 0.5; ++k) out.push_back(k * step == 0 ? 0 : k * step);
  return out;
}

std::string tick_text(double v, double step) {
  char buf[32];
  const double a = std::fabs(step);
  if (a >= 1e6 || (a > 0 && a < 1e-4)) {  // scientific, with the digits that tell neighbouring ticks apart
    const int digits = std::max(1, int(std::ceil(std::log10(std::max(std::fabs(v), a) / a) + 1e-9)) + 1);
    std::snprintf(buf, sizeof buf, "%.*g", std::min(digits, 15), v);
    return buf;
  }
  const int decimals = a > 0 ? std::max(0, int(std::ceil(-std::log10(a) - 1e-9))) : 2;
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v) < a * 1e-6 ? 0.0 : v);
  return buf;
}

Rgb palette(size_t i) {
  static const Rgb colors[] = {{0.12f, 0.47f, 0.71f}, {1.0f, 0.5f, 0.05f},  {0.17f, 0.63f, 0.17f}, {0.84f, 0.15f, 0.16f},
                               {0.58f, 0.4f, 0.74f},  {0.55f, 0.34f, 0.29f}, {0.89f, 0.47f, 0.76f}, {0.5f, 0.5f, 0.5f},
                               {0.74f, 0.74f, 0.13f}, {0.09f, 0.75f, 0.81f}};
  return colors[i % 10];
}

Figure line_chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                  const std::vector<Series>& series, int64_t W, int64_t H, Bounds xb, Bounds yb) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const Series& s : series) {
    EASEL_CHECK(s.y.size() == s.x.size(), title, ": series '", s.name, "' has ", s.x.size(), " x and ", s.y.size(), " y values");
    const bool band = s.lo.size() == s.x.size() && s.hi.size() == s.x.size();
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (std::isfinite(s.y[i])) x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]), y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
      if (band && std::isfinite(s.lo[i]) && std::isfinite(s.hi[i])) y0 = std::min(y0, s.lo[i]), y1 = std::max(y1, s.hi[i]);
    }
  }
  Figure f{double(W), double(H)};
  f.text(12, 22, title, kInk, kTitle, Anchor::start, true);
  std::vector<std::pair<std::string, Rgb>> legend;
  for (const Series& s : series)
    if (!s.name.empty()) legend.emplace_back(s.name, s.color);
  const double T = legend_rows(f, legend, 12, double(W) - 12, 30) + 10;
  const Axis ax = make_axis(x0, x1, xb, 6), ay = make_axis(y0, y1, yb, 5);
  const double L = 30 + widest_tick(ay) + 8, R = double(W) - 18, B = double(H) - 46;
  draw_axes(f, ax, ay, L, T, R, B, xlabel, ylabel);
  auto X = [&](double v) { return ax.at(v, L, R); };
  auto Y = [&](double v) { return ay.at(v, B, T); };
  for (const Series& s : series) {  // bands first, under every line
    if (s.lo.size() != s.x.size() || s.hi.size() != s.x.size()) continue;
    std::vector<double> upper, lower;
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.lo[i]) && std::isfinite(s.hi[i])) upper.insert(upper.end(), {X(s.x[i]), Y(s.hi[i])}), lower.insert(lower.begin(), {X(s.x[i]), Y(s.lo[i])});
    upper.insert(upper.end(), lower.begin(), lower.end());
    if (upper.size() >= 6) f.polygon(upper, s.color, 0.18);
  }
  for (const Series& s : series) {
    std::vector<double> run;  // a stretch of finite points
    auto flush = [&] {
      if (run.size() >= 4) {
        if (s.dashed) for (size_t k = 2; k + 1 < run.size(); k += 2) f.line(run[k - 2], run[k - 1], run[k], run[k + 1], s.color, 1.2, true);
        else f.polyline(run, s.color, 2);
      } else if (run.size() == 2) {
        f.circle(run[0], run[1], 3.5, s.color);
      }
      run.clear();
    };
    // Few points along x (epochs, confidence bins) are marked; steps such as a ROC curve's are not.
    bool marks = !s.dashed && s.x.size() <= 30;
    for (size_t i = 1; marks && i < s.x.size(); ++i) marks = s.x[i] > s.x[i - 1];
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        run.insert(run.end(), {X(s.x[i]), Y(s.y[i])});
        if (marks) f.circle(X(s.x[i]), Y(s.y[i]), 3, s.color);
      } else {
        flush();
      }
    }
    flush();
  }
  return f;
}

Figure count_heatmap(const std::string& title, const std::vector<std::vector<int64_t>>& m, const std::vector<std::string>& rows,
                     const std::vector<std::string>& columns, bool by_column, const std::string& row_axis,
                     const std::string& column_axis) {
  const size_t n = rows.size(), k = columns.size();
  EASEL_CHECK(m.size() == n, title, ": ", m.size(), " rows of counts for ", n, " row names");
  for (const auto& r : m) EASEL_CHECK(r.size() == k, title, ": a row of ", r.size(), " counts for ", k, " column names");
  const double cell = std::clamp(440.0 / double(std::max<size_t>(std::max(n, k), 1)), 36.0, 88.0);
  std::vector<std::string> rn, cn;
  double row_w = 0, col_w = 0;
  for (const auto& r : rows) rn.push_back(fit_text(r, 200, kLabel)), row_w = std::max(row_w, text_extent(rn.back(), kLabel));
  for (const auto& c : columns) cn.push_back(fit_text(c, 220, kLabel)), col_w = std::max(col_w, text_extent(cn.back(), kLabel));
  const bool turned = col_w > cell - 6;  // column names that do not fit their cell hang at 40°
  const double drop = turned ? col_w * std::sin(40 * M_PI / 180) + 16 : 20;
  // Turned column names hang down and to the left of their column: room for the first one's.
  const double L = std::max(34 + row_w + 10, turned ? col_w * std::cos(40 * M_PI / 180) - cell / 2 + 14 : 0.0), T = 44;
  const double gridB = T + double(n) * cell;
  const double W = std::max(L + double(k) * cell + 20, text_extent(title, kTitle, true) + 24);
  Figure f(W, gridB + drop + 34);
  f.text(12, 22, title, kInk, kTitle, Anchor::start, true);
  std::vector<int64_t> row_sum(n, 0), col_sum(k, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < k; ++j) row_sum[i] += m[i][j], col_sum[j] += m[i][j];
  for (size_t i = 0; i < n; ++i) {
    const double y = T + double(i) * cell;
    f.text(L - 8, y + cell / 2 + 4, rn[i], kInk, kLabel, Anchor::end);
    for (size_t j = 0; j < k; ++j) {
      const int64_t total = by_column ? col_sum[j] : row_sum[i];
      const double share = total ? double(m[i][j]) / double(total) : 0;
      const double x = L + double(j) * cell;
      f.rect(x, y, x + cell - 1, y + cell - 1, {float(1 - 0.85 * share), float(1 - 0.6 * share), float(1 - 0.25 * share)});
      const Rgb ink = share > 0.55 ? Rgb{1, 1, 1} : m[i][j] == 0 ? Rgb{0.7f, 0.7f, 0.7f} : kInk;
      const bool two_lines = cell >= 40 && m[i][j] > 0;  // an empty cell: a grey 0, no share
      f.text(x + cell / 2, y + cell / 2 + (two_lines ? 0 : 5), std::to_string(m[i][j]), ink, 13, Anchor::middle, true);
      if (two_lines) {
        char pct[16];
        std::snprintf(pct, sizeof pct, "%.0f%%", 100 * share);
        f.text(x + cell / 2, y + cell / 2 + 15, pct, ink, 10, Anchor::middle);
      }
    }
  }
  for (size_t j = 0; j < k; ++j) {
    const double cx = L + (double(j) + 0.5) * cell;
    if (turned) f.text(cx + 4, gridB + 12, cn[j], kInk, kLabel, Anchor::end, false, -40);
    else f.text(cx, gridB + 16, cn[j], kInk, kLabel, Anchor::middle);
  }
  if (!column_axis.empty()) f.text(L + double(k) * cell / 2, gridB + drop + 22, column_axis, kGrey, kLabel, Anchor::middle);
  if (!row_axis.empty()) f.text(16, T + double(n) * cell / 2, row_axis, kGrey, kLabel, Anchor::middle, false, -90);
  return f;
}

Figure confusion_chart(const std::vector<std::vector<int64_t>>& m, const std::vector<std::string>& classes) {
  return count_heatmap("confusion matrix (test)", m, classes, classes, false, "true class", "predicted class");
}

Figure scatter_chart(const std::string& title, const std::vector<double>& x, const std::vector<double>& y,
                     const std::vector<int64_t>& labels, const std::vector<std::string>& classes, int64_t size,
                     const std::vector<std::string>& tips) {
  EASEL_CHECK(x.size() == y.size() && x.size() == labels.size() && (tips.empty() || tips.size() == x.size()), title, ": ", x.size(),
              " x, ", y.size(), " y, ", labels.size(), " labels and ", tips.size(), " tips");
  double legend_w = 0;
  for (const auto& c : classes) legend_w = std::max(legend_w, text_extent(fit_text(c, 180, kLabel), kLabel));
  Figure f(double(size) + legend_w + 44, double(size) + 44);
  f.text(12, 22, title, kInk, kTitle, Anchor::start, true);
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (size_t i = 0; i < x.size(); ++i) x0 = std::min(x0, x[i]), x1 = std::max(x1, x[i]), y0 = std::min(y0, y[i]), y1 = std::max(y1, y[i]);
  const double span = std::max({x1 - x0, y1 - y0, 1e-12}), L = 20, T = 40, S = double(size) - 40;
  const double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  f.rect(L - 6, T - 6, L + S + 6, T + S + 6, {0.975f, 0.975f, 0.975f});
  const double r = x.size() > 1500 ? 2 : x.size() > 400 ? 3 : 4;
  for (size_t i = 0; i < x.size(); ++i)
    f.circle(L + S / 2 + (x[i] - cx) / span * S, T + S / 2 - (y[i] - cy) / span * S, r, palette(size_t(labels[i])), 0.75,
             tips.empty() ? "" : tips[i], int64_t(i));
  for (size_t k = 0; k < classes.size(); ++k) {
    f.circle(double(size) + 14, T + 6 + double(k) * 20, 5, palette(k));
    f.text(double(size) + 26, T + 10 + double(k) * 20, fit_text(classes[k], 180, kLabel), kInk, kLabel);
  }
  return f;
}

Figure bar_chart(const std::string& title, const std::string& ylabel, const std::vector<std::string>& groups,
                 const std::vector<BarSeries>& series, int64_t W, int64_t H, Bounds yb) {
  double top = -INFINITY, bottom = INFINITY;
  for (const BarSeries& s : series) {
    EASEL_CHECK(s.mean.size() == groups.size() && s.err.size() == groups.size(), title, ": series '", s.name, "' has ",
                s.mean.size(), " means and ", s.err.size(), " errors for ", groups.size(), " groups");
    for (size_t g = 0; g < s.mean.size(); ++g)
      if (std::isfinite(s.mean[g])) {
        const double e = std::isfinite(s.err[g]) ? s.err[g] : 0;
        top = std::max(top, s.mean[g] + e), bottom = std::min(bottom, s.mean[g] - e);
      }
  }
  Figure f{double(W), double(H)};
  f.text(12, 22, title, kInk, kTitle, Anchor::start, true);
  std::vector<std::pair<std::string, Rgb>> legend;
  for (size_t k = 0; k < series.size(); ++k) legend.emplace_back(series[k].name, palette(k));
  const double T = legend_rows(f, legend, 12, double(W) - 12, 30) + 10;
  const Axis ay = make_axis(std::min(bottom, 0.0), top, yb, 5);
  const double L = 30 + widest_tick(ay) + 8, R = double(W) - 18, B = double(H) - 46;
  draw_y_axis(f, ay, L, T, R, B, ylabel);
  auto Y = [&](double v) { return ay.at(v, B, T); };
  const double gw = (R - L) / double(std::max<size_t>(groups.size(), 1)), bw = gw * 0.8 / double(std::max<size_t>(series.size(), 1));
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t k = 0; k < series.size(); ++k) {
      const double mean = series[k].mean[g], e = series[k].err[g], x = L + gw * double(g) + gw * 0.1 + bw * double(k);
      if (!std::isfinite(mean)) continue;
      f.rect(x + 1, Y(mean), x + bw - 1, Y(0), palette(k));
      if (std::isfinite(e) && e > 0) {
        f.line(x + bw / 2, Y(mean + e), x + bw / 2, Y(mean - e), kInk, 1.2);
        f.line(x + bw * 0.3, Y(mean + e), x + bw * 0.7, Y(mean + e), kInk, 1.2);
        f.line(x + bw * 0.3, Y(mean - e), x + bw * 0.7, Y(mean - e), kInk, 1.2);
      }
    }
    f.text(L + gw * (double(g) + 0.5), B + 16, fit_text(groups[g], gw - 4, kTick), kInk, kTick, Anchor::middle);
  }
  f.line(L, Y(0), R, Y(0), kInk, 1);
  f.line(L, T, L, B, kInk, 1);
  return f;
}

Canvas image_grid(const std::string& title, const std::vector<Tile>& tiles, int64_t columns, int64_t tile) {
  size_t lines = 0;
  for (const Tile& t : tiles) lines = std::max(lines, t.caption.size());
  const int64_t cap_h = int64_t(lines) * 14 + 6, gap = 10, rows = (int64_t(tiles.size()) + columns - 1) / columns;
  const int64_t cols = std::min<int64_t>(columns, std::max<int64_t>(int64_t(tiles.size()), 1));
  Canvas c(cols * (tile + gap) + gap, 40 + rows * (tile + cap_h + gap) + gap);
  c.text(10, 26, title, {0.15f, 0.15f, 0.15f}, 15, true);
  for (size_t i = 0; i < tiles.size(); ++i) {
    const int64_t x = gap + int64_t(i) % columns * (tile + gap), y = 40 + int64_t(i) / columns * (tile + cap_h + gap);
    const Tensor& img = tiles[i].image;
    const int64_t h = img.size(img.dim() - 2), w = img.size(img.dim() - 1);
    const int64_t th = std::max<int64_t>(1, std::min(tile, tile * h / std::max<int64_t>(w, 1)));
    const Tensor in = img.dim() == 2 ? img.unsqueeze(0) : img;
    const Tensor scaled = resize(in.to(DType::f32), th, tile, true);
    c.paste(x, y, img.dim() == 2 ? scaled.select(0, 0) : scaled);
    for (size_t k = 0; k < tiles[i].caption.size(); ++k)
      c.text(double(x), double(y + th + 15 + int64_t(k) * 14), fit_text(tiles[i].caption[k], double(tile), 11), tiles[i].caption_color, 11);
  }
  return c;
}

}  // namespace easel
