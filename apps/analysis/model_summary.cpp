#include "apps/analysis/model_summary.h"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <map>
#include <sstream>

#include "autograd/flops.h"
#include "autograd/node.h"

namespace easel {

namespace {

// What a row needs to know of a module, looked up once per module of the tree.
struct ModuleFacts {
  std::string path;
  int64_t params = 0;
  bool leaf = false;
};

// Each module call becomes a row: opened on enter (the MACs counted so far), closed on exit (the
// MACs since, the output's shape). Rows nest as the calls do.
class SummaryObserver : public ModuleObserver {
 public:
  SummaryObserver(const Module& net, const MacCounter& counter) : counter_(counter) {
    for (auto& [path, m] : net.named_modules())  // a module registered twice keeps its first path
      facts_.try_emplace(m, ModuleFacts{path, m->num_parameters(), m->named_modules().size() == 1});
  }

  void enter(const Module& m) override {
    SummaryRow row;
    const ModuleFacts facts = facts_of(m);
    row.depth = int(open_.size());
    row.path = facts.path;
    row.layer = m.describe();
    row.params = facts.params;
    row.leaf = facts.leaf;
    open_.push_back({rows.size(), counter_.macs});
    rows.push_back(row);
  }

  void exit(const Module&, const Tensor& output) override {
    const auto [index, macs_before] = open_.back();
    open_.pop_back();
    rows[index].output = output.shape();
    rows[index].macs = counter_.macs - macs_before;
  }

  std::vector<SummaryRow> rows;

 private:
  ModuleFacts facts_of(const Module& m) const {
    auto it = facts_.find(&m);
    if (it != facts_.end()) return it->second;
    return {"(" + m.type() + ", not in the net's tree)", m.num_parameters(), m.named_modules().size() == 1};
  }
  const MacCounter& counter_;
  std::map<const Module*, ModuleFacts> facts_;
  std::vector<std::pair<size_t, int64_t>> open_;  // the calls under way: row index, MACs at entry
};

// 11689512 -> "11,689,512"
std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

// A row's first column: indented by depth, the module's path below the row it ran in, its description.
// "layer1.0.conv1" inside "layer1.0" reads "conv1: Conv2d(...)".
std::string row_label(const SummaryRow& row, const std::string& parent_path) {
  if (row.depth == 0) return row.layer;
  std::string name = row.path;
  if (!parent_path.empty() && name.rfind(parent_path + ".", 0) == 0) name = name.substr(parent_path.size() + 1);
  return std::string(size_t(2 * row.depth), ' ') + name + ": " + row.layer;
}

double mib(int64_t bytes) { return double(bytes) / double(1 << 20); }

}  // namespace

ModelSummary summarise(Module& net, const Shape& input) {
  ModelSummary s;
  s.input = input;
  const NamedTensors params = net.named_parameters();
  Device device = Device::cpu();
  if (!params.empty()) {  // the input follows the first parameter's dtype and device
    s.dtype = params[0].second.dtype();
    device = params[0].second.device();
  }
  for (const auto& [name, t] : params) {
    s.params += t.numel();
    if (t.requires_grad()) s.trainable += t.numel();
  }
  net.eval();
  MacCounter counter;
  {
    SummaryObserver observer(net, counter);
    NoGradGuard no_grad;
    net(Tensor::zeros(input, s.dtype, device));
    s.rows = std::move(observer.rows);
  }
  s.macs = counter.macs;
  return s;
}

std::string format_summary(const ModelSummary& s, int max_depth) {
  // Labels first (they set the first column's width), each against the path of the row it ran in.
  std::vector<std::string> labels(s.rows.size());
  std::vector<std::string> open_paths;  // the path of the latest row at each depth
  size_t width = std::string("layer (type)").size();
  for (size_t i = 0; i < s.rows.size(); ++i) {
    const SummaryRow& row = s.rows[i];
    open_paths.resize(size_t(row.depth));
    labels[i] = row_label(row, open_paths.empty() ? "" : open_paths.back());
    open_paths.push_back(row.path);
    if (row.depth <= max_depth) width = std::max(width, labels[i].size());
  }
  std::ostringstream os;
  auto columns = [&](const std::string& label, const std::string& shape, const std::string& params,
                     const std::string& macs) {
    os << std::left << std::setw(int(width)) << label << "  " << std::setw(22) << shape << std::right << " "
       << std::setw(14) << params << " " << std::setw(16) << macs << "\n";
  };
  columns("layer (type)", "output shape", "params", "MACs");
  int64_t leaf_output_bytes = 0, hidden = 0;
  for (size_t i = 0; i < s.rows.size(); ++i) {
    const SummaryRow& row = s.rows[i];
    if (row.leaf) leaf_output_bytes += shape_numel(row.output) * int64_t(dtype_size(s.dtype));
    if (row.depth <= max_depth) columns(labels[i], shape_str(row.output), with_commas(row.params), with_commas(row.macs));
    else ++hidden;
  }
  os << "(a row's params and MACs include the rows under it";
  if (hidden > 0) os << "; " << hidden << " calls deeper than depth " << max_depth << " not shown";
  os << ")\n\n";
  os << "parameters: " << with_commas(s.params) << " (trainable " << with_commas(s.trainable) << ", frozen "
     << with_commas(s.params - s.trainable) << ")\n";
  char gmacs[32];
  std::snprintf(gmacs, sizeof gmacs, "%.3f", double(s.macs) / 1e9);
  os << "multiply-adds: " << with_commas(s.macs) << " (" << gmacs << " G) in one forward pass of "
     << shape_str(s.input) << "\n";
  char sizes[160];
  std::snprintf(sizes, sizeof sizes, "sizes (%s): input %.2f MiB, parameters %.2f MiB, outputs of the leaf layers %.2f MiB\n",
                dtype_name(s.dtype), mib(shape_numel(s.input) * int64_t(dtype_size(s.dtype))),
                mib(s.params * int64_t(dtype_size(s.dtype))), mib(leaf_output_bytes));
  os << sizes;
  return os.str();
}

}  // namespace easel
