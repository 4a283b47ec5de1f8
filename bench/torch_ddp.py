"""PyTorch's side of bench/distributed.sh: DistributedDataParallel (gloo) training steps on RANKS
local processes, one thread each, in the protocol of `easel bench --mode train --distributed`.

    python3 bench/torch_ddp.py MODEL BATCH SIZE RANKS [STEPS WARMUP]

BATCH is the global batch (each rank takes its contiguous part). Prints one JSON line from rank 0."""
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "parity"))
import reference  # noqa: E402


def worker(rank, ranks, model, batch, size, steps, warmup, queue):
    torch.set_num_threads(1)
    if ranks > 1:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29533")
        dist.init_process_group("gloo", rank=rank, world_size=ranks)
    torch.manual_seed(0)
    net = reference.build(model, 1000)
    net.train()
    step_net = torch.nn.parallel.DistributedDataParallel(net) if ranks > 1 else net
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    x = torch.randn(batch, 3, size, size)
    y = torch.tensor([(i * 7919) % 1000 for i in range(batch)])
    lo, hi = batch * rank // ranks, batch * (rank + 1) // ranks
    xs, ys = x[lo:hi].contiguous(), y[lo:hi].contiguous()
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        torch.nn.functional.cross_entropy(step_net(xs), ys).backward()  # DDP averages the gradients
        opt.step()
        opt.zero_grad()
        if i >= warmup:
            times.append(1e3 * (time.perf_counter() - t0))
    if rank == 0:
        times.sort()
        median = times[len(times) // 2]
        queue.put(json.dumps({"engine": "torch", "model": model, "batch": batch, "size": size, "ranks": ranks,
                              "median_ms": median, "images_per_second": 1e3 * batch / median}))
    if ranks > 1:
        dist.destroy_process_group()


def main():
    model, batch, size, ranks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    steps = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    warmup = int(sys.argv[6]) if len(sys.argv) > 6 else 2
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(r, ranks, model, batch, size, steps, warmup, queue)) for r in range(ranks)]
    for p in procs:
        p.start()
    line = queue.get(timeout=1800)  # rank 0 died: fail rather than wait forever
    for p in procs:
        p.join()
    print(line)


if __name__ == "__main__":
    main()
