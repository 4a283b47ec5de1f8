// A small rasteriser for the pictures Easel shows people: training curves, confusion matrices,
// ROC curves. A Canvas is an RGB image [3, H, W] in [0, 1]; text comes from stb_easy_font (scaled
// bitmap strokes), so no font files are needed. Charts are plain functions returning a Canvas.
#pragma once
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace easel {

struct Rgb {
  float r, g, b;
};

class Canvas {
 public:
  Canvas(int64_t width, int64_t height, Rgb background = {1, 1, 1});
  void rect(double x0, double y0, double x1, double y1, Rgb c);             // filled
  void line(double x0, double y0, double x1, double y1, Rgb c, double width = 1.5);  // anti-aliased
  void text(double x, double y, const std::string& s, Rgb c, double scale = 1.5);    // top-left anchor
  void disk(double cx, double cy, double r, Rgb c, double alpha = 1);                 // anti-aliased dot
  void paste(int64_t x, int64_t y, const Tensor& rgb);  // an image [3, h, w] (or [h, w] grey) in [0, 1]
  static double text_width(const std::string& s, double scale = 1.5);
  const Tensor& image() const { return img_; }
  void save(const std::string& png_path) const;

 private:
  void blend(int64_t x, int64_t y, Rgb c, double a);
  Tensor img_;
  float* px_;
  int64_t w_, h_;
};

struct Series {
  std::string name;
  std::vector<double> x, y;
  Rgb color;
  std::vector<double> lo, hi;  // optional band around y (e.g. mean ± std over trials), drawn shaded
};

// Lines on shared axes with ticks, labels and a legend. Empty ranges are widened.
Canvas line_chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                  const std::vector<Series>& series, int64_t width = 640, int64_t height = 400);
// Counts as a heat map with the numbers written in, each cell shaded by its share of its row (or of
// its column); columns are numbered, with a key below when they are not the rows.
Canvas count_heatmap(const std::string& title, const std::vector<std::vector<int64_t>>& m,
                     const std::vector<std::string>& rows, const std::vector<std::string>& columns, bool by_column);
// count_heatmap with rows true, columns predicted.
Canvas confusion_chart(const std::vector<std::vector<int64_t>>& m, const std::vector<std::string>& classes);

// Points coloured by class, with a legend (t-SNE maps); the axes carry no units.
Canvas scatter_chart(const std::string& title, const std::vector<double>& x, const std::vector<double>& y,
                     const std::vector<int64_t>& labels, const std::vector<std::string>& classes, int64_t size = 560);
// Bars with error whiskers (mean ± std), one group per name, one colour per series.
struct BarSeries {
  std::string name;
  std::vector<double> mean, err;  // one per group
};
Canvas bar_chart(const std::string& title, const std::string& ylabel, const std::vector<std::string>& groups,
                 const std::vector<BarSeries>& series, int64_t width = 720, int64_t height = 420);
// Images laid out in rows of `columns`, each scaled to `tile` pixels wide and captioned below.
struct Tile {
  Tensor image;                      // [3, h, w] or [h, w] in [0, 1]
  std::vector<std::string> caption;  // lines
  Rgb caption_color{0.15f, 0.15f, 0.15f};
};
Canvas image_grid(const std::string& title, const std::vector<Tile>& tiles, int64_t columns, int64_t tile = 128);

Rgb palette(size_t i);  // distinct line colours

}  // namespace easel
