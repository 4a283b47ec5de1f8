// A classification network: embed(x) gives the vector before the final Linear layer (the
// embedding the SVM head, outliers and t-SNE use); forward(x) applies that Linear (the "head").
// Every net is created by name from the registry with its number of classes.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "layers/blocks.h"
#include "layers/lstm.h"

namespace easel {

class Net : public Module {
 public:
  Net(std::string type, int64_t num_classes) : Module(std::move(type)), num_classes(num_classes) {}
  virtual Tensor embed(const Tensor& x) = 0;
  Tensor forward(const Tensor& x) override { return at(head_path)(embed(x)); }
  int64_t num_classes;
  std::string head_path;        // module path of the final Linear, e.g. "fc" or "classifier.6"
  std::string last_conv_path;   // default layer for Grad-CAM and feature maps
  int64_t embedding_size = 0;
  // Module paths of the net's backbones when it has several (a two-branch net's branches): --freeze
  // counts each one's layers on its own. Empty: the whole net is one.
  std::vector<std::string> backbone_paths;
};

struct NetInfo {
  std::string name, summary;
  std::function<std::shared_ptr<Net>(int64_t num_classes)> create;
};

const std::vector<NetInfo>& net_registry();
std::shared_ptr<Net> create_net(const std::string& name, int64_t num_classes = 1000);  // errors list the names

// Constructors (each file in nets/ defines its family).
std::shared_ptr<Net> make_vgg(int depth, bool batch_norm, int64_t num_classes, bool gap_head = false);  // vgg.cpp
std::shared_ptr<Net> make_resnet(int depth, int64_t num_classes);                          // resnet.cpp
std::shared_ptr<Net> make_efficientnet_b0(int64_t num_classes);                            // efficientnet.cpp
std::shared_ptr<Net> make_efficientnet_v2_s(int64_t num_classes);                          // efficientnet.cpp
std::shared_ptr<Sequential> efficientnet_b0_features();                                    // efficientnet.cpp
std::shared_ptr<Net> make_xception(int64_t num_classes);                                   // xception.cpp
std::shared_ptr<Net> make_recurrent_cnn(int64_t num_classes);                              // sequence_nets.cpp
std::shared_ptr<Net> make_effnet_lstm(int64_t num_classes);                                // sequence_nets.cpp
std::shared_ptr<Net> make_two_branch_resnet50(int64_t num_classes, bool dense_fusion);     // two_branch.cpp

// ResNet trunk without its fc: stem, layer1..4, global average pool -> [N, 512·expansion].
class ResNetTrunk : public Module {
 public:
  ResNetTrunk(int depth);
  Tensor forward(const Tensor& x) override;
  int64_t out_features;
};

}  // namespace easel
