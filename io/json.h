// A small JSON value type with a parser and a writer: run configurations, per-epoch logs, metrics
// and (later) experiment files. Objects keep their keys' order.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace easel {

class Json {
 public:
  enum class Kind { null, boolean, number, string, array, object };
  Json() = default;
  Json(bool b) : kind_(Kind::boolean), num_(b) {}                  // NOLINT
  Json(double v) : kind_(Kind::number), num_(v) {}                 // NOLINT
  Json(int64_t v) : kind_(Kind::number), num_(double(v)) {}       // NOLINT
  Json(int v) : kind_(Kind::number), num_(v) {}                    // NOLINT
  Json(const char* s) : kind_(Kind::string), str_(s) {}           // NOLINT
  Json(std::string s) : kind_(Kind::string), str_(std::move(s)) {}  // NOLINT
  static Json array(std::vector<Json> items = {});
  static Json object();
  static Json object(std::initializer_list<std::pair<std::string, Json>> members);  // {{"key", value}, ...}
  static Json parse(const std::string& text, const std::string& where = "json");
  static Json load(const std::string& path);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::null; }
  bool has(const std::string& key) const;
  const Json& operator[](const std::string& key) const;  // throws naming the key
  Json& set(const std::string& key, Json v);             // adds or replaces
  void push(Json v);
  const std::vector<Json>& items() const;
  const std::vector<std::pair<std::string, Json>>& members() const;
  double num() const;
  int64_t integer() const { return int64_t(num()); }
  bool boolean() const;
  const std::string& str() const;
  // Typed look-ups with a default when the key is absent.
  std::string get(const std::string& key, const std::string& fallback) const;
  double get(const std::string& key, double fallback) const;
  bool get(const std::string& key, bool fallback) const;
  std::string dump() const;  // compact, one line

 private:
  Kind kind_ = Kind::null;
  double num_ = 0;
  std::string str_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

}  // namespace easel
