#include "apps/analysis/features.h"

#include <algorithm>
#include <filesystem>

#include "io/dataset.h"
#include "io/npz.h"
#include "io/text.h"

namespace easel {

Features read_features(const std::string& path, const std::set<std::string>& splits) {
  const NamedTensors a = load_npz(path);
  const Tensor X = npz_get(a, "embeddings", path), L = npz_get(a, "labels", path);
  EASEL_CHECK(X.dim() == 2 && L.dim() == 1 && L.size(0) == X.size(0), path, ": embeddings ", X.describe(),
              " and labels ", L.describe(), " do not match");
  const int64_t n = X.size(0), d = X.size(1);
  Features f;
  std::vector<int64_t> all_labels;
  for (double v : L.to_vector()) all_labels.push_back(int64_t(v));
  std::vector<std::string> split(static_cast<size_t>(n)), paths(static_cast<size_t>(n));
  const std::string csv = path + ".csv";
  int64_t classes = *std::max_element(all_labels.begin(), all_labels.end()) + 1;
  f.classes.resize(size_t(classes));
  if (std::filesystem::exists(csv)) {
    CsvOptions o;
    o.label_column = "class";
    const Dataset rows = csv_manifest(csv, o);
    EASEL_CHECK(int64_t(rows.samples.size()) == n, csv, ": ", rows.samples.size(), " rows but ", path, " has ", n);
    for (size_t i = 0; i < rows.samples.size(); ++i) {
      const auto& cols = rows.samples[i].columns;
      const int64_t l = parse_int(cols.at("label"), csv + ": row " + std::to_string(i + 2) + ": label");
      EASEL_CHECK(l == all_labels[i], csv, ": row ", i, " has label ", l, " but ", path, " says ", all_labels[i]);
      f.classes[size_t(l)] = cols.at("class");
      paths[i] = cols.at("path");
      if (cols.count("split")) split[i] = cols.at("split");
    }
  }
  for (int64_t c = 0; c < classes; ++c)
    if (f.classes[size_t(c)].empty()) f.classes[size_t(c)] = std::to_string(c);
  const bool has_split = std::any_of(split.begin(), split.end(), [](const std::string& s) { return !s.empty(); });
  EASEL_CHECK(has_split || splits.empty(), path, ": its rows carry no train / val / test split (", csv,
              " has no split column), so fitting and scoring would use the same rows; write the features again with "
              "this Easel (`easel features` splits every image set), or pass --split all to use every row knowingly");
  std::vector<double> x = X.to(DType::f64).to_vector(), keep;
  for (int64_t i = 0; i < n; ++i) {
    if (has_split && !splits.empty() && !splits.count(split[size_t(i)])) continue;
    keep.insert(keep.end(), x.begin() + i * d, x.begin() + (i + 1) * d);
    f.labels.push_back(all_labels[size_t(i)]);
    f.paths.push_back(paths[size_t(i)]);
    f.splits.push_back(split[size_t(i)]);
  }
  EASEL_CHECK(!f.labels.empty(), path, ": no rows in the split(s) asked for");
  f.X = Tensor::from(keep, {int64_t(f.labels.size()), d}, DType::f64);
  return f;
}

std::set<std::string> split_names(const std::string& s) {
  if (s == "all") return {};
  if (s == "trainval") return {"train", "val"};
  EASEL_CHECK(s == "train" || s == "val" || s == "test", "--split: one of all, train, val, test, trainval; got '", s, "'");
  return {s};
}

}  // namespace easel
