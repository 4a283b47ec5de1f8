// Evaluation grouped by a manifest column (an image's source, its original style, ...): the
// extended confusion matrix of the AI-vs-human seed, with one column per group and one row per
// predicted class, and each group's accuracy. A group whose images do not all share one true
// class is "mixed"; its accuracy still counts predictions equal to each image's own label.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/dataset.h"

namespace easel {

struct GroupedConfusion {
  std::string column;
  std::vector<std::string> classes, groups;    // groups sorted by name
  std::vector<std::vector<int64_t>> counts;    // [predicted class][group]
  std::vector<int64_t> size, correct;          // per group
  std::vector<std::string> true_class;         // per group: its images' class, or "mixed"
  double accuracy(size_t g) const { return size[g] ? double(correct[g]) / double(size[g]) : 0; }
};

// group[i], label[i], predicted[i] describe image i.
GroupedConfusion grouped_confusion(const std::string& column, const std::vector<std::string>& group,
                                   const std::vector<int64_t>& label, const std::vector<int64_t>& predicted,
                                   const std::vector<std::string>& classes);

// The group column's value for each sample; errors name the column and list the columns there are.
std::vector<std::string> group_values(const Dataset& data, const std::vector<size_t>& indices, const std::string& column);

std::string grouped_markdown(const GroupedConfusion& g);  // one column per group, then size and accuracy rows

}  // namespace easel
