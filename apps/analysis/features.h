// A features file, as `easel features` writes it: F.npz (embeddings [N, D], labels [N],
// probabilities) and F.npz.csv (row, path, label, class, split). The SVM head and t-SNE read it.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace easel {

struct Features {
  Tensor X;                       // [n, D] f64
  std::vector<int64_t> labels;
  std::vector<std::string> classes, paths, splits;  // classes by label; paths and splits by row
};

// The rows whose split is in `splits` (all rows when the file has no split column or `splits` is empty).
Features read_features(const std::string& path, const std::set<std::string>& splits = {});
// "all" -> {}, "trainval" -> {train, val}, "train" | "val" | "test" -> itself; anything else is an error.
std::set<std::string> split_names(const std::string& s);

}  // namespace easel
