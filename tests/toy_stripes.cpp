#include "toy_stripes.h"

#include <chrono>
#include <cmath>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "optim/optimizer.h"
#include "tensor/random.h"

namespace easel::toy {

void make_stripes(int64_t n, uint64_t seed, Tensor* images, Tensor* labels) {
  Generator g(seed);
  *images = Tensor::empty({n, 3, kSize, kSize}, DType::f32);
  *labels = Tensor::empty({n}, DType::i64);
  float* px = images->data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t cls = i % kClasses;
    labels->data<int64_t>()[i] = cls;
    const double freq = 0.5 + 0.6 * g.uniform(), phase = 6.283 * g.uniform();
    const double cx = 4 + 8 * g.uniform(), cy = 4 + 8 * g.uniform();
    double colour[3];
    for (double& c : colour) c = 0.4 + 0.6 * g.uniform();
    for (int64_t y = 0; y < kSize; ++y)
      for (int64_t x = 0; x < kSize; ++x) {
        double v;
        if (cls == 0) v = std::sin(freq * double(y) + phase);        // horizontal stripes
        else if (cls == 1) v = std::sin(freq * double(x) + phase);   // vertical stripes
        else v = std::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / 10.0) * 2 - 1;  // a blob
        for (int64_t c = 0; c < 3; ++c)
          px[((i * 3 + c) * kSize + y) * kSize + x] = float(v * colour[c] + 0.3 * g.normal());
      }
  }
}

namespace {

struct Net {  // conv(3→8) bn relu pool  conv(8→16) relu  global-avg  linear(16→3)
  Tensor w1, b1, bn_w, bn_b, bn_mean, bn_var, w2, b2, fc_w, fc_b;

  // PyTorch's default init: U(-1/√fan_in, 1/√fan_in).
  static Tensor init(const Shape& s, int64_t fan_in, DType dt, Generator& g) {
    const double bound = 1.0 / std::sqrt(double(fan_in));
    return Tensor::uniform(s, -bound, bound, dt, &g).requires_grad_();
  }
  Net(DType dt, Generator& g)
      : w1(init({8, 3, 3, 3}, 27, dt, g)), b1(init({8}, 27, dt, g)),
        bn_w(Tensor::ones({8}, dt).requires_grad_()), bn_b(Tensor::zeros({8}, dt).requires_grad_()),
        bn_mean(Tensor::zeros({8}, dt)), bn_var(Tensor::ones({8}, dt)),
        w2(init({16, 8, 3, 3}, 72, dt, g)), b2(init({16}, 72, dt, g)),
        fc_w(init({kClasses, 16}, 16, dt, g)), fc_b(init({kClasses}, 16, dt, g)) {}

  std::vector<Tensor> parameters() const { return {w1, b1, bn_w, bn_b, w2, b2, fc_w, fc_b}; }

  Tensor forward(const Tensor& x, bool training) const {
    Tensor h = conv2d(x, w1, b1, {1, 1});
    h = relu(batch_norm(h, bn_mean, bn_var, bn_w, bn_b, training));
    h = max_pool2d(h, {2});
    h = relu(conv2d(h, w2, b2, {1, 1}));
    h = adaptive_avg_pool2d(h, 1).flatten(1);
    return linear(h, fc_w, fc_b);
  }
};

double accuracy(const Tensor& logits, const Tensor& labels) {
  const Tensor pred = argmax(logits, 1);
  int64_t hit = 0;
  for (int64_t i = 0; i < labels.numel(); ++i) hit += pred.data<int64_t>()[i] == labels.data<int64_t>()[i];
  return double(hit) / double(labels.numel());
}

}  // namespace

TrainResult train_stripes(const TrainConfig& cfg, const std::function<void(const StepLog&)>& on_step) {
  Generator g(cfg.seed);
  Net net(cfg.dtype, g);
  SGD opt(cfg.momentum);
  ParamGroup group;
  group.params = net.parameters();
  for (size_t i = 0; i < group.params.size(); ++i) group.names.push_back("p" + std::to_string(i));
  group.lr = cfg.lr;
  opt.add_group(group);
  Tensor train_x, train_y, val_x, val_y;
  make_stripes(cfg.batch * 8, cfg.seed + 1, &train_x, &train_y);  // 8 batches, reshuffled every pass
  make_stripes(192, cfg.seed + 2, &val_x, &val_y);
  train_x = train_x.to(cfg.dtype);
  val_x = val_x.to(cfg.dtype);
  const int64_t n = train_x.size(0);
  TrainResult result;
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[size_t(i)] = i;
  for (int64_t step = 0; step < cfg.steps; ++step) {
    const int64_t start = step * cfg.batch % n;
    if (start == 0)  // a new pass: Fisher-Yates shuffle
      for (int64_t i = n - 1; i > 0; --i) std::swap(order[size_t(i)], order[size_t(g.randint(i + 1))]);
    std::vector<Tensor> xs, ys;
    for (int64_t i = start; i < start + cfg.batch; ++i) {
      xs.push_back(train_x.slice(0, order[size_t(i)], order[size_t(i)] + 1));
      ys.push_back(train_y.slice(0, order[size_t(i)], order[size_t(i)] + 1));
    }
    const Tensor x = concat(xs, 0), y = concat(ys, 0);
    const auto t0 = std::chrono::steady_clock::now();
    opt.zero_grad();
    const Tensor logits = net.forward(x, true);
    const Tensor loss = cross_entropy(logits, y);
    loss.backward();
    opt.step();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.losses.push_back(loss.item());
    if (on_step) on_step({step + 1, loss.item(), accuracy(logits, y), double(cfg.batch) / secs});
  }
  NoGradGuard no_grad;
  const Tensor logits = net.forward(val_x, false);
  result.val_accuracy = accuracy(logits, val_y);
  result.val_loss = cross_entropy(logits, val_y).item();
  return result;
}

}  // namespace easel::toy
