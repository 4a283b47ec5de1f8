// Command-line flags: "--name value" pairs, bare "--flag" switches, and positional arguments.
// Unknown flags are errors that list the known ones.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "io/dataset.h"

namespace easel {

// Thrown by Args when the command line holds --help or -h: run_command prints the command's usage and
// the flags it was about to accept (`flags`, each "--name VALUE" or "--switch"), and exits 0.
struct HelpRequested {
  std::string command;
  std::vector<std::string> flags;
};

class Args {
 public:
  // `valued`: flags that take a value; `switches`: flags that do not.
  Args(int argc, char** argv, int first, const std::set<std::string>& valued, const std::set<std::string>& switches);
  bool has(const std::string& name) const;
  std::string get(const std::string& name, const std::string& fallback = "") const;
  std::string require(const std::string& name) const;
  int64_t get_int(const std::string& name, int64_t fallback) const;
  double get_double(const std::string& name, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::string command_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// The flags every command that reads a dataset takes: --data, --label-column, --path-template,
// --where COLUMN=VALUE[,...]; and the CsvOptions they describe.
extern const std::set<std::string> kDataFlags;
std::set<std::string> with(std::set<std::string> a, const std::set<std::string>& b);
CsvOptions csv_options(const Args& a);

}  // namespace easel
