#include "io/image.h"

#include <cmath>
#include <algorithm>
#include <vector>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#include <stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#include "autograd/ops.h"
#include "io/file.h"
#include "io/npz.h"
#include "tensor/random.h"
#include "tensor/strided.h"

namespace easel {

namespace {

void check_image(const Tensor& img, const char* op) {
  EASEL_CHECK(img.dim() == 3 && img.dtype() == DType::f32, op, ": expected an f32 image [C, H, W], got ", img.describe());
}

}  // namespace

Tensor load_image(const std::string& path) { return decode_image(read_file(path), path); }

namespace {

// PGM / PPM ("P5" / "P6"): stb reads the header numbers into an int without an overflow check, so
// they are checked here first: width, height and maxval, each at most 8 digits.
void check_pnm_header(const std::string& b, const std::string& path) {
  if (b.size() < 2 || b[0] != 'P' || (b[1] != '5' && b[1] != '6')) return;
  size_t i = 2;
  for (int field = 0; field < 3; ++field) {
    while (i < b.size() && (isspace(uint8_t(b[i])) || b[i] == '#')) {
      if (b[i] == '#') while (i < b.size() && b[i] != '\n' && b[i] != '\r') ++i;
      else ++i;
    }
    size_t digits = 0;
    while (i < b.size() && isdigit(uint8_t(b[i]))) ++i, ++digits;
    EASEL_CHECK(digits <= 8, path, ": PGM / PPM header number with ", digits, " digits (a corrupt file)");
  }
}

// Debian's stb (2.27) trusts a JPEG Huffman table's 16 code counts: when they add up to more than
// 256 it writes past its tables (found by tests/fuzz/fuzz_image.cpp; fixed upstream in 2.28). The
// markers are walked as stb walks them and such a table refused before stb reads the file.
void check_jpeg_huffman_tables(const std::string& bytes, const std::string& path) {
  const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  // stb takes fill bytes before the start-of-image marker too (FF FF FF D8 is a JPEG to it).
  size_t i = 0;
  while (i < n && b[i] == 0xFF) ++i;
  if (i < 1 || i >= n || b[i] != 0xD8) return;  // not a JPEG
  ++i;
  const auto at = [&](size_t k) -> size_t { return k < n ? b[k] : 0; };  // stb reads 0 past the end
  while (i + 1 < n) {
    const size_t m = b[i + 1];
    if (b[i] != 0xFF || m == 0xFF || m == 0x00 || m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7)) {
      ++i;  // entropy-coded data, fill bytes, stuffed zeros, markers without a length
      continue;
    }
    if (m == 0xD9) return;  // end of image
    const size_t length = at(i + 2) << 8 | at(i + 3);  // counts its own two bytes
    if (m == 0xC4) {  // define Huffman tables: [class/id, 16 counts, the symbols] ...
      int64_t left = int64_t(length) - 2;
      size_t p = i + 4;
      while (left > 0) {
        size_t codes = 0;
        for (size_t k = 1; k <= 16; ++k) codes += at(p + k);
        EASEL_CHECK(codes <= 256, path, ": corrupt JPEG: a Huffman table declares ", codes, " codes (at most 256)");
        left -= int64_t(17 + codes);
        p += 17 + codes;
      }
    }
    i += 2 + length;
  }
}

// The same stb, on PNG chunks (found by fuzz_image): when the first IDAT chunk is empty it hands
// memcpy a null pointer (undefined behaviour); and it grows its buffer to an IDAT chunk's declared
// length before reading it, so 100 bytes claiming a 4 GB chunk cost 4 GB. Encoders write neither:
// a first IDAT that is empty, or a chunk longer than the bytes left in the file, is refused.
void check_png_chunks(const std::string& bytes, const std::string& path) {
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  if (bytes.compare(0, 8, kSignature, 8) != 0) return;  // not a PNG
  const auto* b = reinterpret_cast<const uint8_t*>(bytes.data());
  bool seen_idat = false;
  for (size_t i = 8; i + 8 <= bytes.size();) {  // chunks: length (4, big-endian), type (4), data, CRC (4)
    const size_t length = size_t(b[i]) << 24 | size_t(b[i + 1]) << 16 | size_t(b[i + 2]) << 8 | b[i + 3];
    const bool idat = bytes.compare(i + 4, 4, "IDAT") == 0;
    EASEL_CHECK(!(idat && !seen_idat && length == 0), path, ": corrupt PNG: its first image data (IDAT) chunk is empty");
    EASEL_CHECK(length <= bytes.size() - (i + 8), path, ": corrupt PNG: a ", bytes.substr(i + 4, 4), " chunk claims ",
                length, " bytes; ", bytes.size() - (i + 8), " are left in the file");
    seen_idat = seen_idat || idat;
    if (bytes.compare(i + 4, 4, "IEND") == 0) return;
    i += 12 + length;
  }
}

}  // namespace

Tensor decode_image(const std::string& bytes, const std::string& path, int64_t max_pixels) {
  check_pnm_header(bytes, path);
  check_jpeg_huffman_tables(bytes, path);
  check_png_chunks(bytes, path);
  const auto* buf = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = int(std::min<size_t>(bytes.size(), size_t(1) << 30));
  EASEL_CHECK(bytes.size() == size_t(len), path, ": image file larger than 1 GiB");
  int w = 0, h = 0, c = 0;
  // Sizes first, from the header alone: a few hundred bytes can claim a picture that would take
  // gigabytes to decode or to resize.
  if (stbi_info_from_memory(buf, len, &w, &h, &c)) check_image_size(w, h, path, max_pixels);
  const bool sixteen = stbi_is_16_bit_from_memory(buf, len);
  // Debian's stb reads 16-bit PGM / PPM into a buffer sized for 8-bit samples and then reads past
  // its end (found by tests/fuzz/fuzz_image.cpp): such files are refused before stb decodes them.
  const bool pnm = bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '6');
  EASEL_CHECK(!(pnm && sixteen), path, ": 16-bit PGM / PPM images are not supported; convert to 16-bit PNG");
  void* data = sixteen ? static_cast<void*>(stbi_load_16_from_memory(buf, len, &w, &h, &c, 3))
                       : static_cast<void*>(stbi_load_from_memory(buf, len, &w, &h, &c, 3));
  EASEL_CHECK(data, path, ": cannot decode image (", stbi_failure_reason() ? stbi_failure_reason() : "unknown", ")");
  Tensor img;
  if (sixteen) {
    img = Tensor::empty({3, h, w});
    float* p = img.data<float>();
    const int64_t hw = int64_t(h) * w;
    for (int64_t i = 0; i < hw; ++i)
      for (int k = 0; k < 3; ++k) p[k * hw + i] = float(static_cast<uint16_t*>(data)[i * 3 + k]) / 65535.f;
  } else {
    img = image_from_rgb8(static_cast<uint8_t*>(data), w, h, int64_t(w) * 3);
  }
  stbi_image_free(data);
  return img;
}

void check_image_size(int64_t w, int64_t h, const std::string& where, int64_t max_pixels) {
  EASEL_CHECK(w > 0 && h > 0, where, ": ", w, "x", h, " pixels; both sides must be positive");
  EASEL_CHECK(w * h <= max_pixels, where, ": ", w, "x", h, " pixels is larger than Easel reads (",
              double(max_pixels) / 1e6, " megapixels at most)");
  EASEL_CHECK(std::max(w, h) <= kMaxImageAspect * std::min(w, h), where, ": ", w, "x", h,
              " pixels: an aspect ratio over ", kMaxImageAspect, ":1 is not a picture to classify");
}

Tensor image_from_rgb8(const uint8_t* pixels, int64_t w, int64_t h, int64_t stride) {
  Tensor img = Tensor::empty({3, h, w});
  float* p = img.data<float>();
  const int64_t hw = h * w;
  for (int64_t y = 0; y < h; ++y) {
    const uint8_t* row = pixels + y * stride;
    for (int64_t x = 0; x < w; ++x)
      for (int k = 0; k < 3; ++k) p[k * hw + y * w + x] = float(row[x * 3 + k]) / 255.f;
  }
  return img;
}

void save_png(const std::string& path, const Tensor& img) { write_file_atomically(path, encode_png(img, path)); }

namespace {

// [3, H, W] or [1, H, W] (or [H, W]) in [0, 1] as interleaved 8-bit RGB.
std::vector<uint8_t> rgb8(const Tensor& img_in, const char* op, int64_t* H, int64_t* W) {
  const Tensor img = img_in.dim() == 2 ? img_in.unsqueeze(0).expand({3, img_in.size(0), img_in.size(1)}) : img_in;
  check_image(img.to(DType::f32), op);
  const int64_t C = img.size(0);
  *H = img.size(1), *W = img.size(2);
  EASEL_CHECK(C == 3 || C == 1, op, ": need 1 or 3 channels, got ", C);
  std::vector<uint8_t> px(size_t(*H * *W * 3));
  for (int64_t y = 0; y < *H; ++y)
    for (int64_t x = 0; x < *W; ++x)
      for (int64_t k = 0; k < 3; ++k)
        px[size_t((y * *W + x) * 3 + k)] = uint8_t(std::lround(std::clamp(img.at({C == 3 ? k : 0, y, x}), 0.0, 1.0) * 255));
  return px;
}

void append_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), size_t(size));
}

}  // namespace

std::string encode_jpeg(const Tensor& img, int quality, const std::string& where) {
  int64_t H = 0, W = 0;
  const std::vector<uint8_t> px = rgb8(img, "encode_jpeg", &H, &W);
  std::string bytes;
  EASEL_CHECK(stbi_write_jpg_to_func(append_bytes, &bytes, int(W), int(H), 3, px.data(), quality) != 0, where,
              ": JPEG encoding failed");
  return bytes;
}

std::string encode_png(const Tensor& img, const std::string& where) {
  int64_t H = 0, W = 0;
  const std::vector<uint8_t> px = rgb8(img, "save_png", &H, &W);
  int len = 0;
  unsigned char* png = stbi_write_png_to_mem(px.data(), int(W * 3), int(W), int(H), 3, &len);
  EASEL_CHECK(png, where, ": PNG encoding failed");
  const std::string bytes(reinterpret_cast<char*>(png), size_t(len));
  STBIW_FREE(png);
  return bytes;
}

// One axis of a separable resample: weights of the input pixels for each output pixel.
static void resample_weights(int64_t in, int64_t out, bool antialias, std::vector<int64_t>* start,
                             std::vector<std::vector<float>>* weights) {
  const double scale = double(in) / double(out), fscale = antialias ? std::max(scale, 1.0) : 1.0;
  start->resize(size_t(out));
  weights->resize(size_t(out));
  for (int64_t i = 0; i < out; ++i) {
    const double center = (double(i) + 0.5) * scale;
    const int64_t lo = std::max<int64_t>(int64_t(std::floor(center - fscale)), 0);
    const int64_t hi = std::min<int64_t>(int64_t(std::ceil(center + fscale)), in);
    std::vector<float>& w = (*weights)[size_t(i)];
    double total = 0;
    for (int64_t x = lo; x < hi; ++x) {
      const double t = 1 - std::abs((double(x) + 0.5 - center) / fscale);
      w.push_back(float(std::max(t, 0.0)));
      total += w.back();
    }
    for (float& v : w) v = float(v / total);
    (*start)[size_t(i)] = lo;
  }
}

Tensor resize(const Tensor& img, int64_t oh, int64_t ow, bool antialias) {
  check_image(img, "resize");
  EASEL_CHECK(oh > 0 && ow > 0, "resize: target size must be positive, got ", oh, "x", ow);
  const int64_t C = img.size(0), H = img.size(1), W = img.size(2);
  std::vector<int64_t> sy, sx;
  std::vector<std::vector<float>> wy, wx;
  resample_weights(H, oh, antialias, &sy, &wy);
  resample_weights(W, ow, antialias, &sx, &wx);
  const Tensor src = dense(img);
  Tensor tmp = Tensor::zeros({C, H, ow}), out = Tensor::zeros({C, oh, ow});
  const float* s = src.data<float>();
  float* t = tmp.data<float>();
  for (int64_t c = 0; c < C; ++c)  // horizontal pass
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < ow; ++x) {
        float acc = 0;
        for (size_t k = 0; k < wx[size_t(x)].size(); ++k) acc += wx[size_t(x)][k] * s[(c * H + y) * W + sx[size_t(x)] + int64_t(k)];
        t[(c * H + y) * ow + x] = acc;
      }
  float* o = out.data<float>();
  for (int64_t c = 0; c < C; ++c)  // vertical pass
    for (int64_t y = 0; y < oh; ++y)
      for (size_t k = 0; k < wy[size_t(y)].size(); ++k) {
        const float w = wy[size_t(y)][k];
        const float* row = t + (c * H + sy[size_t(y)] + int64_t(k)) * ow;
        for (int64_t x = 0; x < ow; ++x) o[(c * oh + y) * ow + x] += w * row[x];
      }
  return out;
}

Tensor resize_shorter(const Tensor& img, int64_t size) {
  const int64_t H = img.size(1), W = img.size(2);
  if (H <= W) return resize(img, size, std::max<int64_t>(1, int64_t(double(W) * double(size) / double(H))));
  return resize(img, std::max<int64_t>(1, int64_t(double(H) * double(size) / double(W))), size);
}

Tensor crop(const Tensor& img, int64_t top, int64_t left, int64_t h, int64_t w) {
  check_image(img, "crop");
  EASEL_CHECK(top >= 0 && left >= 0 && top + h <= img.size(1) && left + w <= img.size(2), "crop: window (", top, ", ", left,
              ", ", h, "x", w, ") outside a ", img.size(1), "x", img.size(2), " image");
  return dense(img.slice(1, top, top + h).slice(2, left, left + w));
}

Tensor center_crop(const Tensor& img, int64_t h, int64_t w) {
  const int64_t H = img.size(1), W = img.size(2);
  if (H < h || W < w) {  // as torchvision: pad with zeros first
    const int64_t ph = std::max<int64_t>(0, h - H), pw = std::max<int64_t>(0, w - W);
    return center_crop(pad(img, {pw / 2, pw - pw / 2, ph / 2, ph - ph / 2}), h, w);
  }
  return crop(img, int64_t(std::lround((H - h) / 2.0)), int64_t(std::lround((W - w) / 2.0)), h, w);
}

Tensor pad_to_square(const Tensor& img) {
  const int64_t H = img.size(1), W = img.size(2), S = std::max(H, W);
  return pad(img, {(S - W) / 2, S - W - (S - W) / 2, (S - H) / 2, S - H - (S - H) / 2});
}

Tensor hflip(const Tensor& img) {
  check_image(img, "hflip");
  const Tensor src = dense(img);
  Tensor out = Tensor::empty(img.shape());
  const int64_t rows = img.size(0) * img.size(1), W = img.size(2);
  const float* s = src.data<float>();
  float* o = out.data<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t x = 0; x < W; ++x) o[r * W + x] = s[r * W + W - 1 - x];
  return out;
}

Tensor rotate(const Tensor& img, double degrees) {
  check_image(img, "rotate");
  const int64_t C = img.size(0), H = img.size(1), W = img.size(2);
  const double a = degrees * M_PI / 180, ca = std::cos(a), sa = std::sin(a), cy = (H - 1) / 2.0, cx = (W - 1) / 2.0;
  const Tensor src = dense(img);
  const float* s = src.data<float>();
  Tensor out = Tensor::zeros(img.shape());
  float* o = out.data<float>();
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      // inverse map: where in the source does output (y, x) come from (counter-clockwise rotation)
      const double dx = x - cx, dy = y - cy;
      const double sx = ca * dx - sa * dy + cx, sy = sa * dx + ca * dy + cy;
      const int64_t x0 = int64_t(std::floor(sx)), y0 = int64_t(std::floor(sy));
      const double fx = sx - x0, fy = sy - y0;
      for (int64_t c = 0; c < C; ++c) {
        double acc = 0;
        for (int dy2 = 0; dy2 < 2; ++dy2)
          for (int dx2 = 0; dx2 < 2; ++dx2) {
            const int64_t yy = y0 + dy2, xx = x0 + dx2;
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
            acc += (dy2 ? fy : 1 - fy) * (dx2 ? fx : 1 - fx) * s[(c * H + yy) * W + xx];
          }
        o[(c * H + y) * W + x] = float(acc);
      }
    }
  return out;
}

// Separable convolution of every channel with a 1-d kernel, reflect padding.
static Tensor separable(const Tensor& img, const std::vector<double>& k) {
  const int64_t C = img.size(0), H = img.size(1), W = img.size(2), r = int64_t(k.size()) / 2;
  auto reflect = [](int64_t i, int64_t n) {
    if (n == 1) return int64_t(0);
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
  };
  const Tensor src = dense(img);
  Tensor tmp = Tensor::empty(img.shape()), out = Tensor::empty(img.shape());
  const float* s = src.data<float>();
  float *t = tmp.data<float>(), *o = out.data<float>();
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        double acc = 0;
        for (int64_t j = -r; j <= r; ++j) acc += k[size_t(j + r)] * s[(c * H + y) * W + reflect(x + j, W)];
        t[(c * H + y) * W + x] = float(acc);
      }
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        double acc = 0;
        for (int64_t j = -r; j <= r; ++j) acc += k[size_t(j + r)] * t[(c * H + reflect(y + j, H)) * W + x];
        o[(c * H + y) * W + x] = float(acc);
      }
  return out;
}

Tensor gaussian_blur(const Tensor& img, int64_t kernel, double sigma) {
  check_image(img, "gaussian_blur");
  EASEL_CHECK(kernel > 0 && kernel % 2 == 1 && sigma > 0, "gaussian_blur: kernel must be odd and positive and sigma > 0, got ",
              kernel, " and ", sigma);
  std::vector<double> k(static_cast<size_t>(kernel));
  double total = 0;
  for (int64_t i = 0; i < kernel; ++i) {
    const double x = double(i - kernel / 2);
    k[size_t(i)] = std::exp(-x * x / (2 * sigma * sigma));
    total += k[size_t(i)];
  }
  for (double& v : k) v /= total;
  return separable(img, k);
}

Tensor sharpen(const Tensor& img, double amount) {
  const Tensor soft = separable(img, {0.25, 0.5, 0.25});
  return clamp(img + (img - soft) * amount, 0, 1);
}

Tensor adjust_brightness(const Tensor& img, double f) { return clamp(img * f, 0, 1); }

static Tensor grayscale(const Tensor& img) {  // ITU-R 601 luma, as torchvision
  return img.select(0, 0) * 0.299 + img.select(0, 1) * 0.587 + img.select(0, 2) * 0.114;
}

Tensor adjust_contrast(const Tensor& img, double f) {
  check_image(img, "adjust_contrast");
  const double m = mean(grayscale(img)).item();
  return clamp((img - m) * f + m, 0, 1);
}

Tensor adjust_saturation(const Tensor& img, double f) {
  check_image(img, "adjust_saturation");
  const Tensor g = grayscale(img).unsqueeze(0);
  return clamp(g + (img - g) * f, 0, 1);
}

Tensor add_gaussian_noise(const Tensor& img, double sigma, Generator& g) {
  return clamp(img + Tensor::normal(img.shape(), 0, sigma, DType::f32, &g), 0, 1);
}

Tensor random_resized_crop(const Tensor& img, int64_t size, double lo, double hi, Generator& g, double ratio_lo, double ratio_hi) {
  EASEL_CHECK(0 < lo && lo <= hi && hi <= 1 && 0 < ratio_lo && ratio_lo <= ratio_hi, "random_resized_crop: scale [", lo, ", ", hi,
              "] and ratio [", ratio_lo, ", ", ratio_hi, "] must satisfy 0 < lo <= hi <= 1, 0 < ratio_lo <= ratio_hi");
  const int64_t H = img.size(1), W = img.size(2);
  const double area = double(H * W);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * (lo + (hi - lo) * g.uniform());
    const double log_r = std::log(ratio_lo) + (std::log(ratio_hi) - std::log(ratio_lo)) * g.uniform();
    const double ratio = std::exp(log_r);
    const int64_t w = int64_t(std::lround(std::sqrt(target * ratio))), h = int64_t(std::lround(std::sqrt(target / ratio)));
    if (w > 0 && h > 0 && w <= W && h <= H) {
      const int64_t top = g.randint(H - h + 1), left = g.randint(W - w + 1);
      return resize(crop(img, top, left, h, w), size, size);
    }
  }
  // Fallback, as torchvision: the whole image when its aspect is in range, else the centre crop
  // of the nearest aspect that is.
  const double aspect = double(W) / double(H);
  int64_t w = W, h = H;
  if (aspect < ratio_lo) h = std::min<int64_t>(H, std::max<int64_t>(1, int64_t(std::lround(double(W) / ratio_lo))));
  else if (aspect > ratio_hi) w = std::min<int64_t>(W, std::max<int64_t>(1, int64_t(std::lround(double(H) * ratio_hi))));
  return resize(center_crop(img, h, w), size, size);
}

// RGB -> HSV -> RGB per pixel (the hexcone model, as torchvision's tensor functions).
Tensor adjust_hue(const Tensor& img, double shift) {
  check_image(img, "adjust_hue");
  EASEL_CHECK(img.size(0) == 3 && shift >= -0.5 && shift <= 0.5, "adjust_hue: needs an RGB image and a shift in [-0.5, 0.5], got ",
              img.describe(), " and ", shift);
  const Tensor src = dense(img);
  Tensor out = Tensor::empty(img.shape());
  const int64_t n = img.size(1) * img.size(2);
  const float* in = src.data<float>();
  float* o = out.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const double r = in[i], gr = in[n + i], b = in[2 * n + i];
    const double v = std::max({r, gr, b}), c = v - std::min({r, gr, b});
    const double s = v > 0 ? c / v : 0;
    double h = 0;
    if (c > 0) {
      if (v == r) h = (gr - b) / c;
      else if (v == gr) h = 2 + (b - r) / c;
      else h = 4 + (r - gr) / c;
    }
    h = h / 6 + shift;
    h -= std::floor(h);
    const double sector = h * 6, f = sector - std::floor(sector);
    const int k = int(std::floor(sector)) % 6;
    const double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    const double rgb[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
    o[i] = float(rgb[k][0]), o[n + i] = float(rgb[k][1]), o[2 * n + i] = float(rgb[k][2]);
  }
  return out;
}

}  // namespace easel
