// The rasteriser draws what it is asked to, where it is asked to.
#include "apps/pictures/plot.h"
#include "helpers.h"

using namespace easel;

namespace {
bool has_colour(const Tensor& img, Rgb c, double tol = 0.05) {
  const int64_t H = img.size(1), W = img.size(2);
  const float* p = img.data<float>();
  for (int64_t i = 0; i < H * W; ++i)
    if (std::abs(p[i] - c.r) < tol && std::abs(p[H * W + i] - c.g) < tol && std::abs(p[2 * H * W + i] - c.b) < tol) return true;
  return false;
}
}  // namespace

TEST_CASE("canvas: rectangles, anti-aliased lines and text land on their pixels") {
  Canvas c(40, 30);
  c.rect(5, 5, 10, 8, {1, 0, 0});
  CHECK(c.image().at({0, 6, 7}) == 1);
  CHECK(c.image().at({1, 6, 7}) == 0);
  CHECK(c.image().at({1, 20, 20}) == 1);  // background untouched
  c.line(0, 20, 39, 20, {0, 0, 1}, 2);
  CHECK(c.image().at({2, 20, 15}) > 0.9);
  CHECK(c.image().at({0, 20, 15}) < 0.1);
  Canvas t(80, 20);
  t.text(2, 2, "08", {0, 0, 0});
  double ink = 0;
  for (double v : t.image().to_vector()) ink += 1 - v;
  CHECK(ink > 20);
  CHECK(Canvas::text_width("08") > Canvas::text_width("0"));
}

TEST_CASE("charts: series colours, confusion cells") {
  const Canvas c = line_chart("t", "x", "y", {{"a", {0, 1, 2}, {0, 1, 0}, palette(3)}}, 300, 200);
  CHECK(c.image().shape() == Shape{3, 200, 300});
  CHECK(has_colour(c.image(), palette(3)));
  CHECK_FALSE(has_colour(c.image(), palette(2)));
  CHECK(test::error_of([] { line_chart("loss", "x", "y", {{"train", {0, 1, 2}, {0, 1}, palette(0)}}); })
            .find("loss: series 'train' has 3 x and 2 y values") != std::string::npos);
  Series short_band{"b", {0, 1, 2}, {0, 1, 0}, palette(1), {-1, -1, -1}, {5}};  // hi too short: no band, no read past it
  CHECK(line_chart("t", "x", "y", {short_band}).image().size(0) == 3);
  const Canvas m = confusion_chart({{5, 0}, {1, 4}}, {"a", "b"});
  CHECK(m.image().size(0) == 3);
  CHECK(has_colour(m.image(), {0.15f, 0.4f, 0.75f}, 0.02));  // a full row's shade (the 5)
}
