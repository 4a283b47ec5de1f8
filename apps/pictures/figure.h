// A chart as a list of shapes in pixel coordinates (origin top left, y down). One description,
// two outputs: svg() writes vector SVG (crisp at any zoom, selectable text, hover titles: the
// HTML report inlines it) and render() rasterises the same shapes onto a Canvas for PNG files.
#pragma once
#include <string>
#include <vector>

#include "apps/pictures/canvas.h"

namespace easel {

enum class Anchor { start, middle, end };  // where a text's x is: its left end, centre or right end

class Figure {
 public:
  Figure(double width, double height) : width(width), height(height) {}
  double width, height;

  void rect(double x0, double y0, double x1, double y1, Rgb fill, double opacity = 1);
  void line(double x0, double y0, double x1, double y1, Rgb stroke, double width = 1, bool dashed = false);
  void polyline(const std::vector<double>& xy, Rgb stroke, double width = 2);  // x0, y0, x1, y1, ...
  void polygon(const std::vector<double>& xy, Rgb fill, double opacity = 1);    // filled, even-odd
  // A dot; `tip` shows on hover in SVG (a <title>), `key` (>= 0) becomes data-key for a page's script.
  void circle(double cx, double cy, double r, Rgb fill, double opacity = 1, const std::string& tip = "", int64_t key = -1);
  // `s` (UTF-8) with its baseline at y, turned by `angle` degrees (clockwise) about (x, y).
  void text(double x, double y, const std::string& s, Rgb color, double size = 12, Anchor anchor = Anchor::start,
            bool bold = false, double angle = 0);

  void add(const Figure& other, double dx, double dy);  // its shapes, moved by (dx, dy)

  std::string svg() const;  // a standalone <svg> element
  Canvas render() const;
  void save(const std::string& path) const;  // .svg: svg(); anything else: a PNG of render()

  struct Shape {
    enum Kind { rect, line, polyline, polygon, circle, text } kind;
    std::vector<double> xy;  // rect: x0 y0 x1 y1; line: x0 y0 x1 y1; polyline, polygon: points; circle: cx cy r; text: x y
    Rgb color;
    double width = 1, opacity = 1, size = 12, angle = 0;
    bool dashed = false, bold = false;
    Anchor anchor = Anchor::start;
    std::string str;  // the text, or a circle's tip
    int64_t key = -1;
  };
  const std::vector<Shape>& shapes() const { return shapes_; }
  // Every text of the figure, in drawing order (what a reader of the SVG finds).
  std::vector<std::string> texts() const;

 private:
  std::vector<Shape> shapes_;
};

// STEM.png and STEM.svg: the PNG for people and tools, the SVG for the HTML report.
void save_png_and_svg(const Figure& f, const std::string& stem);

// How wide `s` is when set at `size` pixels (the same metrics for SVG and PNG).
double text_extent(const std::string& s, double size = 12, bool bold = false);

}  // namespace easel
