#include "optim/data_parallel.h"

#include <chrono>
#include <cstring>

#include "autograd/node.h"
#include "tensor/comm.h"

namespace easel {

namespace {

using Clock = std::chrono::steady_clock;

// Which parameters have a gradient on any rank: one flag each, summed over the ranks.
std::vector<bool> gradient_anywhere(const std::vector<Tensor>& params) {
  Tensor flags = Tensor::zeros({int64_t(params.size())}, DType::f64);
  for (size_t i = 0; i < params.size(); ++i) flags.data<double>()[i] = params[i].grad().defined() ? 1 : 0;
  all_reduce_sum(flags);
  std::vector<bool> any(params.size());
  for (size_t i = 0; i < params.size(); ++i) any[i] = flags.data<double>()[i] > 0;
  return any;
}

bool host_dense(const Tensor& g) { return !g.device().is_cuda() && g.is_contiguous(); }

// One bucket: small gradients of dtype dt, summed over the ranks through one flat host buffer
// (one all-reduce instead of one per tensor: each costs a round of messages).
void reduce_bucket(const std::vector<Tensor>& grads, DType dt) {
  int64_t n = 0;
  for (const Tensor& g : grads) n += g.numel();
  Tensor flat = Tensor::empty({n}, dt, grads[0].device());  // where the gradients are (NCCL sums device memory)
  const size_t item = dtype_size(dt);
  char* base = flat.device().is_cuda() ? nullptr : static_cast<char*>(flat.raw_data());
  int64_t at = 0;
  for (const Tensor& g : grads) {  // pack (from any device or layout), sum, unpack
    if (base && host_dense(g)) std::memcpy(base + at * item, g.raw_data(), size_t(g.numel()) * item);
    else flat.slice(0, at, at + g.numel()).reshape(g.shape()).copy_(g);
    at += g.numel();
  }
  all_reduce_sum(flat);
  at = 0;
  for (const Tensor& g : grads) {
    if (base && host_dense(g)) std::memcpy(g.raw_data(), base + at * item, size_t(g.numel()) * item);
    else Tensor(g).copy_(flat.slice(0, at, at + g.numel()).reshape(g.shape()));
    at += g.numel();
  }
}

}  // namespace

double all_reduce_gradients(const std::vector<Tensor>& params, int64_t bucket_bytes) {
  if (world().size() == 1) return 0;
  const auto t0 = Clock::now();
  NoGradGuard ng;
  const std::vector<bool> any = gradient_anywhere(params);
  for (DType dt : {DType::f32, DType::f64}) {
    std::vector<Tensor> bucket;
    int64_t bytes = 0;
    for (size_t i = 0; i < params.size(); ++i) {
      const Tensor& p = params[i];
      if (!any[i] || p.dtype() != dt) continue;
      if (!p.grad().defined()) Tensor(p).set_grad(Tensor::zeros(p.shape(), p.dtype(), p.device()));
      Tensor g = p.grad();
      const int64_t size = g.numel() * int64_t(dtype_size(dt));
      if (size >= bucket_bytes) {  // a large gradient on its own: where it lies on the CPU (no copies)
        if (g.is_contiguous()) {
          all_reduce_sum(g);  // on the CPU or a device (NCCL, or through the host)
        } else {
          Tensor h = g.contiguous().cpu();
          all_reduce_sum(h);
          g.copy_(h);
        }
        continue;
      }
      bucket.push_back(g);
      bytes += size;
      if (bytes >= bucket_bytes) reduce_bucket(bucket, dt), bucket.clear(), bytes = 0;
    }
    if (!bucket.empty()) reduce_bucket(bucket, dt);
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void broadcast_tensors(const NamedTensors& tensors, int root) {
  if (world().size() == 1) return;
  NoGradGuard ng;
  for (const auto& [name, t] : tensors) {
    Tensor dense = t.contiguous().clone();
    broadcast(dense, root);
    Tensor(t).copy_(dense);
  }
}

}  // namespace easel
