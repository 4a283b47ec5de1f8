#include "io/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "io/file.h"
#include "tensor/random.h"
#include "tensor/strided.h"

namespace fs = std::filesystem;

namespace easel {

std::vector<int64_t> Dataset::labels() const {
  std::vector<int64_t> l;
  for (const Sample& s : samples) l.push_back(s.label);
  return l;
}

std::vector<int64_t> Dataset::class_counts() const {
  std::vector<int64_t> c(classes.size(), 0);
  for (const Sample& s : samples) c[size_t(s.label)]++;
  return c;
}

std::string Dataset::summary() const {
  std::ostringstream os;
  os << samples.size() << " images in " << classes.size() << " classes from " << source << "\n";
  const std::vector<int64_t> c = class_counts();
  for (size_t i = 0; i < classes.size(); ++i) os << "  " << i << " " << classes[i] << ": " << c[i] << "\n";
  return os.str();
}

Dataset Dataset::subset(const std::vector<size_t>& idx) const {
  Dataset d{source, classes, {}};
  for (size_t i : idx) d.samples.push_back(samples.at(i));
  return d;
}

static bool is_image(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  static const std::set<std::string> ok = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tga", ".ppm", ".pgm"};
  return ok.count(e) > 0;
}

Dataset image_folder(const std::string& dir) {
  EASEL_CHECK(fs::is_directory(dir), dir, ": not a folder");
  Dataset d{dir, {}, {}};
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) d.classes.push_back(e.path().filename().string());
  std::sort(d.classes.begin(), d.classes.end());
  EASEL_CHECK(!d.classes.empty(), dir, ": no class sub-folders (expected DIR/<class>/<image>)");
  for (size_t c = 0; c < d.classes.size(); ++c) {
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(dir) / d.classes[c]))
      if (e.is_regular_file() && is_image(e.path())) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    EASEL_CHECK(!files.empty(), (fs::path(dir) / d.classes[c]).string(), ": class folder without images (remove it, or add "
                "images: .jpg .png .bmp .gif .tga .ppm .pgm)");
    for (auto& f : files) d.samples.push_back({f, int64_t(c), {}});
  }
  EASEL_CHECK(!d.samples.empty(), dir, ": no images found in the class folders");
  return d;
}

std::vector<std::string> parse_csv_line(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
      else if (ch == '"') quoted = false;
      else out.back() += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.emplace_back();
    } else if (ch != '\r') {
      out.back() += ch;
    }
  }
  return out;
}

namespace {

// "{split}/{class}/{file}" -> literal and column parts, once; a '{' without '}' is an error.
struct PathTemplate {
  std::vector<std::pair<bool, std::string>> parts;  // (is a column, text)
  PathTemplate(const std::string& t, const std::string& where) {
    for (size_t at = 0; at < t.size();) {
      const size_t open = t.find('{', at);
      if (open == std::string::npos) {
        parts.emplace_back(false, t.substr(at));
        break;
      }
      const size_t close = t.find('}', open);
      EASEL_CHECK(close != std::string::npos, where, ": path template '", t, "' has a '{' without its '}'");
      if (open > at) parts.emplace_back(false, t.substr(at, open - at));
      parts.emplace_back(true, t.substr(open + 1, close - open - 1));
      at = close + 1;
    }
  }
  // Column values are pasted in as they are: a value holding braces is not expanded again.
  std::string expand(const std::map<std::string, std::string>& row) const {
    std::string out;
    for (const auto& [column, text] : parts) out += column ? row.at(text) : text;
    return out;
  }
};

}  // namespace

Dataset csv_manifest(const std::string& csv, const CsvOptions& opt) { return parse_csv_manifest(read_file(csv), csv, opt); }

Dataset parse_csv_manifest(const std::string& text, const std::string& csv, const CsvOptions& opt) {
  std::istringstream f(text);
  std::string line;
  EASEL_CHECK(std::getline(f, line), csv, ": empty file (expected a header row)");
  if (line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // a UTF-8 byte-order mark (Excel writes one)
  const std::vector<std::string> header = parse_csv_line(line);
  auto column = [&](const std::string& name) -> size_t {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    std::string cols;
    for (const auto& h : header) cols += " " + h;
    throw Error(csv + ": no column '" + name + "' (columns:" + cols + ")");
  };
  const size_t label_col = column(opt.label_column);
  std::string tmpl = opt.path_template;
  if (tmpl.empty()) tmpl = std::find(header.begin(), header.end(), "path") != header.end() ? "{path}" : "{file}";
  const PathTemplate path_of(tmpl, csv);
  for (const auto& [is_column, name] : path_of.parts)
    if (is_column) column(name);  // every {column} must exist
  for (const auto& [k, v] : opt.where) column(k);
  Dataset d{csv, {}, {}};
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> rows;
  const fs::path base = fs::path(csv).parent_path();
  for (int64_t lineno = 2; std::getline(f, line); ++lineno) {
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> cells = parse_csv_line(line);
    EASEL_CHECK(cells.size() == header.size(), csv, ":", lineno, ": ", cells.size(), " fields, the header has ", header.size());
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size(); ++i) row[header[i]] = cells[i];
    bool keep = true;
    for (const auto& [k, v] : opt.where) keep = keep && row[k] == v;
    if (!keep) continue;
    EASEL_CHECK(!cells[label_col].empty(), csv, ":", lineno, ": empty label in column '", opt.label_column, "'");
    std::string path = path_of.expand(row);
    if (fs::path(path).is_relative()) path = (base / path).string();
    rows.emplace_back(path, row);
  }
  std::set<std::string> names;
  for (const auto& [p, row] : rows) names.insert(row.at(opt.label_column));
  d.classes.assign(names.begin(), names.end());
  for (auto& [p, row] : rows) {
    const int64_t label = std::lower_bound(d.classes.begin(), d.classes.end(), row.at(opt.label_column)) - d.classes.begin();
    d.samples.push_back({p, label, row});
  }
  EASEL_CHECK(!d.samples.empty(), csv, ": no rows left", opt.where.empty() ? "" : " after the --where filters");
  return d;
}

Dataset open_dataset(const std::string& path, const CsvOptions& opt) {
  if (fs::is_directory(path)) return image_folder(path);
  EASEL_CHECK(fs::exists(path), path, ": no such file or folder");
  return csv_manifest(path, opt);
}

Split stratified_split(const std::vector<int64_t>& labels, double train, double val, uint64_t seed) {
  EASEL_CHECK(train > 0 && val >= 0 && train + val <= 1 + 1e-9, "split: ratios train ", train, ", val ", val,
              " must be non-negative and sum to at most 1");
  std::map<int64_t, std::vector<size_t>> by_class;
  for (size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(i);
  Generator g(seed);
  Split s;
  for (auto& [c, idx] : by_class) {
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[size_t(g.randint(int64_t(i)))]);
    const size_t n = idx.size(), n_train = size_t(std::lround(train * double(n))),
                 n_val = std::min(n - n_train, size_t(std::lround(val * double(n))));
    s.train.insert(s.train.end(), idx.begin(), idx.begin() + long(n_train));
    s.val.insert(s.val.end(), idx.begin() + long(n_train), idx.begin() + long(n_train + n_val));
    s.test.insert(s.test.end(), idx.begin() + long(n_train + n_val), idx.end());
  }
  for (auto* v : {&s.train, &s.val, &s.test}) std::sort(v->begin(), v->end());
  return s;
}

std::vector<double> class_weights(const std::vector<int64_t>& labels, int64_t classes) {
  std::vector<double> count(size_t(classes), 0), w(size_t(classes), 0);
  for (int64_t l : labels) {
    EASEL_CHECK(l >= 0 && l < classes, "class_weights: label ", l, " not in [0, ", classes, ")");
    count[size_t(l)]++;
  }
  for (size_t c = 0; c < w.size(); ++c) w[c] = count[c] > 0 ? double(labels.size()) / count[c] : 0;
  return w;
}

Smoted smote(const Tensor& features, const std::vector<int64_t>& labels, int64_t k, uint64_t seed) {
  EASEL_CHECK(features.dim() == 2 && features.size(0) == int64_t(labels.size()), "smote: features must be [n, d] with one row per label, got ",
              features.describe(), " for ", labels.size(), " labels");
  const Tensor X = dense(features.to(DType::f64).detach());
  const int64_t n = X.size(0), d = X.size(1);
  const double* x = X.data<double>();
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (int64_t i = 0; i < n; ++i) by_class[labels[size_t(i)]].push_back(i);
  size_t largest = 0;
  for (auto& [c, idx] : by_class) largest = std::max(largest, idx.size());
  Generator g(seed);
  std::vector<double> out(x, x + n * d);
  Smoted r;
  r.labels = labels;
  for (auto& [c, idx] : by_class) {
    if (idx.size() == largest) continue;
    EASEL_CHECK(idx.size() >= 2, "smote: class ", c, " has ", idx.size(), " sample; SMOTE needs at least 2 per class");
    const size_t kk = std::min<size_t>(size_t(k), idx.size() - 1);
    // k nearest same-class neighbours of every member (Euclidean)
    std::vector<std::vector<int64_t>> nn(idx.size());
    for (size_t a = 0; a < idx.size(); ++a) {
      std::vector<std::pair<double, int64_t>> dist;
      for (size_t b = 0; b < idx.size(); ++b) {
        if (a == b) continue;
        double s = 0;
        for (int64_t j = 0; j < d; ++j) {
          const double t = x[idx[a] * d + j] - x[idx[b] * d + j];
          s += t * t;
        }
        dist.emplace_back(s, idx[b]);
      }
      std::partial_sort(dist.begin(), dist.begin() + long(kk), dist.end());
      for (size_t q = 0; q < kk; ++q) nn[a].push_back(dist[q].second);
    }
    for (size_t made = idx.size(); made < largest; ++made) {
      const size_t a = size_t(g.randint(int64_t(idx.size())));
      const int64_t b = nn[a][size_t(g.randint(int64_t(kk)))];
      const double u = g.uniform();
      for (int64_t j = 0; j < d; ++j) out.push_back(x[idx[a] * d + j] + u * (x[b * d + j] - x[idx[a] * d + j]));
      r.labels.push_back(c);
    }
  }
  r.features = Tensor::from(out, {int64_t(r.labels.size()), d}, DType::f64).to(features.dtype());
  return r;
}

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

}  // namespace easel
