// The weights a net starts from, wherever a command takes --weights:
//   - a plain .npz of PyTorch state_dict names (converted ImageNet weights, `easel export`'s output);
//   - a training checkpoint (a run's best.npz or last.npz): its model part only;
//   - a run directory: its best.npz, after checking that the run trained this architecture.
// A file whose head (the final Linear, Net::head_path) has another class count than the net — an
// ImageNet file, or a run on another data set — loads everything but the head, which keeps its fresh
// initialisation; --reset-head does the same for a head of the right shape. Top-level modules the
// net does not have (torchvision VGG's classifier for the GAP-head VGG) are left out, and named.
#pragma once
#include <string>

#include "nets/net.h"
#include "tensor/named.h"

namespace easel {

struct StartingWeights {
  NamedTensors tensors;  // the model's state_dict as the file holds it
  std::string file;      // the .npz read (a run directory's best.npz)
  std::string run_model; // the architecture of the run it came from ("" for a plain file)
};

// Reads `path` (file or run directory); `model` is the architecture the weights are for: a run
// that trained another one is refused, naming both.
StartingWeights read_starting_weights(const std::string& path, const std::string& model);

// Loads into `net`: keys the file lacks keep their initialisation (backbone-only files), unexpected
// keys and other shape mismatches fail. Returns a one-line account (what was kept fresh and why).
std::string load_starting_weights(Net& net, const StartingWeights& w, bool reset_head = false);

// The number of classes the file's head was trained for (its first dimension), or 0 without one.
int64_t head_classes(const NamedTensors& tensors, const Net& net);

}  // namespace easel
