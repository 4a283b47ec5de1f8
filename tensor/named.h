// NamedTensors: an ordered list of (name, tensor) pairs — a state_dict, an .npz archive, a
// checkpoint section. Kept in tensor/ so io/ and optim/ can pass them without knowing modules.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace easel {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;  // in registration order

}  // namespace easel
