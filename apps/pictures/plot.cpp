#include "apps/pictures/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <stb_easy_font.h>

#include "autograd/ops.h"
#include "io/image.h"
#include "tensor/strided.h"

namespace easel {

Canvas::Canvas(int64_t w, int64_t h, Rgb bg) : img_(Tensor::empty({3, h, w})), w_(w), h_(h) {
  px_ = img_.data<float>();
  for (int64_t i = 0; i < w * h; ++i) px_[i] = bg.r, px_[w * h + i] = bg.g, px_[2 * w * h + i] = bg.b;
}

void Canvas::blend(int64_t x, int64_t y, Rgb c, double a) {
  if (x < 0 || y < 0 || x >= w_ || y >= h_ || a <= 0) return;
  const float f = float(std::min(a, 1.0));
  float* p = px_ + y * w_ + x;
  p[0] += f * (c.r - p[0]);
  p[w_ * h_] += f * (c.g - p[w_ * h_]);
  p[2 * w_ * h_] += f * (c.b - p[2 * w_ * h_]);
}

void Canvas::rect(double x0, double y0, double x1, double y1, Rgb c) {
  for (int64_t y = int64_t(std::floor(std::min(y0, y1))); y < int64_t(std::ceil(std::max(y0, y1))); ++y)
    for (int64_t x = int64_t(std::floor(std::min(x0, x1))); x < int64_t(std::ceil(std::max(x0, x1))); ++x) blend(x, y, c, 1);
}

// Coverage of each pixel near the segment, from its distance to the segment (a soft pen).
void Canvas::line(double x0, double y0, double x1, double y1, Rgb c, double width) {
  const double r = width / 2 + 1;
  const int64_t lx = int64_t(std::floor(std::min(x0, x1) - r)), hx = int64_t(std::ceil(std::max(x0, x1) + r));
  const int64_t ly = int64_t(std::floor(std::min(y0, y1) - r)), hy = int64_t(std::ceil(std::max(y0, y1) + r));
  const double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
  for (int64_t y = std::max<int64_t>(ly, 0); y <= std::min(hy, h_ - 1); ++y)
    for (int64_t x = std::max<int64_t>(lx, 0); x <= std::min(hx, w_ - 1); ++x) {
      const double px = double(x) + 0.5, py = double(y) + 0.5;
      const double t = len2 > 0 ? std::clamp(((px - x0) * dx + (py - y0) * dy) / len2, 0.0, 1.0) : 0;
      const double d = std::hypot(px - (x0 + t * dx), py - (y0 + t * dy));
      blend(x, y, c, width / 2 + 0.5 - d);
    }
}

void Canvas::text(double x, double y, const std::string& s, Rgb c, double scale) {
  std::vector<char> buf(s.size() * 300 + 64);  // stb: ~270 bytes of quads per character at most
  std::string copy = s;
  const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buf.data(), int(buf.size()));
  const float* v = reinterpret_cast<const float*>(buf.data());
  for (int q = 0; q < quads; ++q) {  // each stroke is a convex quad (some are slanted)
    const float* a = v + q * 16;      // 4 vertices × (x, y, z, rgba packed in one float)
    double qx[4], qy[4];
    for (int k = 0; k < 4; ++k) qx[k] = x + a[k * 4] * scale, qy[k] = y + a[k * 4 + 1] * scale;
    const int64_t lx = int64_t(std::floor(*std::min_element(qx, qx + 4))), hx = int64_t(std::ceil(*std::max_element(qx, qx + 4)));
    const int64_t ly = int64_t(std::floor(*std::min_element(qy, qy + 4))), hy = int64_t(std::ceil(*std::max_element(qy, qy + 4)));
    for (int64_t py = ly; py < hy; ++py)
      for (int64_t px = lx; px < hx; ++px) {
        const double cx = double(px) + 0.5, cy = double(py) + 0.5;
        int pos = 0, neg = 0;
        for (int k = 0; k < 4; ++k) {
          const double cr = (qx[(k + 1) % 4] - qx[k]) * (cy - qy[k]) - (qy[(k + 1) % 4] - qy[k]) * (cx - qx[k]);
          pos += cr >= 0, neg += cr <= 0;
        }
        if (pos == 4 || neg == 4) blend(px, py, c, 1);
      }
  }
}

double Canvas::text_width(const std::string& s, double scale) {
  std::string copy = s;
  return stb_easy_font_width(copy.data()) * scale;
}

void Canvas::disk(double cx, double cy, double r, Rgb c, double alpha) {
  for (int64_t y = int64_t(std::floor(cy - r - 1)); y <= int64_t(std::ceil(cy + r + 1)); ++y)
    for (int64_t x = int64_t(std::floor(cx - r - 1)); x <= int64_t(std::ceil(cx + r + 1)); ++x)
      blend(x, y, c, alpha * std::clamp(r + 0.5 - std::hypot(double(x) + 0.5 - cx, double(y) + 0.5 - cy), 0.0, 1.0));
}

void Canvas::paste(int64_t x0, int64_t y0, const Tensor& rgb_in) {
  const Tensor rgb = rgb_in.dim() == 2 ? concat({rgb_in.unsqueeze(0), rgb_in.unsqueeze(0), rgb_in.unsqueeze(0)}, 0) : rgb_in;
  EASEL_CHECK(rgb.dim() == 3 && rgb.size(0) == 3, "paste: expected [3, h, w], got ", rgb_in.describe());
  const Tensor t = dense(rgb.to(DType::f32));
  const float* p = t.data<float>();
  const int64_t h = t.size(1), w = t.size(2);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      blend(x0 + x, y0 + y, {p[y * w + x], p[h * w + y * w + x], p[2 * h * w + y * w + x]}, 1);
}

void Canvas::save(const std::string& path) const { save_png(path, img_); }

Rgb palette(size_t i) {
  static const Rgb colors[] = {{0.12f, 0.47f, 0.71f}, {1.0f, 0.5f, 0.05f}, {0.17f, 0.63f, 0.17f}, {0.84f, 0.15f, 0.16f},
                               {0.58f, 0.4f, 0.74f},  {0.55f, 0.34f, 0.29f}, {0.89f, 0.47f, 0.76f}, {0.5f, 0.5f, 0.5f}};
  return colors[i % 8];
}

static std::string tick_label(double v) {
  char buf[32];
  if (v != 0 && (std::abs(v) >= 1e4 || std::abs(v) < 1e-2)) std::snprintf(buf, sizeof buf, "%.1e", v);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

Canvas line_chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                  const std::vector<Series>& series, int64_t W, int64_t H) {
  Canvas c(W, H);
  const Rgb ink{0.15f, 0.15f, 0.15f}, grid{0.88f, 0.88f, 0.88f};
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const Series& s : series) {
    EASEL_CHECK(s.y.size() == s.x.size(), title, ": series '", s.name, "' has ", s.x.size(), " x and ", s.y.size(), " y values");
    const bool band = s.lo.size() == s.x.size() && s.hi.size() == s.x.size();
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (std::isfinite(s.y[i])) x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]), y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
      if (band && std::isfinite(s.lo[i]) && std::isfinite(s.hi[i]))
        y0 = std::min(y0, s.lo[i]), y1 = std::max(y1, s.hi[i]);
    }
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  const double pad = (y1 - y0) * 0.05;
  y0 -= pad, y1 += pad;
  const double L = 70, R = double(W) - 20, T = 52, B = double(H) - 50;
  auto X = [&](double v) { return L + (v - x0) / (x1 - x0) * (R - L); };
  auto Y = [&](double v) { return B - (v - y0) / (y1 - y0) * (B - T); };
  for (int i = 0; i <= 5; ++i) {
    const double yv = y0 + (y1 - y0) * i / 5, xv = x0 + (x1 - x0) * i / 5;
    c.line(L, Y(yv), R, Y(yv), grid, 1);
    c.line(X(xv), T, X(xv), B, grid, 1);
    const std::string ly = tick_label(yv), lx = tick_label(xv);
    c.text(L - 8 - Canvas::text_width(ly, 1.2), Y(yv) - 5, ly, ink, 1.2);
    c.text(X(xv) - Canvas::text_width(lx, 1.2) / 2, B + 8, lx, ink, 1.2);
  }
  c.line(L, B, R, B, ink, 1.2);
  c.line(L, T, L, B, ink, 1.2);
  c.text(L, 8, title, ink, 1.8);
  c.text((L + R) / 2 - Canvas::text_width(xlabel) / 2, double(H) - 22, xlabel, ink);
  c.text(6, T - 20, ylabel, ink);
  for (const Series& s : series) {  // bands first, under every line: a pale vertical stroke per pixel column
    if (s.lo.size() != s.x.size() || s.hi.size() != s.x.size()) continue;
    const Rgb pale{0.8f + 0.2f * s.color.r, 0.8f + 0.2f * s.color.g, 0.8f + 0.2f * s.color.b};
    for (size_t i = 1; i < s.x.size(); ++i) {
      const double a = X(s.x[i - 1]), b = X(s.x[i]);
      for (double px = std::floor(a); px <= b; px += 1) {
        const double t = b > a ? std::clamp((px - a) / (b - a), 0.0, 1.0) : 0;
        const double lo = s.lo[i - 1] + t * (s.lo[i] - s.lo[i - 1]), hi = s.hi[i - 1] + t * (s.hi[i] - s.hi[i - 1]);
        if (std::isfinite(lo) && std::isfinite(hi)) c.rect(px, Y(hi), px + 1, Y(lo), pale);
      }
    }
  }
  for (const Series& s : series) {
    for (size_t i = 1; i < s.x.size(); ++i)
      if (std::isfinite(s.y[i - 1]) && std::isfinite(s.y[i])) c.line(X(s.x[i - 1]), Y(s.y[i - 1]), X(s.x[i]), Y(s.y[i]), s.color, 2);
    if (s.x.size() == 1) c.rect(X(s.x[0]) - 3, Y(s.y[0]) - 3, X(s.x[0]) + 3, Y(s.y[0]) + 3, s.color);
  }
  double ly = T + 6;  // legend, top right
  for (const Series& s : series) {
    const double tw = Canvas::text_width(s.name, 1.3);
    c.rect(R - tw - 30, ly + 3, R - tw - 12, ly + 7, s.color);
    c.text(R - tw - 6, ly, s.name, ink, 1.3);
    ly += 16;
  }
  return c;
}

Canvas count_heatmap(const std::string& title, const std::vector<std::vector<int64_t>>& m,
                     const std::vector<std::string>& rows, const std::vector<std::string>& columns, bool by_column) {
  const int64_t n = int64_t(rows.size()), k = int64_t(columns.size());
  const int64_t cell = std::clamp<int64_t>(480 / std::max<int64_t>(std::max(n, k), 1), 24, 80);
  double label_w = 0;
  for (const auto& r : rows) label_w = std::max(label_w, Canvas::text_width(r.substr(0, 24), 1.3));
  // Columns are numbered under the grid; when they are not the rows, a key below names them.
  const bool key = columns != rows;
  double key_w = 0;
  for (size_t j = 0; key && j < columns.size(); ++j)
    key_w = std::max(key_w, Canvas::text_width(std::to_string(j) + " = " + columns[j].substr(0, 64), 1.2));
  const double L = label_w + 20, T = 50, key_h = key ? 16.0 * double(k) + 10 : 0;
  Canvas c(std::max<int64_t>({int64_t(L) + k * cell + 20, int64_t(key_w) + 30, int64_t(Canvas::text_width(title, 1.4)) + 20}),
           int64_t(T) + n * cell + 50 + int64_t(key_h));
  const Rgb ink{0.15f, 0.15f, 0.15f};
  c.text(10, 12, title, ink, 1.4);
  std::vector<int64_t> row_sum(size_t(n), 0), col_sum(size_t(k), 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) row_sum[size_t(i)] += m[size_t(i)][size_t(j)], col_sum[size_t(j)] += m[size_t(i)][size_t(j)];
  for (int64_t i = 0; i < n; ++i) {
    c.text(10, T + double(i * cell) + double(cell) / 2 - 5, rows[size_t(i)].substr(0, 24), ink, 1.3);
    for (int64_t j = 0; j < k; ++j) {
      const int64_t total = by_column ? col_sum[size_t(j)] : row_sum[size_t(i)];
      const double f = total ? double(m[size_t(i)][size_t(j)]) / double(total) : 0;  // shade: share of its row / column
      const Rgb shade{float(1 - 0.85 * f), float(1 - 0.6 * f), float(1 - 0.25 * f)};
      const double x = L + double(j * cell), y = T + double(i * cell);
      c.rect(x, y, x + double(cell) - 1, y + double(cell) - 1, shade);
      const std::string v = std::to_string(m[size_t(i)][size_t(j)]);
      c.text(x + double(cell) / 2 - Canvas::text_width(v, 1.3) / 2, y + double(cell) / 2 - 5, v, f > 0.6 ? Rgb{1, 1, 1} : ink, 1.3);
    }
  }
  for (int64_t j = 0; j < k; ++j)
    c.text(L + double(j * cell) + double(cell) / 2 - 4, T + double(n * cell) + 8, std::to_string(j), ink, 1.3);
  for (int64_t j = 0; key && j < k; ++j)
    c.text(10, T + double(n * cell) + 34 + 16.0 * double(j), std::to_string(j) + " = " + columns[size_t(j)].substr(0, 64), ink, 1.2);
  return c;
}

Canvas confusion_chart(const std::vector<std::vector<int64_t>>& m, const std::vector<std::string>& classes) {
  return count_heatmap("confusion matrix (rows: true, columns: predicted)", m, classes, classes, false);
}

Canvas scatter_chart(const std::string& title, const std::vector<double>& x, const std::vector<double>& y,
                     const std::vector<int64_t>& labels, const std::vector<std::string>& classes, int64_t size) {
  const double legend_w = [&] {
    double w = 0;
    for (const auto& c : classes) w = std::max(w, Canvas::text_width(c.substr(0, 24), 1.3));
    return w + 40;
  }();
  Canvas c(size + int64_t(legend_w), size + 40);
  const Rgb ink{0.15f, 0.15f, 0.15f};
  c.text(10, 10, title, ink, 1.6);
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (size_t i = 0; i < x.size(); ++i) x0 = std::min(x0, x[i]), x1 = std::max(x1, x[i]), y0 = std::min(y0, y[i]), y1 = std::max(y1, y[i]);
  const double span = std::max({x1 - x0, y1 - y0, 1e-12}), L = 20, T = 40, S = double(size) - 40;
  const double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  c.line(L, T, L + S, T, {0.85f, 0.85f, 0.85f}, 1);
  c.line(L, T + S, L + S, T + S, {0.85f, 0.85f, 0.85f}, 1);
  const double r = x.size() > 1500 ? 2 : x.size() > 400 ? 3 : 4;
  for (size_t i = 0; i < x.size(); ++i)
    c.disk(L + S / 2 + (x[i] - cx) / span * S, T + S / 2 - (y[i] - cy) / span * S, r, palette(size_t(labels[i])), 0.75);
  for (size_t k = 0; k < classes.size(); ++k) {
    c.disk(double(size) + 8, T + 6 + double(k) * 18, 5, palette(k));
    c.text(double(size) + 20, T + double(k) * 18, classes[k].substr(0, 24), ink, 1.3);
  }
  return c;
}

Canvas bar_chart(const std::string& title, const std::string& ylabel, const std::vector<std::string>& groups,
                 const std::vector<BarSeries>& series, int64_t W, int64_t H) {
  Canvas c(W, H);
  const Rgb ink{0.15f, 0.15f, 0.15f}, grid{0.88f, 0.88f, 0.88f};
  double top = 0;
  for (const BarSeries& s : series)
    for (size_t g = 0; g < s.mean.size(); ++g)
      if (std::isfinite(s.mean[g])) top = std::max(top, s.mean[g] + (std::isfinite(s.err[g]) ? s.err[g] : 0));
  top = top > 0 ? top * 1.08 : 1;
  const double L = 70, R = double(W) - 20, T = 52, B = double(H) - 70;
  auto Y = [&](double v) { return B - v / top * (B - T); };
  for (int i = 0; i <= 5; ++i) {
    const double v = top * i / 5;
    c.line(L, Y(v), R, Y(v), grid, 1);
    const std::string l = tick_label(v);
    c.text(L - 8 - Canvas::text_width(l, 1.2), Y(v) - 5, l, ink, 1.2);
  }
  c.text(L, 8, title, ink, 1.8);
  c.text(6, T - 20, ylabel, ink);
  const double gw = (R - L) / double(std::max<size_t>(groups.size(), 1)), bw = gw * 0.8 / double(std::max<size_t>(series.size(), 1));
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t k = 0; k < series.size(); ++k) {
      const double m = series[k].mean[g], e = series[k].err[g], x = L + gw * double(g) + gw * 0.1 + bw * double(k);
      if (!std::isfinite(m)) continue;
      c.rect(x + 1, Y(m), x + bw - 1, B, palette(k));
      if (std::isfinite(e) && e > 0) {
        c.line(x + bw / 2, Y(m + e), x + bw / 2, Y(std::max(m - e, 0.0)), ink, 1.2);
        c.line(x + bw * 0.3, Y(m + e), x + bw * 0.7, Y(m + e), ink, 1.2);
      }
    }
    const std::string name = groups[g].substr(0, size_t(std::max(4.0, gw / 9)));
    c.text(L + gw * (double(g) + 0.5) - Canvas::text_width(name, 1.2) / 2, B + 8, name, ink, 1.2);
  }
  c.line(L, B, R, B, ink, 1.2);
  double lx = L;
  for (size_t k = 0; k < series.size(); ++k) {  // legend under the axis
    c.rect(lx, double(H) - 26, lx + 14, double(H) - 16, palette(k));
    c.text(lx + 18, double(H) - 28, series[k].name, ink, 1.3);
    lx += Canvas::text_width(series[k].name, 1.3) + 40;
  }
  return c;
}

Canvas image_grid(const std::string& title, const std::vector<Tile>& tiles, int64_t columns, int64_t tile) {
  size_t lines = 0;
  for (const Tile& t : tiles) lines = std::max(lines, t.caption.size());
  const int64_t cap_h = int64_t(lines) * 14 + 6, gap = 10, rows = (int64_t(tiles.size()) + columns - 1) / columns;
  const int64_t cols = std::min<int64_t>(columns, std::max<int64_t>(int64_t(tiles.size()), 1));
  Canvas c(cols * (tile + gap) + gap, 40 + rows * (tile + cap_h + gap) + gap);
  c.text(10, 10, title, {0.15f, 0.15f, 0.15f}, 1.6);
  for (size_t i = 0; i < tiles.size(); ++i) {
    const int64_t x = gap + int64_t(i) % columns * (tile + gap), y = 40 + int64_t(i) / columns * (tile + cap_h + gap);
    const Tensor& img = tiles[i].image;
    const int64_t h = img.size(img.dim() - 2), w = img.size(img.dim() - 1);
    const int64_t th = std::max<int64_t>(1, std::min(tile, tile * h / std::max<int64_t>(w, 1)));
    const Tensor in = img.dim() == 2 ? img.unsqueeze(0) : img;
    const Tensor scaled = resize(in.to(DType::f32), th, tile, true);
    c.paste(x, y, img.dim() == 2 ? scaled.select(0, 0) : scaled);
    for (size_t k = 0; k < tiles[i].caption.size(); ++k)
      c.text(double(x), double(y + th + 4 + int64_t(k) * 14), tiles[i].caption[k].substr(0, size_t(tile / 7)), tiles[i].caption_color, 1.2);
  }
  return c;
}

}  // namespace easel
