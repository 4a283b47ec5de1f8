"""Writes a parity case for one registry net: random weights (batch-norm statistics and affine
parameters randomised too, so that an engine ignoring them cannot match), an input, and PyTorch's
logits and parameter gradients of the summed cross-entropy.

usage: make_golden.py MODEL OUT_DIR [--size 128] [--batch 2] [--classes 10] [--train-mode] [--seed 0] [--dtype f64]
"""
import argparse
import numpy as np
import torch
import torch.nn as nn

import reference

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("out")
p.add_argument("--size", type=int, default=128)
p.add_argument("--batch", type=int, default=2)
p.add_argument("--classes", type=int, default=10)
p.add_argument("--train-mode", action="store_true")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--dtype", default="f32", choices=["f32", "f64"])
a = p.parse_args()

torch.manual_seed(a.seed)
torch.set_num_threads(2)
model = reference.build(a.model, a.classes)
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0, 0.2)
            m.running_mean.normal_(0, 0.2)
            m.running_var.uniform_(0.5, 2.0)
if a.dtype == "f64":
    model = model.double()
model.eval()  # dropout and stochastic depth off
if a.train_mode:
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.train()

x = torch.randn(a.batch, 3, a.size, a.size, dtype=torch.float64 if a.dtype == "f64" else torch.float32)
labels = torch.randint(0, a.classes, (a.batch,))
np.savez(f"{a.out}/weights.npz", **{k: v.detach().numpy() for k, v in model.state_dict().items()})
np.savez(f"{a.out}/input.npz", input=x.numpy())
logits = model(x)
loss = nn.functional.cross_entropy(logits, labels, reduction="sum")
loss.backward()
golden = {"logits": logits.detach().numpy()}
golden.update({"grad." + k: v.grad.numpy() for k, v in model.named_parameters()})
np.savez(f"{a.out}/golden.npz", **golden)
with open(f"{a.out}/labels.txt", "w") as f:
    f.write(",".join(str(int(v)) for v in labels))
n = sum(v.numel() for v in model.parameters())
print(f"golden {a.model}: input {tuple(x.shape)}, {n} parameters, loss {loss.item():.6g}, "
      f"max |logit| {logits.abs().max().item():.4g}")
