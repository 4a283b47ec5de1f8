#include "io/transforms.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <utility>
#include <vector>

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
    // "LO-HI": a range of two numbers
    auto range = [&](const std::string& v, double* lo, double* hi) {
      size_t dash = v.find('-', 1);
      while (dash != std::string::npos && (v[dash - 1] == 'e' || v[dash - 1] == 'E')) dash = v.find('-', dash + 1);  // 1e-05
      EASEL_CHECK(dash != std::string::npos, "augmentation '", item, "': write a range LO-HI, e.g. crop=0.35-1");
      *lo = number(v.substr(0, dash)), *hi = number(v.substr(dash + 1));
      EASEL_CHECK(*lo > 0 && *lo <= *hi, "augmentation '", item, "': a range needs 0 < LO <= HI");
    };
    if (key == "hflip") a.hflip = true;
    else if (key == "crop") {
      a.crop = true;
      if (!val.empty()) {
        const size_t colon = val.find(':');
        range(val.substr(0, colon), &a.crop_lo, &a.crop_hi);
        EASEL_CHECK(a.crop_hi <= 1, "augmentation '", item, "': the area is a fraction of the image, at most 1");
        if (colon != std::string::npos) range(val.substr(colon + 1), &a.ratio_lo, &a.ratio_hi);
      }
    } else if (key == "hue") {
      a.hue = number(val);
      EASEL_CHECK(a.hue <= 0.5, "augmentation '", item, "': hue turns by at most half a turn (0.5)");
    } else if (key == "jitter") {
      std::vector<double> v;
      std::stringstream parts(val);
      for (std::string part; std::getline(parts, part, ':');) v.push_back(number(part));
      EASEL_CHECK(v.size() == 1 || v.size() == 3 || v.size() == 4, "augmentation '", item,
                  "': write jitter=X or jitter=BRIGHTNESS:CONTRAST:SATURATION[:HUE]");
      for (int k = 0; k < 3; ++k) a.jitter[k] = v.size() == 1 ? v[0] : v[size_t(k)];
      a.jitter[3] = v.size() == 4 ? v[3] : 0;
      EASEL_CHECK(a.jitter[3] <= 0.5, "augmentation '", item, "': hue turns by at most half a turn (0.5)");
    }
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
                  "' (hflip, crop[=LO-HI[:RLO-RHI]], rotate=D, noise=S, blur=K:S, sharpen=A, contrast=X, brightness=X, "
                  "saturation=X, hue=X, jitter=X or B:C:S[:H])");
    }
  }
  return a;
}

// The shortest text that reads back as exactly v (a run's config.json must resume the same run).
static std::string exact(double v) {
  char buf[32];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string Augment::str() const {
  std::ostringstream os;
  if (hflip) os << "hflip,";
  if (crop && crop_lo == 0.5 && crop_hi == 1 && ratio_lo == 3.0 / 4 && ratio_hi == 4.0 / 3) os << "crop,";
  else if (crop) os << "crop=" << exact(crop_lo) << "-" << exact(crop_hi) << ":" << exact(ratio_lo) << "-" << exact(ratio_hi) << ",";
  if (rotate > 0) os << "rotate=" << rotate << ",";
  if (noise > 0) os << "noise=" << noise << ",";
  if (blur_kernel > 0) os << "blur=" << blur_kernel << ":" << blur_sigma << ",";
  if (sharpen > 0) os << "sharpen=" << sharpen << ",";
  if (contrast > 0) os << "contrast=" << contrast << ",";
  if (brightness > 0) os << "brightness=" << brightness << ",";
  if (saturation > 0) os << "saturation=" << saturation << ",";
  if (hue > 0) os << "hue=" << exact(hue) << ",";
  if (jitter[0] > 0 || jitter[1] > 0 || jitter[2] > 0 || jitter[3] > 0)
    os << "jitter=" << exact(jitter[0]) << ":" << exact(jitter[1]) << ":" << exact(jitter[2]) << ":" << exact(jitter[3]) << ",";
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

// torchvision's ColorJitter: the four factors drawn in a random order (a Fisher-Yates shuffle),
// each applied when its amount is positive.
Tensor color_jitter(const Tensor& img, const double amount[4], Generator& g) {
  int order[4] = {0, 1, 2, 3};
  for (int i = 3; i > 0; --i) std::swap(order[i], order[g.randint(i + 1)]);
  Tensor x = img;
  for (int k : order) {
    if (amount[k] <= 0) continue;
    const double u = g.uniform();
    const double lo = std::max(0.0, 1 - amount[k]), factor = lo + (1 + amount[k] - lo) * u;  // torchvision's range
    if (k == 0) x = adjust_brightness(x, factor);
    else if (k == 1) x = adjust_contrast(x, factor);
    else if (k == 2) x = adjust_saturation(x, factor);
    else x = adjust_hue(x, amount[3] * (2 * u - 1));
  }
  return x;
}

Tensor prepare_image(const Tensor& img, const Preprocess& pre, const Augment* aug, Generator& g) {
  Tensor x;
  if (aug && aug->crop)
    x = random_resized_crop(pre.pad ? pad_to_square(img) : img, pre.size, aug->crop_lo, aug->crop_hi, g, aug->ratio_lo, aug->ratio_hi);
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
    if (aug->hue > 0) x = adjust_hue(x, aug->hue * (2 * g.uniform() - 1));
    if (aug->jitter[0] > 0 || aug->jitter[1] > 0 || aug->jitter[2] > 0 || aug->jitter[3] > 0) x = color_jitter(x, aug->jitter, g);
    if (aug->sharpen > 0 && g.uniform() < 0.5) x = sharpen(x, aug->sharpen);
    if (aug->blur_kernel > 0) x = gaussian_blur(x, aug->blur_kernel, aug->blur_sigma);
    if (aug->noise > 0) x = add_gaussian_noise(x, aug->noise, g);
  }
  return normalize(x, pre.preset);
}

}  // namespace easel
