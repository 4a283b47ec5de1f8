#include "apps/pictures/paintings.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "apps/pictures/plot.h"
#include "autograd/ops.h"
#include "io/image.h"

namespace easel {

namespace {

Rgb random_color(Generator& g, double lo = 0.05, double hi = 0.95) {
  return {float(g.uniform(lo, hi)), float(g.uniform(lo, hi)), float(g.uniform(lo, hi))};
}

Rgb mix(Rgb a, Rgb b, double t) {
  return {float(a.r + (b.r - a.r) * t), float(a.g + (b.g - a.g) * t), float(a.b + (b.b - a.b) * t)};
}

// A filled triangle from horizontal spans.
void triangle(Canvas& c, double x0, double y0, double x1, double y1, double x2, double y2, Rgb col) {
  const double top = std::min({y0, y1, y2}), bottom = std::max({y0, y1, y2});
  for (double y = std::floor(top); y <= bottom; y += 1) {
    double lo = INFINITY, hi = -INFINITY;
    const double xs[3] = {x0, x1, x2}, ys[3] = {y0, y1, y2};
    for (int e = 0; e < 3; ++e) {
      const double ax = xs[e], ay = ys[e], bx = xs[(e + 1) % 3], by = ys[(e + 1) % 3];
      if ((y + 0.5 - ay) * (y + 0.5 - by) > 0 || ay == by) continue;
      const double x = ax + (y + 0.5 - ay) / (by - ay) * (bx - ax);
      lo = std::min(lo, x), hi = std::max(hi, x);
    }
    if (lo <= hi) c.rect(lo, y, hi, y + 1, col);
  }
}

// Brush texture: every pixel jittered a little, in whole-image blocks so it reads as canvas grain.
Tensor textured(const Canvas& c, Generator& g) {
  const Tensor& img = c.image();
  const Tensor noise = Tensor::normal(img.shape(), 0, 0.035, DType::f32, &g);
  return clamp(img + noise, 0, 1);
}

void stroke(Canvas& c, Generator& g, double S) {
  const Rgb col = random_color(g);
  double x = g.uniform(0, S), y = g.uniform(0, S), angle = g.uniform(0, 6.2832);
  const double width = g.uniform(0.02, 0.07) * S, step = S * 0.06;
  const int64_t n = 6 + g.randint(10);
  for (int64_t k = 0; k < n; ++k) {
    angle += g.uniform(-0.7, 0.7);
    const double nx = x + std::cos(angle) * step, ny = y + std::sin(angle) * step;
    c.line(x, y, nx, ny, col, width);
    x = nx, y = ny;
  }
}

void figure(Canvas& c, Generator& g, double x, double ground, double h) {
  const Rgb col = random_color(g, 0.0, 0.45), skin = mix({0.93f, 0.75f, 0.6f}, {0.45f, 0.3f, 0.2f}, g.uniform());
  const double head = h * 0.13, w = std::max(1.5, h * 0.07);
  const double hip = ground - h * 0.45, shoulder = ground - h * 0.78;
  c.line(x, hip, x - h * 0.12, ground, col, w);        // legs
  c.line(x, hip, x + h * 0.12, ground, col, w);
  triangle(c, x, shoulder, x - h * 0.14, hip + h * 0.05, x + h * 0.14, hip + h * 0.05, col);  // body
  const double arm = g.uniform(-0.4, 0.4);
  c.line(x, shoulder + h * 0.04, x - h * 0.22, shoulder + h * (0.2 + arm), col, w * 0.8);     // arms
  c.line(x, shoulder + h * 0.04, x + h * 0.22, shoulder + h * (0.2 - arm), col, w * 0.8);
  c.disk(x, shoulder - head, head, skin);             // head
}

void tree(Canvas& c, Generator& g, double x, double ground, double h) {
  c.rect(x - h * 0.05, ground - h * 0.5, x + h * 0.05, ground, {0.35f, 0.22f, 0.1f});
  const Rgb leaves = mix({0.1f, 0.45f, 0.12f}, {0.5f, 0.6f, 0.15f}, g.uniform());
  c.disk(x, ground - h * 0.62, h * 0.28, leaves);
  c.disk(x - h * 0.15, ground - h * 0.5, h * 0.18, mix(leaves, {0, 0, 0}, 0.15));
}

void house(Canvas& c, Generator& g, double x, double ground, double w) {
  const Rgb wall = random_color(g, 0.45, 0.95), roof = mix({0.6f, 0.15f, 0.1f}, {0.25f, 0.2f, 0.2f}, g.uniform());
  c.rect(x, ground - w * 0.7, x + w, ground, wall);
  triangle(c, x - w * 0.1, ground - w * 0.7, x + w * 1.1, ground - w * 0.7, x + w / 2, ground - w * 1.15, roof);
  c.rect(x + w * 0.15, ground - w * 0.5, x + w * 0.35, ground - w * 0.3, {0.2f, 0.3f, 0.5f});  // window
  c.rect(x + w * 0.55, ground - w * 0.4, x + w * 0.78, ground, {0.3f, 0.2f, 0.12f});           // door
}

}  // namespace

Tensor paint_abstract(int64_t size, Generator& g) {
  const double S = double(size);
  Canvas c(size, size, random_color(g));
  const int64_t fields = 2 + g.randint(3);
  for (int64_t k = 0; k < fields; ++k) {  // colour fields, soft edges from stacked slightly inset rects
    const Rgb col = random_color(g);
    const double x0 = g.uniform(-0.1, 0.6) * S, y0 = g.uniform(-0.1, 0.6) * S;
    const double x1 = x0 + g.uniform(0.3, 0.9) * S, y1 = y0 + g.uniform(0.2, 0.7) * S;
    const Rgb under = random_color(g);
    c.rect(x0 - 2, y0 - 2, x1 + 2, y1 + 2, mix(col, under, 0.5));
    c.rect(x0, y0, x1, y1, col);
  }
  const int64_t strokes = 3 + g.randint(6);
  for (int64_t k = 0; k < strokes; ++k) stroke(c, g, S);
  const int64_t splashes = g.randint(6);
  for (int64_t k = 0; k < splashes; ++k) c.disk(g.uniform(0, S), g.uniform(0, S), g.uniform(0.01, 0.05) * S, random_color(g));
  return textured(c, g);
}

Tensor paint_figurative(int64_t size, Generator& g) {
  const double S = double(size), horizon = g.uniform(0.4, 0.7) * S;
  const Rgb sky_top = mix({0.35f, 0.55f, 0.9f}, {0.95f, 0.6f, 0.4f}, g.uniform(0, 0.6));
  const Rgb ground = mix({0.3f, 0.55f, 0.2f}, {0.6f, 0.5f, 0.3f}, g.uniform());
  Canvas c(size, size, ground);
  for (int64_t y = 0; y < int64_t(horizon); ++y)  // sky: a vertical gradient
    c.rect(0, double(y), S, double(y + 1), mix(sky_top, {0.9f, 0.92f, 0.95f}, double(y) / horizon));
  c.disk(g.uniform(0.1, 0.9) * S, g.uniform(0.08, 0.3) * horizon + 4, g.uniform(0.04, 0.09) * S, {1.0f, 0.85f, 0.3f});
  const int64_t trees = g.randint(4);
  for (int64_t k = 0; k < trees; ++k) tree(c, g, g.uniform(0.05, 0.95) * S, horizon + g.uniform(0, 0.1) * S, g.uniform(0.2, 0.45) * S);
  if (g.uniform() < 0.6) house(c, g, g.uniform(0.05, 0.6) * S, horizon + g.uniform(0.02, 0.15) * S, g.uniform(0.2, 0.35) * S);
  const int64_t people = 1 + g.randint(3);
  for (int64_t k = 0; k < people; ++k) {
    const double base = g.uniform(horizon + 0.1 * S, 0.98 * S);
    figure(c, g, g.uniform(0.1, 0.9) * S, base, g.uniform(0.3, 0.55) * S * (0.5 + base / S / 2));
  }
  return textured(c, g);
}

PaintingSet write_painting_set(const std::string& dir, int64_t per_class, int64_t size, uint64_t seed, double wrong) {
  EASEL_CHECK(per_class > 0 && size >= 16, "paintings: need at least 1 image per class and 16 pixels, got ", per_class,
              " and ", size);
  PaintingSet out;
  for (const char* cls : {"abstract", "figurative"}) std::filesystem::create_directories(dir + "/" + cls);
  Generator g(seed);
  for (int64_t i = 0; i < per_class; ++i)
    for (int cls = 0; cls < 2; ++cls) {
      const Tensor img = cls == 0 ? paint_abstract(size, g) : paint_figurative(size, g);
      const bool flip = g.uniform() < wrong;
      const std::string name = std::string(cls == 0 ? "abstract" : "figurative") + "_" + std::to_string(i) + ".png";
      const std::string path = dir + "/" + ((cls == 0) != flip ? "abstract" : "figurative") + "/" + name;
      save_png(path, img);
      if (flip) out.mislabelled.push_back(path);
      ++out.images;
    }
  return out;
}

}  // namespace easel
