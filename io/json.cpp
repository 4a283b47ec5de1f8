#include "io/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tensor/error.h"

namespace easel {

Json Json::array(std::vector<Json> items) {
  Json j;
  j.kind_ = Kind::array;
  j.items_ = std::move(items);
  return j;
}

Json Json::object() {
  Json j;
  j.kind_ = Kind::object;
  return j;
}

Json Json::object(std::initializer_list<std::pair<std::string, Json>> members) {
  Json j = object();
  for (const auto& [k, v] : members) j.set(k, v);
  return j;
}

bool Json::has(const std::string& key) const {
  for (const auto& [k, v] : members_)
    if (k == key) return true;
  return false;
}

const Json& Json::operator[](const std::string& key) const {
  EASEL_CHECK(kind_ == Kind::object, "json: looking up '", key, "' in a value that is not an object");
  for (const auto& [k, v] : members_)
    if (k == key) return v;
  throw Error("json: missing key '" + key + "'");
}

Json& Json::set(const std::string& key, Json v) {
  if (kind_ == Kind::null) kind_ = Kind::object;
  EASEL_CHECK(kind_ == Kind::object, "json: setting '", key, "' on a value that is not an object");
  for (auto& [k, old] : members_)
    if (k == key) return old = std::move(v);
  members_.emplace_back(key, std::move(v));
  return members_.back().second;
}

void Json::push(Json v) {
  if (kind_ == Kind::null) kind_ = Kind::array;
  EASEL_CHECK(kind_ == Kind::array, "json: push onto a value that is not an array");
  items_.push_back(std::move(v));
}

const std::vector<Json>& Json::items() const {
  EASEL_CHECK(kind_ == Kind::array, "json: expected an array");
  return items_;
}
const std::vector<std::pair<std::string, Json>>& Json::members() const {
  EASEL_CHECK(kind_ == Kind::object, "json: expected an object");
  return members_;
}
double Json::num() const {
  EASEL_CHECK(kind_ == Kind::number, "json: expected a number, got ", dump());
  return num_;
}
bool Json::boolean() const {
  EASEL_CHECK(kind_ == Kind::boolean, "json: expected true or false, got ", dump());
  return num_ != 0;
}
const std::string& Json::str() const {
  EASEL_CHECK(kind_ == Kind::string, "json: expected a string, got ", dump());
  return str_;
}
std::string Json::get(const std::string& key, const std::string& fallback) const {
  return has(key) ? (*this)[key].str() : fallback;
}
double Json::get(const std::string& key, double fallback) const { return has(key) ? (*this)[key].num() : fallback; }
bool Json::get(const std::string& key, bool fallback) const { return has(key) ? (*this)[key].boolean() : fallback; }

static void escape(std::ostringstream& os, const std::string& s) {
  os << '"';
  for (char c : s) {
    if (c == '"' || c == '\\') os << '\\' << c;
    else if (c == '\n') os << "\\n";
    else if (uint8_t(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      os << buf;
    } else os << c;
  }
  os << '"';
}

std::string Json::dump() const {
  std::ostringstream os;
  switch (kind_) {
    case Kind::null: return "null";
    case Kind::boolean: return num_ ? "true" : "false";
    case Kind::number: {
      if (!std::isfinite(num_)) return "null";
      char buf[32];  // the shortest of %.15g / %.17g that reads back as the same double
      std::snprintf(buf, sizeof buf, "%.15g", num_);
      if (std::strtod(buf, nullptr) != num_) std::snprintf(buf, sizeof buf, "%.17g", num_);
      return buf;
    }
    case Kind::string: escape(os, str_); return os.str();
    case Kind::array:
      os << '[';
      for (size_t i = 0; i < items_.size(); ++i) os << (i ? ", " : "") << items_[i].dump();
      os << ']';
      return os.str();
    case Kind::object:
      os << '{';
      for (size_t i = 0; i < members_.size(); ++i) {
        os << (i ? ", " : "");
        escape(os, members_[i].first);
        os << ": " << members_[i].second.dump();
      }
      os << '}';
      return os.str();
  }
  return "null";
}

namespace {

struct Parser {
  static constexpr int kMaxDepth = 200;  // nesting deeper than any config needs; keeps the recursion off the stack's end
  const std::string& s;
  const std::string& where;
  size_t i = 0;
  int depth = 0;
  [[noreturn]] void fail(const std::string& what) {
    int line = 1;
    for (size_t k = 0; k < i && k < s.size(); ++k) line += s[k] == '\n';
    throw Error(where + ":" + std::to_string(line) + ": " + what);
  }
  void ws() {
    while (i < s.size() && (isspace(uint8_t(s[i])) || s[i] == '#')) {  // '#' comments to the end of the line
      if (s[i] == '#') while (i < s.size() && s[i] != '\n') ++i;
      else ++i;
    }
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) return ++i, true;
    return false;
  }
  // After "\\u": four hex digits (a surrogate pair: two escapes) -> a code point; i past them.
  uint32_t hex4() {
    if (i + 4 >= s.size()) fail("\\u needs four hex digits");
    uint32_t v = 0;
    for (int k = 1; k <= 4; ++k) {
      const char h = s[i + size_t(k)];
      if (!isxdigit(uint8_t(h))) fail("\\u needs four hex digits");
      v = v * 16 + uint32_t(isdigit(uint8_t(h)) ? h - '0' : (h | 32) - 'a' + 10);
    }
    i += 5;
    return v;
  }
  uint32_t code_point() {
    const uint32_t hi = hex4();
    if (hi < 0xD800 || hi > 0xDBFF || i + 1 >= s.size() || s[i] != '\\' || s[i + 1] != 'u') return hi;
    ++i;
    const uint32_t lo = hex4();
    if (lo < 0xDC00 || lo > 0xDFFF) fail("bad \\u surrogate pair");
    return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
  }
  static void utf8(std::string& out, uint32_t c) {
    if (c < 0x80) out += char(c);
    else if (c < 0x800) out += char(0xC0 | c >> 6), out += char(0x80 | (c & 0x3F));
    else if (c < 0x10000) out += char(0xE0 | c >> 12), out += char(0x80 | (c >> 6 & 0x3F)), out += char(0x80 | (c & 0x3F));
    else
      out += char(0xF0 | c >> 18), out += char(0x80 | (c >> 12 & 0x3F)), out += char(0x80 | (c >> 6 & 0x3F)),
          out += char(0x80 | (c & 0x3F));
  }
  std::string string() {
    if (!eat('"')) fail("expected a string");
    std::string out;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) {
        const char e = s[++i];
        if (e == 'u') {
          utf8(out, code_point());
          continue;
        }
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
      } else {
        out += s[i];
      }
      ++i;
    }
    if (i >= s.size()) fail("unterminated string");
    ++i;
    return out;
  }
  Json value() {
    ws();
    if (i >= s.size()) fail("unexpected end of input");
    const char c = s[i];
    if ((c == '{' || c == '[') && ++depth > kMaxDepth) fail("nested more than " + std::to_string(kMaxDepth) + " levels deep");
    Json v = c == '{' ? object() : c == '[' ? array() : scalar(c);
    if (c == '{' || c == '[') --depth;
    return v;
  }
  Json object() {
    ++i;
    Json o = Json::object();
    if (eat('}')) return o;
    do {
      const std::string k = string();
      if (!eat(':')) fail("expected ':' after \"" + k + "\"");
      o.set(k, value());
    } while (eat(','));
    if (!eat('}')) fail("expected ',' or '}'");
    return o;
  }
  Json array() {
    ++i;
    Json a = Json::array();
    if (eat(']')) return a;
    do a.push(value());
    while (eat(','));
    if (!eat(']')) fail("expected ',' or ']'");
    return a;
  }
  Json scalar(char c) {
    if (c == '"') return Json(string());
    if (s.compare(i, 4, "true") == 0) return i += 4, Json(true);
    if (s.compare(i, 5, "false") == 0) return i += 5, Json(false);
    if (s.compare(i, 4, "null") == 0) return i += 4, Json();
    char* end = nullptr;
    const double v = std::strtod(s.c_str() + i, &end);
    if (end == s.c_str() + i) fail(std::string("unexpected character '") + c + "'");
    if (!std::isfinite(v)) fail("number out of range: " + s.substr(i, size_t(end - s.c_str()) - i));
    i = size_t(end - s.c_str());
    return Json(v);
  }
};

}  // namespace

Json Json::parse(const std::string& text, const std::string& where) {
  Parser p{text, where};
  Json v = p.value();
  p.ws();
  if (p.i != text.size()) p.fail("trailing characters after the value");
  return v;
}

Json Json::load(const std::string& path) {
  std::ifstream f(path);
  EASEL_CHECK(f, path, ": cannot open");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse(ss.str(), path);
}

}  // namespace easel
