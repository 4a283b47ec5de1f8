// Images as float tensors [3, H, W] (RGB, values in [0, 1]) and the operations on them that
// preprocessing and augmentation need. Decoding is stb_image's (JPEG, PNG 8/16-bit with gray or
// alpha, BMP, ...): gray is replicated to RGB, alpha is dropped (as PIL's convert("RGB")).
#pragma once
#include <cstdint>
#include <string>

#include "tensor/tensor.h"

namespace easel {

// Limits load_image enforces before decoding (decompression bombs, absurd shapes).
constexpr int64_t kMaxImagePixels = 100000000;  // 100 megapixels
constexpr int kMaxImageAspect = 50;             // longer side / shorter side

class Generator;

// The size checks decoding applies (w x h within max_pixels, aspect within kMaxImageAspect); errors name `where`.
void check_image_size(int64_t w, int64_t h, const std::string& where, int64_t max_pixels = kMaxImagePixels);
// Interleaved RGB8 rows `stride` bytes apart -> [3, h, w] in [0, 1] (value / 255, as decoding gives).
Tensor image_from_rgb8(const uint8_t* pixels, int64_t w, int64_t h, int64_t stride);

Tensor load_image(const std::string& path);  // errors name the file and stb's reason
// The same from memory; a server lowers `max_pixels` (many decodes at once).
Tensor decode_image(const std::string& bytes, const std::string& where, int64_t max_pixels = kMaxImagePixels);
void save_png(const std::string& path, const Tensor& img);  // [3, H, W] or [H, W] in [0, 1]; atomic
std::string encode_png(const Tensor& img, const std::string& where = "png");  // the same as PNG bytes
std::string encode_jpeg(const Tensor& img, int quality = 80, const std::string& where = "jpeg");  // as JPEG bytes

// Bilinear resize; with antialias (when shrinking) the filter widens with the scale factor, as
// PIL and torchvision's antialiased resize do.
Tensor resize(const Tensor& img, int64_t out_h, int64_t out_w, bool antialias = true);
Tensor resize_shorter(const Tensor& img, int64_t size);  // shorter side to `size`, aspect kept
Tensor center_crop(const Tensor& img, int64_t h, int64_t w);
Tensor crop(const Tensor& img, int64_t top, int64_t left, int64_t h, int64_t w);
Tensor pad_to_square(const Tensor& img);  // zeros around the shorter side, image centred
Tensor hflip(const Tensor& img);
Tensor rotate(const Tensor& img, double degrees);  // about the centre, bilinear, zero fill
Tensor gaussian_blur(const Tensor& img, int64_t kernel, double sigma);  // reflect padding, as torchvision
Tensor sharpen(const Tensor& img, double amount);  // unsharp mask: img + amount·(img - blur3x3(img))
Tensor adjust_brightness(const Tensor& img, double factor);  // img·factor
Tensor adjust_contrast(const Tensor& img, double factor);    // mean gray + factor·(img - mean gray)
Tensor adjust_saturation(const Tensor& img, double factor);  // gray + factor·(img - gray)
// The hue turned by `shift` of a full turn, shift in [-0.5, 0.5] (torchvision's adjust_hue):
//   (h, s, v) = hsv(rgb);  rgb' = rgb(h + shift mod 1, s, v)
Tensor adjust_hue(const Tensor& img, double shift);
Tensor add_gaussian_noise(const Tensor& img, double sigma, Generator& g);  // then clamped to [0, 1]
// torchvision's RandomResizedCrop: area fraction uniform in [scale_lo, scale_hi], aspect w/h
// log-uniform in [ratio_lo, ratio_hi], ten tries; then the centre crop of the largest such aspect.
Tensor random_resized_crop(const Tensor& img, int64_t size, double scale_lo, double scale_hi, Generator& g,
                           double ratio_lo = 3.0 / 4, double ratio_hi = 4.0 / 3);

}  // namespace easel
