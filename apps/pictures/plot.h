// Charts: training curves, ROC curves, confusion matrices, t-SNE maps, bar charts. Each is a plain
// function returning a Figure (apps/pictures/figure.h) that becomes SVG or PNG. Axes carry ticks at
// 1-2-5 steps and never pass the range their quantity can take (Bounds); legends sit outside the
// plotted area. Image galleries are raster pictures: image_grid returns a Canvas.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "apps/pictures/canvas.h"
#include "apps/pictures/figure.h"

namespace easel {

struct Bounds {  // the values a quantity can take: an accuracy [0, 1], a loss [0, inf), epochs 1, 2, ...
  double lo = -INFINITY, hi = INFINITY;
  bool whole = false;  // it counts: ticks at whole numbers only
};
constexpr Bounds kUnit{0, 1}, kNonNegative{0, INFINITY}, kCount{0, INFINITY, true};

// About `target` tick values at a step of 1, 2 or 5 × 10^k, from the step's multiple at or below
// lo to the one at or above hi.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);
std::string tick_text(double v, double step);  // as many decimals as the step needs: 0.2, 0.05, 100

struct Series {
  std::string name;
  std::vector<double> x, y;
  Rgb color;
  std::vector<double> lo, hi;  // optional band around y (e.g. mean ± std over trials), drawn shaded
  bool dashed = false;         // a reference line (the diagonal of a ROC or reliability chart)
};

// Lines on shared axes, the legend in a row above them; a line of few points along x marks
// each point.
Figure line_chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                  const std::vector<Series>& series, int64_t width = 640, int64_t height = 400, Bounds x = {}, Bounds y = {});
// Counts as a heat map: each cell shaded by its share of its row (or of its column), the count
// written in with that share under it; rows and columns named.
Figure count_heatmap(const std::string& title, const std::vector<std::vector<int64_t>>& m, const std::vector<std::string>& rows,
                     const std::vector<std::string>& columns, bool by_column, const std::string& row_axis = "",
                     const std::string& column_axis = "");
// count_heatmap with rows true, columns predicted, shares of each true class.
Figure confusion_chart(const std::vector<std::vector<int64_t>>& m, const std::vector<std::string>& classes);

// Points coloured by class, with a legend beside them (t-SNE maps); the axes carry no units.
// tips[i] (optional) is point i's hover text; each point's data-key is its index.
Figure scatter_chart(const std::string& title, const std::vector<double>& x, const std::vector<double>& y,
                     const std::vector<int64_t>& labels, const std::vector<std::string>& classes, int64_t size = 560,
                     const std::vector<std::string>& tips = {});
// Bars with error whiskers (mean ± std), one group per name, one colour per series.
struct BarSeries {
  std::string name;
  std::vector<double> mean, err;  // one per group
};
Figure bar_chart(const std::string& title, const std::string& ylabel, const std::vector<std::string>& groups,
                 const std::vector<BarSeries>& series, int64_t width = 720, int64_t height = 420, Bounds y = kNonNegative);

// Images laid out in rows of `columns`, each scaled to `tile` pixels wide and captioned below.
struct Tile {
  Tensor image;                      // [3, h, w] or [h, w] in [0, 1]
  std::vector<std::string> caption;  // lines
  Rgb caption_color{0.15f, 0.15f, 0.15f};
};
Canvas image_grid(const std::string& title, const std::vector<Tile>& tiles, int64_t columns, int64_t tile = 128);

Rgb palette(size_t i);  // ten distinct colours (matplotlib's tab10), then again

}  // namespace easel
