// Labelled image collections: ImageFolder (one sub-folder per class) and CSV manifests, with
// stratified splits, class weights and SMOTE oversampling.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace easel {

struct Sample {
  std::string path;
  int64_t label = 0;
  std::map<std::string, std::string> columns;  // every CSV column (empty for ImageFolder)
};

struct Dataset {
  std::string source;                // folder or CSV it came from
  std::vector<std::string> classes;  // label i is classes[i]
  std::vector<Sample> samples;
  std::vector<int64_t> labels() const;
  std::vector<int64_t> class_counts() const;
  std::string summary() const;  // one line per class with its count
  Dataset subset(const std::vector<size_t>& idx) const;
};

// Classes are the sub-folders, sorted by name (as torchvision's ImageFolder); images by extension
// (jpg jpeg png bmp gif tga ppm pgm, any case), sorted.
Dataset image_folder(const std::string& dir);

struct CsvOptions {
  std::string label_column = "label";
  // Image path from the row: "{col}" is replaced by that column's value; relative paths are taken
  // from the CSV's folder. Default: the column "path", else "file".
  std::string path_template;
  std::vector<std::pair<std::string, std::string>> where;  // keep rows with column == value
};
// Classes are the label column's distinct values, sorted. Errors name the file, line and column.
Dataset csv_manifest(const std::string& csv, const CsvOptions& opt);
// The same from the file's text; `csv` names it in errors and anchors relative image paths.
Dataset parse_csv_manifest(const std::string& text, const std::string& csv, const CsvOptions& opt);
// A folder → image_folder; a .csv → csv_manifest.
Dataset open_dataset(const std::string& path, const CsvOptions& opt);

struct Split {
  std::vector<size_t> train, val, test;
};
// Per class: shuffled with `seed`, then the first ⌊train·n_c⌉ to train, the next ⌊val·n_c⌉ to val,
// the rest to test. Deterministic for a seed.
Split stratified_split(const std::vector<int64_t>& labels, double train, double val, uint64_t seed);

// w_c = N / N_c (absent classes get 0).
std::vector<double> class_weights(const std::vector<int64_t>& labels, int64_t classes);

// SMOTE (Chawla et al. 2002): every class is topped up to the largest class's count with points
// x + u·(n - x), u ~ U(0, 1), n one of the k nearest same-class neighbours of a random x.
// features: [n, d] f32/f64. Returns the originals followed by the synthetic rows.
struct Smoted {
  Tensor features;
  std::vector<int64_t> labels;
};
Smoted smote(const Tensor& features, const std::vector<int64_t>& labels, int64_t k, uint64_t seed);

std::vector<std::string> parse_csv_line(const std::string& line);  // RFC 4180 quoting
std::string csv_quote(const std::string& field);  // as is, or in quotes (doubled inside) when it holds , " or a newline

}  // namespace easel
