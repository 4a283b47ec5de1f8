// Image decoding (JPEG, PNG 8/16-bit gray/alpha, BMP), resizing and augmentations, by hand values.
#include <zlib.h>

#include <cstdio>
#include <fstream>

#include <stb_image_write.h>

#include "helpers.h"
#include "io/image.h"
#include "io/transforms.h"

using namespace easel;
using namespace easel::test;

namespace {

std::string tmp(const std::string& name) { return "/tmp/easel_img_" + std::to_string(getpid()) + "_" + name; }

// A 16-bit grayscale PNG written byte by byte (stb can only write 8-bit ones).
void write_png16_gray(const std::string& path, int w, int h, const std::vector<uint16_t>& px) {
  auto be = [](std::string& s, uint32_t v) {
    for (int i = 3; i >= 0; --i) s.push_back(char(v >> (8 * i) & 0xff));
  };
  auto chunk = [&](std::string& out, const std::string& type, const std::string& data) {
    be(out, uint32_t(data.size()));
    const std::string td = type + data;
    out += td;
    be(out, uint32_t(crc32(0, reinterpret_cast<const Bytef*>(td.data()), uInt(td.size()))));
  };
  std::string ihdr;
  be(ihdr, uint32_t(w)), be(ihdr, uint32_t(h));
  ihdr += std::string("\x10\x00\x00\x00\x00", 5);  // 16-bit, grayscale, deflate, filter 0, no interlace
  std::string raw;
  for (int y = 0; y < h; ++y) {
    raw.push_back(0);
    for (int x = 0; x < w; ++x) raw.push_back(char(px[size_t(y * w + x)] >> 8)), raw.push_back(char(px[size_t(y * w + x)] & 0xff));
  }
  uLongf n = compressBound(uLong(raw.size()));
  std::string z(n, '\0');
  compress(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(raw.data()), uLong(raw.size()));
  z.resize(n);
  std::string png = "\x89PNG\r\n\x1a\n";
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", "");
  std::ofstream(path, std::ios::binary) << png;
}

Tensor ramp(int64_t c, int64_t h, int64_t w) {
  Tensor t = Tensor::empty({c, h, w});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = float(i % w);
  return t;
}

}  // namespace

TEST_CASE("decode PNG (8-bit RGB, gray + alpha, 16-bit gray) and BMP") {
  const std::string rgb = tmp("rgb.png"), ga = tmp("ga.png"), g16 = tmp("g16.png"), bmp = tmp("x.bmp");
  const uint8_t px[6] = {255, 0, 0, 0, 128, 255};  // red, (0, 128, 255)
  stbi_write_png(rgb.c_str(), 2, 1, 3, px, 6);
  const Tensor a = load_image(rgb);
  CHECK(a.shape() == Shape{3, 1, 2});
  check_values(a, {1, 0, 0, 128 / 255.0, 0, 1}, 1e-6);
  const uint8_t gray_alpha[4] = {51, 10, 204, 255};
  stbi_write_png(ga.c_str(), 2, 1, 2, gray_alpha, 4);
  check_values(load_image(ga), {0.2, 0.8, 0.2, 0.8, 0.2, 0.8}, 1e-6);  // gray replicated, alpha dropped
  write_png16_gray(g16, 2, 1, {65535, 257});
  check_values(load_image(g16), {1, 257 / 65535.0, 1, 257 / 65535.0, 1, 257 / 65535.0}, 1e-6);
  stbi_write_bmp(bmp.c_str(), 2, 1, 3, px);
  check_values(load_image(bmp), {1, 0, 0, 128 / 255.0, 0, 1}, 1e-6);
  for (const auto& p : {rgb, ga, g16, bmp}) std::remove(p.c_str());
}

TEST_CASE("an undecodable file is an error naming it") {
  const std::string p = tmp("bad.jpg");
  std::ofstream(p) << "not an image";
  CHECK(error_of([&] { load_image(p); }).find(p + ": cannot decode image") != std::string::npos);
  std::remove(p.c_str());
  CHECK(error_of([] { load_image("/nonexistent.png"); }).find("/nonexistent.png: cannot open for reading") != std::string::npos);
}

TEST_CASE("a JPEG whose Huffman table claims over 256 codes is refused before stb reads it") {
  // stb 2.27 would write past its tables (tests/fuzz/regressions/image/jpeg_huffman_over_256_codes.jpg).
  std::string jpeg = "\xFF\xD8\xFF\xC4";
  jpeg += char(0x01), jpeg += char(0x3F);  // length 2 + 17 + 300
  jpeg += char(0x00), jpeg += char(255), jpeg += char(45), jpeg += std::string(14, '\0');  // DC table 0: 300 codes
  jpeg += std::string(300, '\0') + "\xFF\xD9";
  CHECK(error_of([&] { decode_image(jpeg, "x.jpg"); }) == "x.jpg: corrupt JPEG: a Huffman table declares 300 codes (at most 256)");
  // stb skips fill bytes before the start-of-image marker, so the check does too (found by fuzz_image).
  CHECK(error_of([&] { decode_image("\xFF\xFF" + jpeg, "y.jpg"); }) ==
        "y.jpg: corrupt JPEG: a Huffman table declares 300 codes (at most 256)");
  // A JPEG as libjpeg writes it (four Huffman tables; torchvision's encode_jpeg, 16x8) still decodes.
  // (Not one from stb_image_write: its JPEG writer shifts negative values, which UBSan stops.)
  const Tensor img = load_image(std::string(EASEL_SOURCE_DIR) + "/tests/data/libjpeg_16x8.jpg");
  CHECK(img.shape() == Shape{3, 8, 16});
  CHECK(max(img).item() > 0.5);
}

TEST_CASE("a PNG whose first image data chunk is empty, or a chunk longer than the file, is refused before stb reads it") {
  // stb would memcpy through a null pointer (tests/fuzz/regressions/image/png_empty_first_idat.png).
  const auto be32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16 & 255), char(v >> 8 & 255), char(v & 255)}; };
  std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(2) + be32(2) + std::string("\x08\x02\0\0\0", 5) +
                    be32(0) + be32(0) + "IDAT" + be32(0) + be32(0) + "IEND" + be32(0);
  CHECK(error_of([&] { decode_image(png, "x.png"); }) == "x.png: corrupt PNG: its first image data (IDAT) chunk is empty");
  // ... and so is one whose chunk claims more bytes than the file holds (stb would allocate them first).
  std::string bomb = std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(2) + be32(2) + std::string("\x08\x02\0\0\0", 5) +
                     be32(0) + be32(0xF0000000u) + "IDAT" + std::string(16, 'x');
  CHECK(error_of([&] { decode_image(bomb, "b.png"); }) == "b.png: corrupt PNG: a IDAT chunk claims 4026531840 bytes; 16 are left in the file");
  // PNGs as an encoder writes them still decode (the round trip below and the PNG cases above).
}

TEST_CASE("save_png round trip") {
  const std::string p = tmp("rt.png");
  const Tensor img = Tensor::rand({3, 5, 7});
  save_png(p, img);
  CHECK(max_abs_diff(load_image(p), img) <= 0.5 / 255 + 1e-6);
  std::remove(p.c_str());
}

TEST_CASE("real painting decodes (EASEL_DATA or ../shared/data)" * doctest::skip(!has_data())) {
  const Tensor img = load_image(data_root() + "/wikiart_abstract_vs_figurative/dev/abstract/Abstract_Expressionism__aaron-siskind_chicago-6-1961.jpg");
  CHECK(img.size(0) == 3);
  CHECK(std::max(img.size(1), img.size(2)) == 256);
  CHECK(max(img).item() <= 1);
}

TEST_CASE("antialiased resize: constant stays constant, a ramp halves to window centres") {
  check_values(resize(Tensor::full({3, 8, 8}, 0.3), 3, 5), std::vector<double>(45, 0.3), 1e-6);
  // shrinking by 2: triangle weights 1/8, 3/8, 3/8, 1/8 around each output centre -> 2i + 0.5 inside
  const Tensor r = resize(ramp(1, 2, 8), 1, 4);
  CHECK(r.at({0, 0, 1}) == doctest::Approx(2.5));
  CHECK(r.at({0, 0, 2}) == doctest::Approx(4.5));
  CHECK(r.at({0, 0, 0}) == doctest::Approx((0 * 3 + 1 * 3 + 2 * 1) / 7.0));  // clipped at the edge, renormalised
  // enlarging by 2 without antialias: plain bilinear interpolation
  const Tensor up = resize(ramp(1, 1, 4), 1, 8, false);
  CHECK(up.at({0, 0, 3}) == doctest::Approx(1.25));
  CHECK(resize_shorter(Tensor::zeros({3, 100, 200}), 50).shape() == Shape{3, 50, 100});
}

TEST_CASE("crops, padding, flips, rotation by hand") {
  const Tensor img = ramp(1, 4, 6);
  check_values(center_crop(img, 2, 2), {2, 3, 2, 3});
  CHECK(pad_to_square(img).shape() == Shape{1, 6, 6});
  CHECK(pad_to_square(img).at({0, 0, 3}) == 0);  // a padded row
  CHECK(pad_to_square(img).at({0, 1, 3}) == 3);
  check_values(hflip(img).select(1, 0), {5, 4, 3, 2, 1, 0});
  const Tensor sq = Tensor::arange(9).reshape({1, 3, 3});
  check_values(rotate(sq, 90), {2, 5, 8, 1, 4, 7, 0, 3, 6}, 1e-5);  // counter-clockwise
  check_values(rotate(sq, 0), sq.to_vector(), 1e-6);
}

TEST_CASE("blur, sharpen, contrast, brightness, saturation, noise") {
  check_values(gaussian_blur(Tensor::full({3, 9, 9}, 0.4), 7, 2), std::vector<double>(243, 0.4), 1e-6);
  const Tensor dot = Tensor::zeros({1, 9, 9});
  Tensor d = dot.clone();
  d.set({0, 4, 4}, 1);
  const Tensor b = gaussian_blur(d, 7, 2);
  CHECK(sum(b).item() == doctest::Approx(1).epsilon(1e-5));  // mass preserved away from the border
  CHECK(b.at({0, 4, 4}) < 0.1);
  CHECK(b.at({0, 4, 5}) == doctest::Approx(b.at({0, 5, 4})));
  check_values(sharpen(Tensor::full({3, 4, 4}, 0.5), 1.0), std::vector<double>(48, 0.5), 1e-6);
  const Tensor two = Tensor::from({0.2, 0.6}, {1, 1, 2}).expand({3, 1, 2}).contiguous();
  check_values(adjust_contrast(two, 2).select(0, 0), {0.0, 0.8}, 1e-6);  // mean 0.4: 0.4 ± 2·0.2
  check_values(adjust_brightness(two, 0.5).select(0, 0), {0.1, 0.3}, 1e-6);
  check_values(adjust_saturation(two, 0), two.to_vector(), 1e-6);  // already gray
  Generator g(1);
  const Tensor n = add_gaussian_noise(Tensor::full({3, 64, 64}, 0.5), 0.1, g);
  CHECK(std::sqrt(var(n).item()) == doctest::Approx(0.1).epsilon(0.05));
  CHECK(random_resized_crop(Tensor::rand({3, 50, 70}), 32, 0.5, 1.0, g).shape() == Shape{3, 32, 32});
}

TEST_CASE("presets: unit keeps [0, 1] as decoded; grayscale puts the luminance in every channel") {
  Tensor img = Tensor::empty({3, 2, 2});
  const double rgb[3] = {1.0, 0.5, 0.25};
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < 4; ++i) img.set({c, i / 2, i % 2}, rgb[c] * double(i + 1) / 4);
  CHECK(max_abs_diff(normalize(img, "unit"), img) == 0);
  CHECK(max_abs_diff(denormalize(normalize(img, "unit"), "unit"), img) == 0);
  const Tensor g = to_grayscale(img);
  for (int64_t c = 0; c < 3; ++c) CHECK(g.at({c, 1, 1}) == doctest::Approx(0.299 * 1.0 + 0.587 * 0.5 + 0.114 * 0.25));
  Preprocess pre;
  pre.preset = "unit", pre.size = 2, pre.grayscale = true;
  Generator gen(0);
  const Tensor x = prepare_image(img, pre, nullptr, gen);
  CHECK(max_abs_diff(x.select(0, 0), x.select(0, 2)) == 0);
  CHECK(x.at({0, 0, 0}) == doctest::Approx(g.at({0, 0, 0})));
  CHECK_THROWS_WITH_AS(normalize(img, "unity"), doctest::Contains("(imagenet, caffe, tf, unit)"), Error);
}

TEST_CASE("colour jitter and crops: hue turns, ranges parse and read back exactly") {
  Tensor px = Tensor::empty({3, 1, 3});  // red, gray, a muted orange
  const double rgb[3][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.8, 0.5, 0.2}};
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t c = 0; c < 3; ++c) px.set({c, 0, i}, rgb[i][c]);
  const Tensor green = adjust_hue(px, 1.0 / 3);
  check_values(green.select(2, 0).reshape({3}), {0, 1, 0}, 1e-6);      // red + a third of a turn
  check_values(green.select(2, 1).reshape({3}), {0.5, 0.5, 0.5}, 1e-6);  // gray has no hue
  check_values(adjust_hue(px, -1.0 / 6).select(2, 0).reshape({3}), {1, 0, 1}, 1e-6);  // magenta
  // Orange (h = 30°) turned by 0.5 is its complement, azure (210°), same saturation and value:
  check_values(adjust_hue(px, 0.5).select(2, 2).reshape({3}), {0.2, 0.5, 0.8}, 1e-6);
  CHECK(max_abs_diff(adjust_hue(adjust_hue(px, 0.2), -0.2), px) < 1e-6);
  CHECK(error_of([&] { adjust_hue(px, 0.7); }).find("shift in [-0.5, 0.5]") != std::string::npos);

  const Augment a = Augment::parse("crop=0.35-1:0.75-1.3333333333333333,jitter=0.4:0.3:0.2:0.05,hue=0.1");
  CHECK(a.crop);
  CHECK(a.crop_lo == 0.35);
  CHECK(a.ratio_hi == 4.0 / 3);
  CHECK(a.jitter[1] == 0.3);
  CHECK(a.jitter[3] == 0.05);
  const Augment back = Augment::parse(a.str());  // config.json's text is the same augmentation
  CHECK(back.str() == a.str());
  CHECK(back.crop_lo == a.crop_lo);
  CHECK(back.ratio_hi == a.ratio_hi);
  CHECK(Augment::parse("crop").str() == "crop");
  CHECK(Augment::parse("jitter=0.4").jitter[2] == 0.4);
  CHECK(error_of([] { Augment::parse("crop=0.35"); }).find("write a range LO-HI") != std::string::npos);
  CHECK(error_of([] { Augment::parse("crop=0.5-1.5"); }).find("at most 1") != std::string::npos);
  CHECK(error_of([] { Augment::parse("jitter=1:2"); }).find("jitter=BRIGHTNESS:CONTRAST:SATURATION[:HUE]") != std::string::npos);

  // ColorJitter with every amount 0 is the identity; with amounts, the same seed gives the same image.
  const Tensor img = Tensor::rand({3, 8, 8});
  Generator g1(5), g2(5);
  const double none[4] = {0, 0, 0, 0}, some[4] = {0.4, 0.4, 0.4, 0.1};
  CHECK(max_abs_diff(color_jitter(img, none, g1), img) == 0);
  CHECK(max_abs_diff(color_jitter(img, some, g1), color_jitter(img, some, g2)) > 0);  // g1 moved on: another draw
  Generator g3(9), g4(9);
  CHECK(max_abs_diff(color_jitter(img, some, g3), color_jitter(img, some, g4)) == 0);

  // Crops keep their aspect within the range: a 60x20 strip with only wide crops (ratio 2-3)
  // allowed still yields the requested size (the fallback centre crop is 60x20 itself: ratio 3).
  Generator g(4);
  CHECK(random_resized_crop(Tensor::rand({3, 20, 60}), 16, 0.9, 1.0, g, 2, 3).shape() == Shape{3, 16, 16});
  CHECK(error_of([&] { random_resized_crop(img, 8, 0.5, 0.4, g); }).find("0 < lo <= hi <= 1") != std::string::npos);
}
