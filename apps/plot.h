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
};

// Lines on shared axes with ticks, labels and a legend. Empty ranges are widened.
Canvas line_chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                  const std::vector<Series>& series, int64_t width = 640, int64_t height = 400);
// Counts as a heat map with the numbers written in; rows true, columns predicted.
Canvas confusion_chart(const std::vector<std::vector<int64_t>>& m, const std::vector<std::string>& classes);

Rgb palette(size_t i);  // distinct line colours

}  // namespace easel
