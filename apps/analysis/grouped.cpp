#include "apps/analysis/grouped.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "tensor/error.h"

namespace easel {

GroupedConfusion grouped_confusion(const std::string& column, const std::vector<std::string>& group,
                                   const std::vector<int64_t>& label, const std::vector<int64_t>& predicted,
                                   const std::vector<std::string>& classes) {
  EASEL_CHECK(group.size() == label.size() && label.size() == predicted.size(), "grouped_confusion: ", group.size(),
              " groups, ", label.size(), " labels, ", predicted.size(), " predictions");
  GroupedConfusion g;
  g.column = column;
  g.classes = classes;
  std::map<std::string, size_t> index;
  for (const auto& s : group) index.emplace(s, 0);
  for (auto& [name, k] : index) k = g.groups.size(), g.groups.push_back(name);
  const size_t G = g.groups.size(), C = classes.size();
  g.counts.assign(C, std::vector<int64_t>(G, 0));
  g.size.assign(G, 0), g.correct.assign(G, 0), g.true_class.assign(G, "");
  for (size_t i = 0; i < group.size(); ++i) {
    const size_t k = index[group[i]];
    EASEL_CHECK(label[i] >= 0 && size_t(label[i]) < C && predicted[i] >= 0 && size_t(predicted[i]) < C,
                "grouped_confusion: image ", i, " has label ", label[i], " / prediction ", predicted[i], " outside ", C, " classes");
    ++g.counts[size_t(predicted[i])][k], ++g.size[k], g.correct[k] += predicted[i] == label[i];
    const std::string& t = classes[size_t(label[i])];
    g.true_class[k] = g.true_class[k].empty() || g.true_class[k] == t ? t : "mixed";
  }
  return g;
}

std::vector<std::string> group_values(const Dataset& data, const std::vector<size_t>& indices, const std::string& column) {
  std::vector<std::string> out;
  for (size_t i : indices) {
    const Sample& s = data.samples.at(i);
    const auto it = s.columns.find(column);
    if (it == s.columns.end()) {
      std::string have;
      for (const auto& [k, v] : s.columns) have += (have.empty() ? "" : ", ") + k;
      throw Error("group by '" + column + "': " + data.source + " has no such column" +
                  (have.empty() ? " (an image folder has no columns; use a CSV manifest)" : " (columns: " + have + ")"));
    }
    out.push_back(it->second);
  }
  return out;
}

std::string grouped_markdown(const GroupedConfusion& g) {
  std::ostringstream md;
  md << "| predicted \\ " << g.column;
  for (const auto& name : g.groups) md << " | " << name;
  md << " |\n|---";
  for (size_t k = 0; k < g.groups.size(); ++k) md << "|---:";
  md << "|\n| *true class*";
  for (const auto& t : g.true_class) md << " | *" << t << "*";
  md << " |\n";
  for (size_t c = 0; c < g.classes.size(); ++c) {
    md << "| " << g.classes[c];
    for (int64_t v : g.counts[c]) md << " | " << v;
    md << " |\n";
  }
  md << "| **images**";
  for (int64_t n : g.size) md << " | " << n;
  md << " |\n| **accuracy**";
  char buf[32];
  for (size_t k = 0; k < g.groups.size(); ++k) {
    std::snprintf(buf, sizeof buf, "%.3f", g.accuracy(k));
    md << " | " << buf;
  }
  md << " |\n";
  return md.str();
}


}  // namespace easel
