#include "apps/pictures/figure.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "apps/pictures/font.h"
#include "io/file.h"
#include "tensor/error.h"

namespace easel {

void Figure::rect(double x0, double y0, double x1, double y1, Rgb fill, double opacity) {
  shapes_.push_back({Shape::rect, {x0, y0, x1, y1}, fill, 1, opacity});
}

void Figure::line(double x0, double y0, double x1, double y1, Rgb stroke, double w, bool dashed) {
  Shape s{Shape::line, {x0, y0, x1, y1}, stroke, w};
  s.dashed = dashed;
  shapes_.push_back(s);
}

void Figure::polyline(const std::vector<double>& xy, Rgb stroke, double w) {
  EASEL_CHECK(xy.size() % 2 == 0, "polyline: ", xy.size(), " coordinates, not (x, y) pairs");
  shapes_.push_back({Shape::polyline, xy, stroke, w});
}

void Figure::polygon(const std::vector<double>& xy, Rgb fill, double opacity) {
  EASEL_CHECK(xy.size() % 2 == 0 && xy.size() >= 6, "polygon: ", xy.size(), " coordinates, not three or more (x, y) pairs");
  shapes_.push_back({Shape::polygon, xy, fill, 1, opacity});
}

void Figure::circle(double cx, double cy, double r, Rgb fill, double opacity, const std::string& tip, int64_t key) {
  Shape s{Shape::circle, {cx, cy, r}, fill, 1, opacity};
  s.str = tip, s.key = key;
  shapes_.push_back(s);
}

void Figure::text(double x, double y, const std::string& str, Rgb color, double size, Anchor anchor, bool bold, double angle) {
  Shape s{Shape::text, {x, y}, color};
  s.size = size, s.anchor = anchor, s.bold = bold, s.angle = angle, s.str = str;
  shapes_.push_back(s);
}

void Figure::add(const Figure& other, double dx, double dy) {
  for (Shape s : other.shapes_) {
    for (size_t i = 0; i + 1 < s.xy.size(); i += 2) s.xy[i] += dx, s.xy[i + 1] += dy;
    shapes_.push_back(s);
  }
}

std::vector<std::string> Figure::texts() const {
  std::vector<std::string> out;
  for (const Shape& s : shapes_)
    if (s.kind == Shape::text) out.push_back(s.str);
  return out;
}

double text_extent(const std::string& s, double size, bool bold) { return text_width(s, size, bold); }

// ---- SVG -----------------------------------------------------------------------------------------

namespace {

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  std::string s = b;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s == "-0" ? "0" : s;
}

std::string hex(Rgb c) {
  auto byte = [](float v) { return int(std::lround(std::fmin(std::fmax(v, 0.f), 1.f) * 255)); };
  char b[8];
  std::snprintf(b, sizeof b, "#%02x%02x%02x", byte(c.r), byte(c.g), byte(c.b));
  return b;
}

std::string xml(const std::string& raw) {
  const std::string s = clean_utf8(raw);
  std::string o;
  for (char c : s) o += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '"' ? "&quot;" : std::string(1, c);
  return o;
}

const char* anchor_name(Anchor a) { return a == Anchor::start ? "start" : a == Anchor::middle ? "middle" : "end"; }

}  // namespace

std::string Figure::svg() const {
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width) << "\" height=\"" << num(height) << "\" viewBox=\"0 0 "
    << num(width) << " " << num(height) << "\" font-family=\"DejaVu Sans, Verdana, sans-serif\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  for (const Shape& s : shapes_) {
    const auto& p = s.xy;
    char alpha[48];
    std::snprintf(alpha, sizeof alpha, " fill-opacity=\"%.2f\"", s.opacity);
    const std::string opacity = s.opacity < 1 ? alpha : "";
    switch (s.kind) {
      case Shape::rect:
        o << "<rect x=\"" << num(std::fmin(p[0], p[2])) << "\" y=\"" << num(std::fmin(p[1], p[3])) << "\" width=\""
          << num(std::fabs(p[2] - p[0])) << "\" height=\"" << num(std::fabs(p[3] - p[1])) << "\" fill=\"" << hex(s.color) << "\""
          << opacity << "/>\n";
        break;
      case Shape::line:
        o << "<line x1=\"" << num(p[0]) << "\" y1=\"" << num(p[1]) << "\" x2=\"" << num(p[2]) << "\" y2=\"" << num(p[3])
          << "\" stroke=\"" << hex(s.color) << "\" stroke-width=\"" << num(s.width) << "\""
          << (s.dashed ? " stroke-dasharray=\"5 4\"" : "") << "/>\n";
        break;
      case Shape::polyline:
        o << "<polyline fill=\"none\" stroke=\"" << hex(s.color) << "\" stroke-width=\"" << num(s.width)
          << "\" stroke-linejoin=\"round\" points=\"";
        for (size_t i = 0; i < p.size(); i += 2) o << (i ? " " : "") << num(p[i]) << "," << num(p[i + 1]);
        o << "\"/>\n";
        break;
      case Shape::polygon:
        o << "<polygon fill=\"" << hex(s.color) << "\"" << opacity << " points=\"";
        for (size_t i = 0; i < p.size(); i += 2) o << (i ? " " : "") << num(p[i]) << "," << num(p[i + 1]);
        o << "\"/>\n";
        break;
      case Shape::circle:
        o << "<circle cx=\"" << num(p[0]) << "\" cy=\"" << num(p[1]) << "\" r=\"" << num(p[2]) << "\" fill=\"" << hex(s.color) << "\""
          << opacity << (s.key >= 0 ? " data-key=\"" + std::to_string(s.key) + "\"" : "");
        if (s.str.empty()) o << "/>\n";
        else o << "><title>" << xml(s.str) << "</title></circle>\n";
        break;
      case Shape::text:
        o << "<text x=\"" << num(p[0]) << "\" y=\"" << num(p[1]) << "\" font-size=\"" << num(s.size) << "\" fill=\"" << hex(s.color)
          << "\"" << (s.anchor != Anchor::start ? std::string(" text-anchor=\"") + anchor_name(s.anchor) + "\"" : "")
          << (s.bold ? " font-weight=\"bold\"" : "")
          << (s.angle != 0 ? " transform=\"rotate(" + num(s.angle) + " " + num(p[0]) + " " + num(p[1]) + ")\"" : "") << ">"
          << xml(s.str) << "</text>\n";
        break;
    }
  }
  o << "</svg>\n";
  return o.str();
}

// ---- raster --------------------------------------------------------------------------------------

namespace {

// Even-odd fill, sampled at each pixel's centre: the crossings of its row with the edges, paired.
void fill_polygon(Canvas& c, const std::vector<double>& p, Rgb color, double opacity) {
  double top = INFINITY, bottom = -INFINITY;
  for (size_t i = 1; i < p.size(); i += 2) top = std::fmin(top, p[i]), bottom = std::fmax(bottom, p[i]);
  const size_t n = p.size() / 2;
  for (int64_t y = int64_t(std::floor(top)); y <= int64_t(std::ceil(bottom)); ++y) {
    const double cy = double(y) + 0.5;
    std::vector<double> xs;
    for (size_t i = 0; i < n; ++i) {
      const size_t j = (i + 1) % n;
      const double y0 = p[2 * i + 1], y1 = p[2 * j + 1];
      if ((y0 <= cy) != (y1 <= cy)) xs.push_back(p[2 * i] + (cy - y0) / (y1 - y0) * (p[2 * j] - p[2 * i]));
    }
    std::sort(xs.begin(), xs.end());
    for (size_t k = 0; k + 1 < xs.size(); k += 2) c.rect(std::round(xs[k]), double(y), std::round(xs[k + 1]), double(y + 1), color, opacity);
  }
}

}  // namespace

Canvas Figure::render() const {
  Canvas c(int64_t(std::ceil(width)), int64_t(std::ceil(height)));
  for (const Shape& s : shapes_) {
    const auto& p = s.xy;
    switch (s.kind) {
      case Shape::rect:
        c.rect(p[0], p[1], p[2], p[3], s.color, s.opacity);
        break;
      case Shape::line:
        if (!s.dashed) {
          c.line(p[0], p[1], p[2], p[3], s.color, s.width);
          break;
        }
        {  // 5 on, 4 off, as the SVG's dash array
          const double len = std::hypot(p[2] - p[0], p[3] - p[1]);
          for (double t = 0; t < len; t += 9) {
            const double a = t / len, b = std::fmin(t + 5, len) / len;
            c.line(p[0] + a * (p[2] - p[0]), p[1] + a * (p[3] - p[1]), p[0] + b * (p[2] - p[0]), p[1] + b * (p[3] - p[1]), s.color, s.width);
          }
        }
        break;
      case Shape::polyline:
        for (size_t i = 2; i + 1 < p.size(); i += 2) c.line(p[i - 2], p[i - 1], p[i], p[i + 1], s.color, s.width);
        break;
      case Shape::polygon:
        fill_polygon(c, p, s.color, s.opacity);
        break;
      case Shape::circle:
        c.disk(p[0], p[1], p[2], s.color, s.opacity);
        break;
      case Shape::text: {
        const double w = s.anchor == Anchor::start ? 0 : text_width(s.str, s.size, s.bold) * (s.anchor == Anchor::middle ? 0.5 : 1);
        const double rad = s.angle * M_PI / 180;
        c.text(p[0] - w * std::cos(rad), p[1] - w * std::sin(rad), s.str, s.color, s.size, s.bold, s.angle);
        break;
      }
    }
  }
  return c;
}

void save_png_and_svg(const Figure& f, const std::string& stem) {
  f.save(stem + ".png");
  f.save(stem + ".svg");
}

void Figure::save(const std::string& path) const {
  const bool svg_file = path.size() >= 4 && path.compare(path.size() - 4, 4, ".svg") == 0;
  if (svg_file) write_file_atomically(path, svg());
  else render().save(path);
}

}  // namespace easel
