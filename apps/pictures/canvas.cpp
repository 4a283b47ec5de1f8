#include "apps/pictures/canvas.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "apps/pictures/font.h"
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

// Every pixel the rectangle touches (hard edges: the generated paintings rely on it).
void Canvas::rect(double x0, double y0, double x1, double y1, Rgb c, double alpha) {
  for (int64_t y = int64_t(std::floor(std::min(y0, y1))); y < int64_t(std::ceil(std::max(y0, y1))); ++y)
    for (int64_t x = int64_t(std::floor(std::min(x0, x1))); x < int64_t(std::ceil(std::max(x0, x1))); ++x) blend(x, y, c, alpha);
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

// The text's coverage mask, placed with its baseline at y; for a turned text each canvas pixel
// near it samples the mask at its un-turned position (bilinear).
void Canvas::text(double x, double y, const std::string& s, Rgb c, double px, bool bold, double angle) {
  const TextMask m = render_text(s, px, bold);
  auto coverage = [&](double mx, double my) {  // mask coordinates, pixel centres at +0.5
    const double fx = mx - 0.5, fy = my - 0.5;
    const int64_t ix = int64_t(std::floor(fx)), iy = int64_t(std::floor(fy));
    double a = 0;
    for (int dy = 0; dy < 2; ++dy)
      for (int dx = 0; dx < 2; ++dx) {
        const int64_t qx = ix + dx, qy = iy + dy;
        if (qx < 0 || qy < 0 || qx >= m.width || qy >= m.height) continue;
        a += (dx ? fx - double(ix) : 1 - (fx - double(ix))) * (dy ? fy - double(iy) : 1 - (fy - double(iy))) *
             m.alpha[size_t(qy * m.width + qx)];
      }
    return a;
  };
  const double ox = x - double(m.left), oy = y - double(m.baseline);  // the mask's top left, un-turned
  if (angle == 0) {
    const int64_t x0 = int64_t(std::lround(ox)), y0 = int64_t(std::lround(oy));
    for (int64_t j = 0; j < m.height; ++j)
      for (int64_t i = 0; i < m.width; ++i) blend(x0 + i, y0 + j, c, m.alpha[size_t(j * m.width + i)]);
    return;
  }
  const double rad = angle * M_PI / 180, cs = std::cos(rad), sn = std::sin(rad);
  const double reach = std::hypot(double(m.width), double(m.height)) + 2;
  for (int64_t py = int64_t(std::floor(y - reach)); py <= int64_t(std::ceil(y + reach)); ++py)
    for (int64_t qx = int64_t(std::floor(x - reach)); qx <= int64_t(std::ceil(x + reach)); ++qx) {
      const double dx = double(qx) + 0.5 - x, dy = double(py) + 0.5 - y;  // turn back by -angle
      const double ux = dx * cs + dy * sn, uy = -dx * sn + dy * cs;
      const double a = coverage(ux + x - ox, uy + y - oy);
      if (a > 0) blend(qx, py, c, a);
    }
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

}  // namespace easel
