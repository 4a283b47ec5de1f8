// The demo's embedded data set: seeded, generated painting-like pictures in two classes.
//   abstract     overlapping colour fields (soft-edged rectangles) crossed by gestural strokes and
//                a few splashes; no horizon, no objects
//   figurative   a scene: sky and ground split by a horizon, a sun, trees, a house and human
//                figures (head, body, arms, legs) at random places, sizes and colours
// Both get a brush-like noise texture. Nothing is downloaded; the same seed gives the same set.
#pragma once
#include <string>
#include <vector>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace easel {

Tensor paint_abstract(int64_t size, Generator& g);    // [3, size, size] in [0, 1]
Tensor paint_figurative(int64_t size, Generator& g);

struct PaintingSet {
  std::vector<std::string> mislabelled;  // paths filed under the wrong class on purpose
  int64_t images = 0;
};
// DIR/abstract/*.png and DIR/figurative/*.png, `per_class` each; a fraction `wrong` of them is
// filed under the other class (label noise for the outlier tools to find).
PaintingSet write_painting_set(const std::string& dir, int64_t per_class, int64_t size, uint64_t seed, double wrong);

}  // namespace easel
