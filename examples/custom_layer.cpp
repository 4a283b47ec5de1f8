// A layer of your own: a new differentiable op with a hand-written backward, wrapped in a Module
// with a learnable parameter, and proved right by gradcheck (f64 central differences).
//
//   Softsign with a learnable per-channel gain a:   y = a·x / (1 + |x|)
//   ∂y/∂x = a / (1 + |x|)²,   ∂y/∂a = Σ over everything but the channel of x / (1 + |x|)
#include <cmath>
#include <cstdio>

#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "autograd/ops.h"
#include "layers/module.h"
#include "tensor/random.h"

using namespace easel;

// The op: x [N, C, H, W], a [C] -> [N, C, H, W]. The forward computes with plain loops; record()
// puts a Node on the tape whose backward returns one gradient per input.
Tensor gained_softsign(const Tensor& x_in, const Tensor& a_in) {
  const Tensor x = x_in.contiguous().to(DType::f64), a = a_in.contiguous().to(DType::f64);
  const int64_t C = x.size(1), HW = x.size(2) * x.size(3), N = x.size(0);
  Tensor y = Tensor::empty(x.shape(), DType::f64);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double v = x.data<double>()[i];
    y.data<double>()[i] = a.data<double>()[(i / HW) % C] * v / (1 + std::fabs(v));
  }
  return record(y, "gained_softsign", {x_in, a_in}, [=](const Tensor& gy_in) -> std::vector<Tensor> {
    const Tensor gy = gy_in.contiguous().to(DType::f64);
    Tensor gx = Tensor::empty(x.shape(), DType::f64), ga = Tensor::zeros({C}, DType::f64);
    for (int64_t i = 0; i < N * C * HW; ++i) {
      const double v = x.data<double>()[i], d = 1 + std::fabs(v), g = gy.data<double>()[i];
      const int64_t c = (i / HW) % C;
      gx.data<double>()[i] = g * a.data<double>()[c] / (d * d);
      ga.data<double>()[c] += g * v / d;
    }
    return {gx, ga};
  });
}

// The layer: owns the gain (registered under the name "gain", as a state_dict key).
class GainedSoftsign : public Module {
 public:
  explicit GainedSoftsign(int64_t channels) : Module("GainedSoftsign") {
    gain = add_parameter("gain", Tensor::ones({channels}, DType::f64));
  }
  Tensor forward(const Tensor& x) override { return gained_softsign(x, gain); }
  Tensor gain;
};

int main() {
  GainedSoftsign layer(3);
  Generator g(7);
  const Tensor x = Tensor::uniform({2, 3, 4, 4}, -2, 2, DType::f64, &g).requires_grad_();
  const GradcheckResult r = gradcheck([&](const std::vector<Tensor>& in) { return gained_softsign(in[0], in[1]); },
                                      {x, layer.gain});
  std::printf("gradcheck of gained_softsign: %s (%lld elements checked)%s%s\n", r.ok ? "passed" : "FAILED",
              (long long)r.elements_checked, r.ok ? "" : ": ", r.message.c_str());
  const Tensor y = layer(x);
  std::printf("layer output %s, parameters: %s\n", y.describe().c_str(), layer.state_dict()[0].first.c_str());
  return r.ok ? 0 : 1;
}
