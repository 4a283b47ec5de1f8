// Text for the rasterised pictures (PNG files): glyphs of a TrueType font that a Debian package
// ships — DejaVu Sans from fonts-dejavu-core, or the .ttf named by EASEL_FONT — drawn by
// stb_truetype with anti-aliasing at any pixel size. The SVG pictures name the same family, so a
// browser sets the same letters at the same widths. Without a font file, stb_easy_font's stroke
// letters stand in (legible, blocky) and font_description() says so.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace easel {

// `text` (UTF-8) set at `px` pixels per em as a coverage mask: alpha in [0, 1], row-major
// width × height, the baseline `baseline` rows from the top, the pen starting at column `left`.
struct TextMask {
  int64_t width = 0, height = 0, baseline = 0, left = 0;
  std::vector<float> alpha;
};
TextMask render_text(const std::string& text, double px, bool bold = false);

double text_width(const std::string& text, double px, bool bold = false);  // the pen's advance, pixels
std::string font_description();
// `s` with each malformed UTF-8 sequence and control character (but tab and newline) replaced by
// U+FFFD: what SVG text may hold (file names need not be UTF-8).
std::string clean_utf8(const std::string& s);  // "DejaVu Sans (/usr/share/fonts/...)" or the stand-in's name and why

}  // namespace easel
