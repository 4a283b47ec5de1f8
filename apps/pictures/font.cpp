#include "apps/pictures/font.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>

#define STB_TRUETYPE_IMPLEMENTATION
#define STBTT_STATIC
#include <stb_truetype.h>
#include <stb_easy_font.h>

#include "io/file.h"
#include "tensor/error.h"

namespace easel {
namespace {

const char* kDejaVu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const char* kDejaVuBold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

struct Font {
  std::string path, bytes;
  stbtt_fontinfo info{};
  bool ok = false;
};

std::unique_ptr<Font> load_font(const std::string& path, bool must) {
  auto f = std::make_unique<Font>();
  f->path = path;
  if (!std::filesystem::exists(path)) {
    EASEL_CHECK(!must, "EASEL_FONT: no font file '", path, "'");
    return f;
  }
  f->bytes = read_file(path);
  const auto* data = reinterpret_cast<const unsigned char*>(f->bytes.data());
  const int offset = stbtt_GetFontOffsetForIndex(data, 0);
  f->ok = offset >= 0 && stbtt_InitFont(&f->info, data, offset) != 0;
  EASEL_CHECK(f->ok || !must, "EASEL_FONT: '", path, "' is not a TrueType font");
  return f;
}

// Loaded once; EASEL_FONT replaces both weights.
const Font& font(bool bold) {
  static const std::unique_ptr<Font> regular = [] {
    const char* env = std::getenv("EASEL_FONT");
    return env && *env ? load_font(env, true) : load_font(kDejaVu, false);
  }();
  static const std::unique_ptr<Font> heavy = [] {
    const char* env = std::getenv("EASEL_FONT");
    return env && *env ? load_font(env, true) : load_font(kDejaVuBold, false);
  }();
  return bold && heavy->ok ? *heavy : *regular;
}

// The length of the well-formed UTF-8 sequence at s[i] and its code point, or 0 when malformed
// (a stray continuation byte, a cut sequence, an overlong form, a surrogate, past U+10FFFF).
size_t utf8_at(const std::string& s, size_t i, int* cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  int v = n == 1 ? c : c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    v = v << 6 | (d & 0x3F);
  }
  static const int smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < smallest[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

// UTF-8 to code points; each malformed byte becomes U+FFFD.
std::vector<int> code_points(const std::string& s) {
  std::vector<int> out;
  for (size_t i = 0; i < s.size();) {
    int cp = 0;
    const size_t n = utf8_at(s, i, &cp);
    out.push_back(n ? cp : 0xFFFD);
    i += n ? n : 1;
  }
  return out;
}

// ---- the stand-in: stb_easy_font's strokes (ASCII only), 10 units per em ------------------------

std::string ascii(const std::string& s) {
  std::string out;
  for (int cp : code_points(s)) out += cp < 0x80 ? char(cp) : '?';
  return out;
}

TextMask easy_font_mask(const std::string& text, double px) {
  const double scale = px / 10;
  std::string copy = ascii(text);
  TextMask m;
  m.width = int64_t(std::ceil(stb_easy_font_width(copy.data()) * scale)) + 2;
  m.height = int64_t(std::ceil(11 * scale)) + 2;
  m.baseline = int64_t(std::ceil(7 * scale)) + 1;
  m.alpha.assign(size_t(m.width * m.height), 0.f);
  std::vector<char> buf(copy.size() * 300 + 64);  // ~270 bytes of quads per character at most
  const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buf.data(), int(buf.size()));
  const float* v = reinterpret_cast<const float*>(buf.data());
  for (int q = 0; q < quads; ++q) {  // each stroke is a convex quad: a pixel is in if all edges agree
    double qx[4], qy[4];
    for (int k = 0; k < 4; ++k) qx[k] = 1 + v[q * 16 + k * 4] * scale, qy[k] = 1 + v[q * 16 + k * 4 + 1] * scale;
    for (int64_t y = 0; y < m.height; ++y)
      for (int64_t x = 0; x < m.width; ++x) {
        const double cx = double(x) + 0.5, cy = double(y) + 0.5;
        int pos = 0, neg = 0;
        for (int k = 0; k < 4; ++k) {
          const double cr = (qx[(k + 1) % 4] - qx[k]) * (cy - qy[k]) - (qy[(k + 1) % 4] - qy[k]) * (cx - qx[k]);
          pos += cr >= 0, neg += cr <= 0;
        }
        if (pos == 4 || neg == 4) m.alpha[size_t(y * m.width + x)] = 1;
      }
  }
  m.left = 1;
  return m;
}

}  // namespace

double text_width(const std::string& text, double px, bool bold) {
  const Font& f = font(bold);
  if (!f.ok) {
    std::string copy = ascii(text);
    return stb_easy_font_width(copy.data()) * px / 10;
  }
  const float scale = stbtt_ScaleForMappingEmToPixels(&f.info, float(px));
  const std::vector<int> cps = code_points(text);
  double w = 0;
  for (size_t i = 0; i < cps.size(); ++i) {
    int advance = 0, lsb = 0;
    stbtt_GetCodepointHMetrics(&f.info, cps[i], &advance, &lsb);
    w += advance * scale;
    if (i + 1 < cps.size()) w += stbtt_GetCodepointKernAdvance(&f.info, cps[i], cps[i + 1]) * scale;
  }
  return w;
}

// Each glyph rendered at its sub-pixel pen position and added into one mask (glyphs may overlap
// by a pixel: coverage is summed and clipped, as a rasteriser would).
TextMask render_text(const std::string& text, double px, bool bold) {
  const Font& f = font(bold);
  if (!f.ok) return easy_font_mask(text, px);
  const float scale = stbtt_ScaleForMappingEmToPixels(&f.info, float(px));
  int ascent = 0, descent = 0, gap = 0;
  stbtt_GetFontVMetrics(&f.info, &ascent, &descent, &gap);
  TextMask m;
  m.left = 2;
  m.baseline = int64_t(std::ceil(ascent * scale)) + 1;
  m.height = m.baseline + int64_t(std::ceil(-descent * scale)) + 2;
  m.width = int64_t(std::ceil(text_width(text, px, bold))) + 2 * m.left + 2;
  m.alpha.assign(size_t(m.width * m.height), 0.f);
  const std::vector<int> cps = code_points(text);
  double pen = double(m.left);
  std::vector<unsigned char> glyph;
  for (size_t i = 0; i < cps.size(); ++i) {
    const int whole = int(std::floor(pen));
    const float shift = float(pen - whole);
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    stbtt_GetCodepointBitmapBoxSubpixel(&f.info, cps[i], scale, scale, shift, 0, &x0, &y0, &x1, &y1);
    const int gw = x1 - x0, gh = y1 - y0;
    if (gw > 0 && gh > 0) {
      glyph.assign(size_t(gw * gh), 0);
      stbtt_MakeCodepointBitmapSubpixel(&f.info, glyph.data(), gw, gh, gw, scale, scale, shift, 0, cps[i]);
      for (int y = 0; y < gh; ++y)
        for (int x = 0; x < gw; ++x) {
          const int64_t mx = whole + x0 + x, my = m.baseline + y0 + y;
          if (mx < 0 || my < 0 || mx >= m.width || my >= m.height) continue;
          float& a = m.alpha[size_t(my * m.width + mx)];
          a = std::min(1.f, a + glyph[size_t(y * gw + x)] / 255.f);
        }
    }
    int advance = 0, lsb = 0;
    stbtt_GetCodepointHMetrics(&f.info, cps[i], &advance, &lsb);
    pen += advance * scale;
    if (i + 1 < cps.size()) pen += stbtt_GetCodepointKernAdvance(&f.info, cps[i], cps[i + 1]) * scale;
  }
  return m;
}

std::string clean_utf8(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    int cp = 0;
    const size_t n = utf8_at(s, i, &cp);
    if (n == 0 || (cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7F) out += "\xEF\xBF\xBD", i += n ? n : 1;
    else out.append(s, i, n), i += n;
  }
  return out;
}

std::string font_description() {
  const Font& f = font(false);
  if (f.ok) return "TrueType font " + f.path;
  return std::string("stb_easy_font strokes (no font file at ") + kDejaVu + "; install fonts-dejavu-core or set EASEL_FONT)";
}

}  // namespace easel
