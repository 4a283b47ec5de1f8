#include "apps/cli/args.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "tensor/error.h"

namespace easel {

Args::Args(int argc, char** argv, int first, const std::set<std::string>& valued, const std::set<std::string>& switches)
    : command_(first > 1 ? argv[first - 1] : "easel") {
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--", 0) == 0 && valued.count(a.substr(2))) {  // its value may be anything, "-h" too
      ++i;
      continue;
    }
    if (a == "--help" || a == "-h") {
      HelpRequested h{command_, {}};
      for (const auto& v : valued) h.flags.push_back("--" + v + " VALUE");
      for (const auto& s : switches) h.flags.push_back("--" + s);
      std::sort(h.flags.begin(), h.flags.end());
      throw h;
    }
  }
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      positional_.push_back(a);
      continue;
    }
    const std::string name = a.substr(2);
    if (switches.count(name)) {
      values_[name] = "1";
    } else if (valued.count(name)) {
      EASEL_CHECK(i + 1 < argc, command_, ": --", name, " needs a value");
      values_[name] = argv[++i];
    } else {
      std::string known;
      for (const auto& v : valued) known += " --" + v;
      for (const auto& s : switches) known += " --" + s;
      throw Error(command_ + ": unknown option " + a + " (known:" + known + ")");
    }
  }
}

bool Args::has(const std::string& name) const { return values_.count(name) > 0; }

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::string Args::require(const std::string& name) const {
  EASEL_CHECK(has(name), command_, ": --", name, " is required");
  return get(name);
}

int64_t Args::get_int(const std::string& name, int64_t fallback) const {
  if (!has(name)) return fallback;
  const std::string v = get(name);
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  EASEL_CHECK(!v.empty() && *end == 0, command_, ": --", name, " needs an integer, got '", v, "'");
  return x;
}

double Args::get_double(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  const std::string v = get(name);
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  EASEL_CHECK(!v.empty() && *end == 0, command_, ": --", name, " needs a number, got '", v, "'");
  return x;
}

const std::set<std::string> kDataFlags = {"data", "label-column", "path-template", "where"};

std::set<std::string> with(std::set<std::string> a, const std::set<std::string>& b) {
  a.insert(b.begin(), b.end());
  return a;
}

CsvOptions csv_options(const Args& a) {
  CsvOptions c;
  c.label_column = a.get("label-column", "label");
  c.path_template = a.get("path-template", "");
  std::stringstream ss(a.get("where", ""));
  for (std::string item; std::getline(ss, item, ',');) {
    const size_t eq = item.find('=');
    EASEL_CHECK(eq != std::string::npos, "--where: write COLUMN=VALUE, got '", item, "'");
    c.where.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return c;
}

}  // namespace easel
