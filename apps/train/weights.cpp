#include "apps/train/weights.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "apps/model/model_file.h"
#include "apps/train/run.h"
#include "io/checkpoint.h"

namespace fs = std::filesystem;

namespace easel {

namespace {

bool under(const std::string& key, const std::string& path) { return key == path || key.rfind(path + ".", 0) == 0; }

}  // namespace

StartingWeights read_starting_weights(const std::string& path, const std::string& model) {
  StartingWeights w;
  w.file = path;
  if (fs::is_directory(path)) {
    EASEL_CHECK(fs::exists(path + "/config.json"), "--weights ", path, ": a folder, but not a run (no config.json); "
                "give a .npz file or a run directory that `easel train` wrote");
    w.file = path + "/best.npz";
    EASEL_CHECK(fs::exists(w.file), "--weights ", path, ": the run has no best.npz (did its first epoch finish?)");
    w.run_model = read_run_config(path, nullptr).model;
    EASEL_CHECK(w.run_model == model, "--weights ", path, ": that run trained a ", w.run_model, ", not a ", model,
                "; add --model ", w.run_model, " (or give weights for ", model, ")");
  } else {
    EASEL_CHECK(fs::exists(path), "--weights ", path, ": no such file or run directory");
    if (is_model_file(path)) {  // `easel export`'s file says what it holds
      const Json m = read_model_metadata(path);
      w.run_model = m["model"].str();
      EASEL_CHECK(!m.get("batch_norm_folded", false), "--weights ", path, ": its batch norms are folded into the "
                  "convolutions (export --fold-bn): give it as --model (predict, serve) or --run (the inference commands), "
                  "or export the run again without --fold-bn for --weights");
      EASEL_CHECK(w.run_model == model, "--weights ", path, ": that model file holds a ", w.run_model, ", not a ",
                  model, "; add --model ", w.run_model, " (or give weights for ", model, ")");
    }
  }
  w.tensors = load_model_weights(w.file);  // a checkpoint's model part; non-finite values refused
  return w;
}

int64_t head_classes(const NamedTensors& tensors, const Net& net) {
  for (const auto& [key, t] : tensors)
    if (key == net.head_path + ".weight" && t.dim() == 2) return t.size(0);
  return 0;
}

std::string load_starting_weights(Net& net, const StartingWeights& w, bool reset_head) {
  NamedTensors file = w.tensors;
  const int64_t theirs = head_classes(file, net);
  const bool other_classes = theirs > 0 && theirs != net.num_classes;
  if (reset_head || other_classes)  // the file's head is not used at all
    file.erase(std::remove_if(file.begin(), file.end(), [&](const auto& kv) { return under(kv.first, net.head_path); }),
               file.end());
  // Parts of the file's net this one does not have at all (torchvision VGG's classifier.* for the
  // GAP-head VGG) are left out and named; anything else that does not fit still fails.
  std::set<std::string> mine, skipped;
  for (const auto& [key, t] : net.state_dict()) mine.insert(key.substr(0, key.find('.')));
  size_t skipped_arrays = 0;
  file.erase(std::remove_if(file.begin(), file.end(), [&](const auto& kv) {
               const std::string top = kv.first.substr(0, kv.first.find('.'));
               if (mine.count(top)) return false;
               skipped.insert(top), ++skipped_arrays;
               return true;
             }), file.end());
  LoadOptions l;
  l.allow_missing = true;  // backbone-only files (ImageNet weights of a seed net's trunk)
  const LoadReport rep = net.load_state_dict(file, l);
  const size_t loaded = net.state_dict().size() - rep.missing.size();
  EASEL_CHECK(loaded > 0, "--weights ", w.file, ": none of its ", w.tensors.size(), " arrays is named as the ", net.type(),
              "'s (e.g. '", w.tensors.empty() ? std::string("-") : w.tensors[0].first, "'); is it for another architecture?");
  std::string account = "weights: " + w.file + " (" + std::to_string(loaded) + " tensors loaded";
  if (other_classes)
    account += "; its head has " + std::to_string(theirs) + " classes, this net " + std::to_string(net.num_classes) +
               ": the head '" + net.head_path + "' starts fresh";
  else if (reset_head)
    account += "; the head '" + net.head_path + "' starts fresh (--reset-head)";
  if (!skipped.empty()) {
    std::string names;
    for (const std::string& s : skipped) names += (names.empty() ? "" : ", ") + s;
    account += "; left out " + std::to_string(skipped_arrays) + " arrays of " + names + ", which this net does not have";
  }
  const size_t fresh = rep.missing.size();
  if (fresh > 0) account += "; " + std::to_string(fresh) + " tensors kept their fresh initialisation";
  return account + ")";
}

}  // namespace easel
