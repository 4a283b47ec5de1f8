#include "layers/lstm.h"

#include <cmath>

#include "autograd/ops.h"
#include "layers/init.h"

namespace easel {

LSTM::LSTM(int64_t in, int64_t hidden, int64_t layers, bool bf, bool bidir, double drop)
    : Module("LSTM"), input_size(in), hidden_size(hidden), num_layers(layers), batch_first(bf), bidirectional(bidir),
      dropout(drop) {
  EASEL_CHECK(in > 0 && hidden > 0 && layers > 0, "LSTM: sizes must be positive (input ", in, ", hidden ", hidden,
              ", layers ", layers, ")");
  const int64_t dirs = bidir ? 2 : 1;
  const double bound = 1.0 / std::sqrt(double(hidden));  // PyTorch: every weight U(±1/√H)
  for (int64_t l = 0; l < layers; ++l)
    for (int64_t d = 0; d < dirs; ++d) {
      const std::string sfx = "_l" + std::to_string(l) + (d ? "_reverse" : "");
      const int64_t lin = l == 0 ? in : hidden * dirs;
      auto make = [&](const std::string& name, const Shape& s) {
        Tensor t = Tensor::empty(s);
        init::uniform_(t, -bound, bound);
        return add_parameter(name + sfx, t);
      };
      Weights w;
      w.w_ih = make("weight_ih", {4 * hidden, lin});
      w.w_hh = make("weight_hh", {4 * hidden, hidden});
      w.b_ih = make("bias_ih", {4 * hidden});
      w.b_hh = make("bias_hh", {4 * hidden});
      w_.push_back(w);
    }
}

LSTMOutput LSTM::run(const Tensor& x_in) {
  EASEL_CHECK(x_in.dim() == 3 && x_in.size(2) == input_size, "LSTM: input must be ",
              batch_first ? "[B, T, " : "[T, B, ", input_size, "], got ", x_in.describe());
  Tensor x = batch_first ? x_in : x_in.transpose(0, 1);  // work in [B, T, F]
  const int64_t B = x.size(0), T = x.size(1), H = hidden_size, dirs = bidirectional ? 2 : 1;
  std::vector<Tensor> h_n, c_n;
  for (int64_t l = 0; l < num_layers; ++l) {
    if (l > 0 && dropout > 0) x = easel::dropout(x, dropout, training());
    std::vector<Tensor> outs;
    for (int64_t d = 0; d < dirs; ++d) {
      const Weights& w = w_[size_t(l * dirs + d)];
      const Tensor xp = linear(x, w.w_ih, w.b_ih);  // [B, T, 4H], every step at once
      Tensor h = Tensor::zeros({B, H}, x.dtype(), x.device());
      Tensor c = Tensor::zeros({B, H}, x.dtype(), x.device());
      std::vector<Tensor> hs(static_cast<size_t>(T));
      for (int64_t s = 0; s < T; ++s) {
        const int64_t t = d == 0 ? s : T - 1 - s;
        const Tensor gates = xp.select(1, t) + linear(h, w.w_hh, w.b_hh);  // [B, 4H]
        const Tensor i = sigmoid(gates.slice(1, 0, H)), f = sigmoid(gates.slice(1, H, 2 * H));
        const Tensor g = tanh(gates.slice(1, 2 * H, 3 * H)), o = sigmoid(gates.slice(1, 3 * H, 4 * H));
        c = f * c + i * g;
        h = o * tanh(c);
        hs[size_t(t)] = h.unsqueeze(1);
      }
      outs.push_back(concat(hs, 1));  // [B, T, H]
      h_n.push_back(h.unsqueeze(0));
      c_n.push_back(c.unsqueeze(0));
    }
    x = dirs == 1 ? outs[0] : concat(outs, 2);
  }
  return {batch_first ? x : x.transpose(0, 1), concat(h_n, 0), concat(c_n, 0)};
}

std::string LSTM::describe() const {
  return "LSTM(" + std::to_string(input_size) + ", " + std::to_string(hidden_size) +
         ", layers=" + std::to_string(num_layers) + (bidirectional ? ", bidirectional" : "") +
         (batch_first ? ", batch_first" : "") + ")";
}

}  // namespace easel
