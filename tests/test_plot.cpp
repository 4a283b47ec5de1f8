// Pictures: the rasteriser draws what it is asked to, where it is asked to; charts say what they
// show (nice ticks inside the quantity's range, class names on both axes, legends off the data),
// and their SVG and PNG come from one description.
#include <algorithm>
#include <cmath>

#include "apps/pictures/font.h"
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
int64_t count(const std::string& s, const std::string& what) {
  int64_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}
bool has_text(const Figure& f, const std::string& s) {
  const auto t = f.texts();
  return std::find(t.begin(), t.end(), s) != t.end();
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
  // Text sits on its baseline: ink above y = 16, none below the descender line.
  Canvas t(80, 24);
  t.text(2, 16, "08", {0, 0, 0}, 14);
  double above = 0, below = 0;
  for (int64_t y = 0; y < 24; ++y)
    for (int64_t x = 0; x < 80; ++x) (y < 17 ? above : below) += 1 - t.image().at({0, y, x});
  CHECK(above > 20);
  CHECK(below < 1);
  CHECK(text_extent("08") > text_extent("0"));
  CHECK(text_extent("abstract", 24) == doctest::Approx(2 * text_extent("abstract", 12)).epsilon(0.02));
  // Turned by -90°, the text runs upwards from (20, 70): ink in a narrow column above that point.
  Canvas r(40, 80);
  r.text(20, 70, "figurative", {0, 0, 0}, 12, false, -90);
  double inside = 0, outside = 0;
  for (int64_t y = 0; y < 80; ++y)
    for (int64_t x = 0; x < 40; ++x) (x >= 6 && x <= 22 && y <= 71 ? inside : outside) += 1 - r.image().at({0, y, x});
  CHECK(inside > 30);
  CHECK(outside < inside * 0.02);
}

TEST_CASE("font: TrueType glyphs, anti-aliased, when the Debian font is installed") {
  const TextMask m = render_text("Paintings", 13);
  int64_t partial = 0, full = 0;
  for (float a : m.alpha) partial += a > 0.1f && a < 0.9f, full += a >= 0.9f;
  CHECK(full > 10);
  if (font_description().find("TrueType") == std::string::npos) {
    MESSAGE("no font file: " << font_description());
    return;
  }
  CHECK(partial > 10);  // grey edge pixels: real outlines, not the stroke stand-in
  CHECK(text_extent("±") > 0);
}

TEST_CASE("ticks: 1-2-5 steps, printed with the decimals the step needs") {
  CHECK(nice_ticks(0.0711, 1.05, 5) == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1, 1.2000000000000002});
  CHECK(nice_ticks(1, 6, 6) == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(nice_ticks(0, 0.013, 5) == std::vector<double>{0, 0.002, 0.004, 0.006, 0.008, 0.01, 0.012, 0.014});
  CHECK(tick_text(0.6000000000000001, 0.2) == "0.6");
  CHECK(tick_text(0.05, 0.05) == "0.05");
  CHECK(tick_text(100, 50) == "100");
  CHECK(tick_text(-1e-17, 0.1) == "0.0");
  CHECK(tick_text(3e-5, 1e-5) == "3e-05");
  CHECK(tick_text(0.000112, 2e-6) != tick_text(0.000114, 2e-6));  // tiny steps keep neighbours apart
  CHECK(tick_text(1.05e8, 5e6) == "1.05e+08");
}

TEST_CASE("charts: axes stay inside the quantity's range, the legend off the data") {
  // An accuracy curve from 0.07 to 1.05 (a bad input) on [0, 1]: no tick outside it.
  const Figure f = line_chart("acc", "epoch", "accuracy", {{"val accuracy", {1, 2, 3}, {0.0711, 0.5, 1.05}, palette(3)}}, 300, 220, {},
                              kUnit);
  CHECK(has_text(f, "0.0"));
  CHECK(has_text(f, "1.0"));
  CHECK_FALSE(has_text(f, "1.2"));
  CHECK_FALSE(has_text(f, "0.0711"));
  double plot_top = 1e9, legend_bottom = 0;
  for (const auto& s : f.shapes()) {
    if (s.kind == Figure::Shape::line && s.xy[1] == s.xy[3] && s.color.r > 0.8f) plot_top = std::min(plot_top, s.xy[1]);  // grid
    if (s.kind == Figure::Shape::rect && s.color.r == palette(3).r) legend_bottom = std::max(legend_bottom, s.xy[3]);  // swatch
  }
  CHECK(legend_bottom > 0);
  CHECK(legend_bottom < plot_top);
  for (const auto& s : f.shapes())
    if (s.kind == Figure::Shape::polyline)
      for (size_t i = 1; i < s.xy.size(); i += 2) CHECK(s.xy[i] >= plot_top - 1e-9);  // 1.05 drawn at the top, not above
  // The PNG and the SVG come from the same shapes.
  const Canvas png = f.render();
  CHECK(png.image().shape() == Shape{3, 220, 300});
  CHECK(has_colour(png.image(), palette(3)));
  CHECK_FALSE(has_colour(png.image(), palette(2)));
  const std::string svg = f.svg();
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"220\"", 0) == 0);
  CHECK(svg.find("<polyline fill=\"none\" stroke=\"#d62629\"") != std::string::npos);
  CHECK(svg.find(">val accuracy</text>") != std::string::npos);
  CHECK(svg.find("rotate(-90 ") != std::string::npos);  // the y axis's name, turned
  CHECK(test::error_of([] { line_chart("loss", "x", "y", {{"train", {0, 1, 2}, {0, 1}, palette(0)}}); })
            .find("loss: series 'train' has 3 x and 2 y values") != std::string::npos);
  Series short_band{"b", {0, 1, 2}, {0, 1, 0}, palette(1), {-1, -1, -1}, {5}};  // hi too short: no band, no read past it
  CHECK(line_chart("t", "x", "y", {short_band}).render().image().size(0) == 3);
}

TEST_CASE("confusion chart: class names on both axes, counts and row shares, escaped in SVG") {
  const Figure m = confusion_chart({{38, 2}, {1, 4}}, {"abstract", "figurative <1900>"});
  const std::string svg = m.svg();
  CHECK(count(svg, ">abstract</text>") == 2);  // a row and a column
  CHECK(count(svg, ">figurative &lt;1900&gt;</text>") == 2);
  CHECK(svg.find(">38</text>") != std::string::npos);
  CHECK(svg.find(">95%</text>") != std::string::npos);  // 38 of the 40 abstract paintings
  CHECK(svg.find(">20%</text>") != std::string::npos);  // 1 of 5
  CHECK(has_text(m, "true class"));
  CHECK(has_text(m, "predicted class"));
  CHECK(has_colour(m.render().image(), {0.15f, 0.4f, 0.75f}, 0.08));  // a nearly full row's shade
  CHECK(test::error_of([] { confusion_chart({{1, 2}}, {"a", "b"}); }).find("1 rows of counts for 2 row names") != std::string::npos);
}

TEST_CASE("SVG text: malformed UTF-8 and control characters become U+FFFD; cut names end on whole characters") {
  CHECK(clean_utf8("caf\xC3\xA9") == "caf\xC3\xA9");            // é kept
  CHECK(clean_utf8("caf\xE9.jpg") == "caf\xEF\xBF\xBD.jpg");     // Latin-1 é: one replacement, the rest kept
  CHECK(clean_utf8("a\x01" "b\xC3") == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");  // a control character, a cut sequence
  Figure f{100, 40};
  f.text(0, 20, "\xFFx<y", {0, 0, 0});
  CHECK(f.svg().find(">\xEF\xBF\xBDx&lt;y</text>") != std::string::npos);
  const Figure m = confusion_chart({{1, 0}, {0, 1}}, {"Éléphants roses dans un paysage très très très long " + std::string(40, 'x'), "b"});
  for (const std::string& t : m.texts()) CHECK(clean_utf8(t) == t);  // every cut name is still valid UTF-8
  // Turned column names hang down-left of their column: none starts left of the picture.
  for (const auto& s : m.shapes())
    if (s.kind == Figure::Shape::text && s.angle != 0 && s.anchor == Anchor::end)
      CHECK(s.xy[0] - text_extent(s.str, s.size) * std::cos(40 * M_PI / 180) >= 0);
}

TEST_CASE("scatter: hover titles and keys for the report's script") {
  const Figure s = scatter_chart("t", {0, 1}, {0, 1}, {0, 1}, {"a", "b"}, 200, {"one.jpg", "two & three.jpg"});
  const std::string svg = s.svg();
  CHECK(svg.find("data-key=\"1\"><title>two &amp; three.jpg</title></circle>") != std::string::npos);
  Figure both{400, 200};
  both.add(s, 200, 0);
  CHECK(both.shapes().size() == s.shapes().size());
  CHECK(both.shapes().back().xy[0] == doctest::Approx(s.shapes().back().xy[0] + 200));
}
