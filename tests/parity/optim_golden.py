"""Golden trajectories from torch.optim and torch.optim.lr_scheduler, in f64, for optim_parity.

usage: optim_golden.py OUT.npz
Two parameters (a: 3×4, b: 5) take 10 steps with fixed random gradients under each optimizer
configuration; each scheduler's lr (and OneCycle's momentum) sequence is recorded.
"""
import sys

import numpy as np
import torch

torch.manual_seed(0)
out = {}
init = {"a": torch.randn(3, 4, dtype=torch.float64), "b": torch.randn(5, dtype=torch.float64)}
grads = [{k: torch.randn_like(v) for k, v in init.items()} for _ in range(10)]
for k, v in init.items():
    out[f"init.{k}"] = v.numpy()
for s, g in enumerate(grads):
    for k, v in g.items():
        out[f"grad.{s}.{k}"] = v.numpy()

CONFIGS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
    "sgd_momentum_wd": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-2),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda p: torch.optim.Adam(p, lr=1e-2),
    "adam_wd": lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=1e-2),
    "adamw": lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=1e-2),
    # two groups: "a" at lr 1e-2, "b" at lr 1e-4 (per-layer learning rates)
    "adamw_groups": lambda p: torch.optim.AdamW([{"params": [p[0]], "lr": 1e-2}, {"params": [p[1]], "lr": 1e-4}],
                                                weight_decay=0.05),
}
for name, make in CONFIGS.items():
    params = [init["a"].clone().requires_grad_(), init["b"].clone().requires_grad_()]
    opt = make(params)
    for s, g in enumerate(grads):
        params[0].grad, params[1].grad = g["a"].clone(), g["b"].clone()
        opt.step()
        out[f"{name}.{s}.a"] = params[0].detach().numpy().copy()
        out[f"{name}.{s}.b"] = params[1].detach().numpy().copy()


def lrs(make_sched, steps, metric=None, opt_kind="sgd"):
    p = [torch.zeros(1, requires_grad=True)]
    opt = torch.optim.SGD(p, lr=0.1, momentum=0.9) if opt_kind == "sgd" else torch.optim.Adam(p, lr=0.1)
    sched = make_sched(opt)
    lr, mom = [opt.param_groups[0]["lr"]], [opt.param_groups[0].get("momentum", opt.param_groups[0].get("betas", [0])[0])]
    for i in range(steps):
        opt.step()
        sched.step(metric[i]) if metric is not None else sched.step()
        lr.append(opt.param_groups[0]["lr"])
        g = opt.param_groups[0]
        mom.append(g["momentum"] if "momentum" in g else g["betas"][0])
    return np.array(lr), np.array(mom)


out["sched.step.lr"], _ = lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.1), 10)
out["sched.cosine.lr"], _ = lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 10), 10)
out["sched.cosine_min.lr"], _ = lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 8, eta_min=0.01), 8)
out["sched.onecycle.lr"], out["sched.onecycle.momentum"] = lrs(
    lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=20), 19)
out["sched.onecycle_adam.lr"], out["sched.onecycle_adam.momentum"] = lrs(
    lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=20), 19, opt_kind="adam")
metric = [0.5, 0.6, 0.6005, 0.6, 0.59, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69, 0.71]
out["plateau.metric"] = np.array(metric)
out["sched.plateau.lr"], _ = lrs(lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(
    o, mode="max", factor=0.5, patience=2, threshold=1e-3), len(metric), metric)
np.savez(sys.argv[1], **out)
print(f"optimizer golden: {len(CONFIGS)} optimizers x 10 steps, 6 schedules -> {sys.argv[1]}")
