// easel forward: one forward (and optionally backward) pass of a registry net on given weights and
// input — the tool the PyTorch parity tests drive.
//   easel forward --model NAME [--classes N] [--weights W.npz] --input IN.npz --output OUT.npz
//                 [--labels 1,3 --grads G.npz] [--train-mode] [--seed S] [--dtype f32|f64]
//                 [--device cpu|cuda|cuda:N]
// IN.npz holds `input` (N, 3, H, W) float32. OUT.npz gets `logits` and `embedding`. With --labels,
// G.npz gets the gradient of the summed cross-entropy for every parameter under its state_dict key.
// --dtype f64 runs the whole pass in double precision (input and weights converted); --device runs
// it on a CUDA device (the files are read and written on the host).
// Dropout and stochastic depth are off; batch norm uses running statistics unless --train-mode.
#include <cstdio>
#include <sstream>

#include "apps/cli/args.h"
#include "apps/cli/commands.h"
#include "io/checkpoint.h"
#include "io/npz.h"
#include "io/text.h"
#include "nets/net.h"
#include "tensor/random.h"
#include "apps/train/weights.h"

namespace easel {

int cmd_forward(int argc, char** argv) {
  const Args args(argc, argv, 2,
                  {"model", "classes", "weights", "input", "output", "labels", "grads", "seed", "dtype", "device"},
                  {"train-mode"});
  const std::string model = args.require("model"), in_path = args.require("input"), out_path = args.require("output");
  manual_seed(uint64_t(args.get_int("seed", 0)));
  NamedTensors weights;
  int64_t classes = args.get_int("classes", 0);
  bool backbone_only = false;  // a file without the head (e.g. converted ImageNet backbone weights)
  if (args.has("weights")) {
    weights = read_starting_weights(args.get("weights"), model).tensors;  // a file, a checkpoint or a run
    const std::string head_key = create_net(model, 1)->head_path + ".weight";
    backbone_only = true;
    for (const auto& [k, t] : weights)
      if (k == head_key) {
        backbone_only = false;
        if (classes == 0) classes = t.size(0);  // from the file's head, when not given
      }
  }
  if (classes == 0) classes = 1000;
  const auto net = create_net(model, classes);
  if (!weights.empty()) {
    LoadOptions lo;
    lo.allow_missing = backbone_only;
    const LoadReport rep = net->load_state_dict(weights, lo);
    if (!rep.missing.empty())
      std::printf("forward: %zu tensors not in %s keep their random initialisation (first: %s)\n", rep.missing.size(),
                  args.get("weights").c_str(), rep.missing[0].c_str());
  }
  const std::string dtype = args.get("dtype", "f32");
  EASEL_CHECK(dtype == "f32" || dtype == "f64", "forward: --dtype must be f32 or f64, got '", dtype, "'");
  if (dtype == "f64") net->to(DType::f64);
  const Device device = parse_device(args.get("device", "cpu"));
  net->to(device);
  net->eval();
  if (args.has("train-mode"))
    for (auto& [name, m] : net->named_modules())
      if (dynamic_cast<BatchNorm*>(m)) m->train(true);

  Tensor x = npz_get(load_npz(in_path), "input", in_path);
  check_finite({{"input", x}}, in_path);
  EASEL_CHECK(x.dim() == 4 && x.size(1) == 3 && is_floating(x.dtype()), in_path,
              ": 'input' must be a float (N, 3, H, W) array, got ", x.describe());
  x = x.to(dtype == "f64" ? DType::f64 : DType::f32).to(device);
  const bool want_grads = args.has("labels");
  EASEL_CHECK(want_grads == args.has("grads"), "forward: --labels and --grads go together");
  const Tensor embedding = net->embed(x);
  const Tensor logits = net->at(net->head_path)(embedding);  // = forward(x) with dropout off
  save_npz(out_path, {{"logits", logits.detach()}, {"embedding", embedding.detach()}});
  std::printf("forward: %s on %s -> logits %s\n", model.c_str(), x.describe().c_str(), shape_str(logits.shape()).c_str());
  if (want_grads) {
    std::vector<double> labels;
    std::stringstream ss(args.get("labels"));
    for (std::string tok; std::getline(ss, tok, ',');) labels.push_back(double(parse_int(tok, "--labels")));
    EASEL_CHECK(int64_t(labels.size()) == x.size(0), "forward: ", labels.size(), " labels for a batch of ", x.size(0));
    CrossEntropyOptions ce;
    ce.reduction = Reduction::sum;
    const Tensor loss = cross_entropy(logits, Tensor::from(labels, {x.size(0)}, DType::i64), ce);
    loss.backward();
    NamedTensors grads;
    for (auto& [name, p] : net->named_parameters())
      grads.emplace_back(name, p.grad().defined() ? p.grad() : Tensor::zeros(p.shape(), p.dtype()));
    save_npz(args.get("grads"), grads);
    std::printf("forward: summed cross-entropy %.6g, %zu gradients written to %s\n", loss.item(), grads.size(),
                args.get("grads").c_str());
  }
  return 0;
}

}  // namespace easel
