#include "io/transforms.h"

#include <sstream>

#include "autograd/ops.h"
#include "io/image.h"
#include "tensor/random.h"

namespace easel {

Augment Augment::parse(const std::string& spec) {
  Augment a;
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string key = item.substr(0, eq), val = eq == std::string::npos ? "" : item.substr(eq + 1);
    auto number = [&](const std::string& v) {
      char* end = nullptr;
      const double x = std::strtod(v.c_str(), &end);
      EASEL_CHECK(!v.empty() && *end == 0 && x >= 0, "augmentation '", item, "': expected a non-negative number");
      return x;
    };
    if (key == "hflip") a.hflip = true;
    else if (key == "crop") a.crop = true;
    else if (key == "rotate") a.rotate = number(val);
    else if (key == "noise") a.noise = number(val);
    else if (key == "sharpen") a.sharpen = val.empty() ? 1.0 : number(val);
    else if (key == "contrast") a.contrast = number(val);
    else if (key == "brightness") a.brightness = number(val);
    else if (key == "saturation") a.saturation = number(val);
    else if (key == "blur") {
      const size_t colon = val.find(':');
      EASEL_CHECK(colon != std::string::npos, "augmentation '", item, "': write blur=KERNEL:SIGMA, e.g. blur=7:2");
      a.blur_kernel = int64_t(number(val.substr(0, colon)));
      a.blur_sigma = number(val.substr(colon + 1));
      EASEL_CHECK(a.blur_kernel % 2 == 1 && a.blur_sigma > 0, "augmentation '", item, "': kernel must be odd, sigma > 0");
    } else {
      throw Error("unknown augmentation '" + item +
                  "' (hflip, crop, rotate=D, noise=S, blur=K:S, sharpen=A, contrast=X, brightness=X, saturation=X)");
    }
  }
  return a;
}

std::string Augment::str() const {
  std::ostringstream os;
  if (hflip) os << "hflip,";
  if (crop) os << "crop,";
  if (rotate > 0) os << "rotate=" << rotate << ",";
  if (noise > 0) os << "noise=" << noise << ",";
  if (blur_kernel > 0) os << "blur=" << blur_kernel << ":" << blur_sigma << ",";
  if (sharpen > 0) os << "sharpen=" << sharpen << ",";
  if (contrast > 0) os << "contrast=" << contrast << ",";
  if (brightness > 0) os << "brightness=" << brightness << ",";
  if (saturation > 0) os << "saturation=" << saturation << ",";
  std::string s = os.str();
  if (!s.empty()) s.pop_back();
  return s;
}

bool Augment::any() const { return !str().empty(); }

Tensor normalize(const Tensor& img, const std::string& preset) {
  if (preset == "imagenet") {
    const Tensor m = Tensor::from({0.485, 0.456, 0.406}, {3, 1, 1}), s = Tensor::from({0.229, 0.224, 0.225}, {3, 1, 1});
    return (img - m) / s;
  }
  if (preset == "caffe") {
    const Tensor bgr = concat({img.slice(0, 2, 3), img.slice(0, 1, 2), img.slice(0, 0, 1)}, 0);
    return bgr * 255.0 - Tensor::from({103.939, 116.779, 123.68}, {3, 1, 1});
  }
  if (preset == "tf") return img * 2.0 - 1.0;
  if (preset == "unit") return img;
  throw Error("unknown preprocessing preset '" + preset + "' (imagenet, caffe, tf, unit)");
}

Tensor to_grayscale(const Tensor& img) {
  const Tensor y = img.slice(0, 0, 1) * 0.299 + img.slice(0, 1, 2) * 0.587 + img.slice(0, 2, 3) * 0.114;
  return concat({y, y, y}, 0);
}

Tensor denormalize(const Tensor& x, const std::string& preset) {
  if (preset == "imagenet")
    return clamp(x * Tensor::from({0.229, 0.224, 0.225}, {3, 1, 1}) + Tensor::from({0.485, 0.456, 0.406}, {3, 1, 1}), 0, 1);
  if (preset == "caffe") {
    const Tensor bgr = (x + Tensor::from({103.939, 116.779, 123.68}, {3, 1, 1})) / 255.0;
    return clamp(concat({bgr.slice(0, 2, 3), bgr.slice(0, 1, 2), bgr.slice(0, 0, 1)}, 0), 0, 1);
  }
  if (preset == "tf") return clamp((x + 1.0) / 2.0, 0, 1);
  if (preset == "unit") return clamp(x, 0, 1);
  throw Error("unknown preprocessing preset '" + preset + "' (imagenet, caffe, tf, unit)");
}

Tensor prepare_image(const Tensor& img, const Preprocess& pre, const Augment* aug, Generator& g) {
  Tensor x;
  if (aug && aug->crop) x = random_resized_crop(pre.pad ? pad_to_square(img) : img, pre.size, 0.5, 1.0, g);
  else if (pre.pad) x = resize(pad_to_square(img), pre.size, pre.size);
  else x = center_crop(resize_shorter(img, pre.size), pre.size, pre.size);
  if (pre.grayscale) x = to_grayscale(x);
  if (aug) {
    auto factor = [&](double amount) { return 1 + amount * (2 * g.uniform() - 1); };
    if (aug->hflip && g.uniform() < 0.5) x = hflip(x);
    if (aug->rotate > 0) x = rotate(x, aug->rotate * (2 * g.uniform() - 1));
    if (aug->contrast > 0) x = adjust_contrast(x, factor(aug->contrast));
    if (aug->brightness > 0) x = adjust_brightness(x, factor(aug->brightness));
    if (aug->saturation > 0) x = adjust_saturation(x, factor(aug->saturation));
    if (aug->sharpen > 0 && g.uniform() < 0.5) x = sharpen(x, aug->sharpen);
    if (aug->blur_kernel > 0) x = gaussian_blur(x, aug->blur_kernel, aug->blur_sigma);
    if (aug->noise > 0) x = add_gaussian_noise(x, aug->noise, g);
  }
  return normalize(x, pre.preset);
}

}  // namespace easel
