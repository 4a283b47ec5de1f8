// A small rasteriser: an RGB image [3, H, W] in [0, 1] with anti-aliased lines, dots and text
// (apps/pictures/font.h). Figures render onto it for PNG files; the generated paintings and the
// image galleries draw on it directly.
#pragma once
#include <string>

#include "tensor/tensor.h"

namespace easel {

struct Rgb {
  float r, g, b;
};

class Canvas {
 public:
  Canvas(int64_t width, int64_t height, Rgb background = {1, 1, 1});
  void rect(double x0, double y0, double x1, double y1, Rgb c, double alpha = 1);   // filled
  void line(double x0, double y0, double x1, double y1, Rgb c, double width = 1.5);  // anti-aliased
  // `s` (UTF-8) at `px` pixels per em, its baseline at y, the pen starting at x; turned by
  // `angle` degrees clockwise about (x, y).
  void text(double x, double y, const std::string& s, Rgb c, double px = 12, bool bold = false, double angle = 0);
  void disk(double cx, double cy, double r, Rgb c, double alpha = 1);  // anti-aliased dot
  void paste(int64_t x, int64_t y, const Tensor& rgb);  // an image [3, h, w] (or [h, w] grey) in [0, 1]
  int64_t width() const { return w_; }
  int64_t height() const { return h_; }
  const Tensor& image() const { return img_; }
  void save(const std::string& png_path) const;

 private:
  void blend(int64_t x, int64_t y, Rgb c, double a);
  Tensor img_;
  float* px_;
  int64_t w_, h_;
};

}  // namespace easel
