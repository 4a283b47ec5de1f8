// The two conv + BiLSTM nets of the style-classification seed, exactly as their PyTorch definitions:
//
// RecurrentCNN: conv 3→32 + ReLU + pool /2, conv 32→64 + ReLU + pool /2, adaptive avg-pool to
//   (14, 56), rows as a sequence of 14 steps of 64·56 features, BiLSTM(256), mean over steps,
//   dropout 0.5, fc.
// EffNetLSTM: EfficientNet-B0 features → 1×1 conv to 512 + BN + ReLU, the H·W positions as a
//   sequence of 512-d steps, 2-layer BiLSTM(256), [h_n forward, h_n backward] of the last layer,
//   classifier 512 → 256 → ReLU → Dropout 0.5 → classes.
#include "nets/net.h"

namespace easel {

namespace {

class RecurrentCNN : public Net {
 public:
  explicit RecurrentCNN(int64_t classes, int64_t hidden = 256, double drop = 0.5) : Net("RecurrentCNN", classes) {
    MaxPool2dOptions p;
    p.kernel = 2, p.stride = Hw(2);
    conv1 = add_module("conv1", std::make_shared<Conv2d>(3, 32, 3, 1, 1));
    pool1 = add_module("pool1", std::make_shared<MaxPool2d>(p));
    conv2 = add_module("conv2", std::make_shared<Conv2d>(32, 64, 3, 1, 1));
    pool2 = add_module("pool2", std::make_shared<MaxPool2d>(p));
    pool = add_module("adaptive_pool", std::make_shared<AdaptiveAvgPool2d>(Hw(14, 56)));
    lstm = add_module("lstm", std::make_shared<LSTM>(64 * 56, hidden, 1, true, true));
    drop_ = add_module("dropout", std::make_shared<Dropout>(drop));
    add_module("fc", std::make_shared<Linear>(2 * hidden, classes));
    head_path = "fc";
    last_conv_path = "conv2";
    embedding_size = 2 * hidden;
  }
  Tensor embed(const Tensor& x) override {
    Tensor h = (*pool1)(relu((*conv1)(x)));
    h = (*pool2)(relu((*conv2)(h)));
    h = (*pool)(h).permute({0, 2, 1, 3}).contiguous();  // [B, 14, 64, 56]
    h = h.reshape({h.size(0), h.size(1), h.size(2) * h.size(3)});
    return (*drop_)(mean(lstm->run(h).output, {1}));
  }
  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<MaxPool2d> pool1, pool2;
  std::shared_ptr<AdaptiveAvgPool2d> pool;
  std::shared_ptr<LSTM> lstm;
  std::shared_ptr<Dropout> drop_;
};

class EffNetLSTM : public Net {
 public:
  explicit EffNetLSTM(int64_t classes) : Net("EffNetLSTM", classes) {
    cnn = add_module("cnn", efficientnet_b0_features());
    reducer = add_module("channel_reducer", std::make_shared<Sequential>());
    reducer->push(std::make_shared<Conv2d>(1280, 512, 1));
    reducer->push(std::make_shared<BatchNorm>(512));
    reducer->push(make_relu());
    lstm = add_module("lstm", std::make_shared<LSTM>(512, 256, 2, true, true));
    classifier = add_module("classifier", std::make_shared<Sequential>());
    classifier->push(std::make_shared<Linear>(512, 256));
    classifier->push(make_relu());
    classifier->push(std::make_shared<Dropout>(0.5));
    classifier->push(std::make_shared<Linear>(256, classes));
    head_path = "classifier.3";
    last_conv_path = "channel_reducer";
    embedding_size = 256;
  }
  Tensor embed(const Tensor& x) override {
    Tensor h = (*reducer)((*cnn)(x));
    const int64_t b = h.size(0), c = h.size(1), hw = h.size(2) * h.size(3);
    h = h.permute({0, 2, 3, 1}).reshape({b, hw, c});
    const Tensor hn = lstm->run(h).h_n;  // [4, B, 256]: l0 fwd, l0 rev, l1 fwd, l1 rev
    return classifier->forward_range(concat({hn.select(0, -2), hn.select(0, -1)}, 1), 0, 3);
  }
  std::shared_ptr<Sequential> cnn, reducer, classifier;
  std::shared_ptr<LSTM> lstm;
};

}  // namespace

std::shared_ptr<Net> make_recurrent_cnn(int64_t classes) { return std::make_shared<RecurrentCNN>(classes); }
std::shared_ptr<Net> make_effnet_lstm(int64_t classes) { return std::make_shared<EffNetLSTM>(classes); }

}  // namespace easel
