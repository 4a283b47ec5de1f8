"""PyTorch's side of bench/models.sh: the protocol of `easel bench`, in PyTorch.

    python3 bench/torch_models.py MODEL infer|train BATCH SIZE THREADS [STEPS WARMUP]

Prints one JSON line with the fields `easel bench --json` prints. infer: eval mode under no_grad;
train: train mode, cross-entropy on the same labels, backward, AdamW step. Nets that torchvision
lacks come from tests/parity/reference.py (the twins the parity tests compare against)."""
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "parity"))
import reference  # noqa: E402


def main():
    model, mode, batch, size, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    steps = int(sys.argv[6]) if len(sys.argv) > 6 else 5
    warmup = int(sys.argv[7]) if len(sys.argv) > 7 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = reference.build(model, 1000)
    net.train(mode == "train")
    x = torch.randn(batch, 3, size, size)
    y = torch.tensor([(i * 7919) % 1000 for i in range(batch)])
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3) if mode == "train" else None

    def step():
        if mode == "infer":
            with torch.no_grad():
                net(x)
        else:
            torch.nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
            opt.zero_grad()

    for _ in range(warmup):
        step()
    ms = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1e3)
    ms.sort()
    median = ms[len(ms) // 2]
    print(json.dumps({"engine": "pytorch", "model": model, "mode": mode, "batch": batch, "size": size,
                      "threads": torch.get_num_threads(), "steps": steps, "median_ms": round(median, 3),
                      "min_ms": round(ms[0], 3), "max_ms": round(ms[-1], 3),
                      "images_per_second": round(1e3 * batch / median, 4),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
