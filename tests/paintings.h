// Generated painting-like images for the training tests (tests/test_train_pipeline.cpp and the
// device suite), and the run's log read back.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/image.h"
#include "io/json.h"
#include "tensor/random.h"

namespace easel::test {

// Two classes of 24x24 images: "stripes" (oriented bands) and "fields" (soft colour blobs).
inline std::string make_paintings(int per_class) {
  const std::string dir = "/tmp/easel_paint_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  Generator g(11);
  for (const char* cls : {"fields", "stripes"}) {
    std::filesystem::create_directories(dir + "/" + cls);
    for (int i = 0; i < per_class; ++i) {
      Tensor img = Tensor::empty({3, 24, 24});
      const double f = 0.6 + g.uniform(), ph = 6.28 * g.uniform(), cx = 6 + 12 * g.uniform(), cy = 6 + 12 * g.uniform();
      const double col[3] = {g.uniform(), g.uniform(), g.uniform()};
      for (int64_t y = 0; y < 24; ++y)
        for (int64_t x = 0; x < 24; ++x) {
          const double v = cls[0] == 's' ? 0.5 + 0.5 * std::sin(f * double(x + y) + ph)
                                         : std::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / 40.0);
          for (int64_t c = 0; c < 3; ++c) img.set({c, y, x}, std::clamp(v * col[c] + 0.1 * g.normal(), 0.0, 1.0));
        }
      save_png(dir + "/" + cls + "/" + std::to_string(i) + ".png", img);
    }
  }
  return dir;
}

inline std::vector<Json> log_lines(const std::string& run) {
  std::vector<Json> out;
  std::ifstream f(run + "/log.jsonl");
  for (std::string l; std::getline(f, l);) out.push_back(Json::parse(l));
  return out;
}

}  // namespace easel::test
