// Data parallelism (PyTorch's DistributedDataParallel, by hand): every rank holds the same net and
// optimizer, runs forward and backward on its part of the global batch, and then these make the
// ranks agree — the same start, and the same summed gradient before every optimizer step, so every
// rank takes the same step. Communication is tensor/comm.h's world(); with one process both do nothing.
#pragma once
#include <vector>

#include "tensor/named.h"

namespace easel {

// Sums each parameter's gradient over all ranks: a gradient of `bucket_bytes` or more in one
// all-reduce of its own (in place on the CPU), smaller ones packed into buckets of about that size
// (one all-reduce per bucket, per dtype; device gradients go through the host). The calls depend on
// sizes and dtypes only, so ranks on different devices still make the same ones. A parameter with a gradient on some rank gets one on
// every rank (zeros where it had none); one without a gradient anywhere keeps none (frozen or
// unused). Returns the seconds spent communicating.
double all_reduce_gradients(const std::vector<Tensor>& params, int64_t bucket_bytes = int64_t(1) << 20);

// Every rank gets rank `root`'s values of the tensors (the net's parameters and buffers at the start).
void broadcast_tensors(const NamedTensors& tensors, int root = 0);

}  // namespace easel
