#include "tensor/comm.h"

#include <cstdlib>
#include <vector>

namespace easel {

void Communicator::abort(int code) { std::exit(code); }

namespace {
std::unique_ptr<Communicator>& installed() {
  static std::unique_ptr<Communicator> c = std::make_unique<Communicator>();
  return c;
}
std::unique_ptr<cuda::DeviceComm>& installed_device_comm() {
  static std::unique_ptr<cuda::DeviceComm> c;
  return c;
}
}  // namespace

Communicator& world() { return *installed(); }
void set_world(std::unique_ptr<Communicator> c) {
  if (!c) installed_device_comm().reset();  // NCCL's communicator before MPI's ends
  installed() = c ? std::move(c) : std::make_unique<Communicator>();
}
void set_device_comm(std::unique_ptr<cuda::DeviceComm> c) { installed_device_comm() = std::move(c); }
bool has_device_comm() { return installed_device_comm() != nullptr; }

namespace {
// Runs f on a host copy of t's data (CPU tensors directly), then writes it back.
template <class F>
void on_host(Tensor& t, const char* what, F&& f) {
  EASEL_CHECK(t.is_contiguous(), what, ": needs a contiguous tensor, got ", t.describe());
  EASEL_CHECK(t.dtype() == DType::f32 || t.dtype() == DType::f64 || t.dtype() == DType::i64, what,
              ": needs an f32, f64 or i64 tensor, got ", t.describe());
  if (!t.device().is_cuda()) return f(t);
  Tensor host = t.cpu();
  f(host);
  t.copy_(host);
}
}  // namespace

void all_reduce_sum(Tensor& t) {
  if (world().size() == 1) return;
  if (t.device().is_cuda() && has_device_comm() && t.is_contiguous() && (t.dtype() == DType::f32 || t.dtype() == DType::f64)) {
    void* data = t.dtype() == DType::f64 ? static_cast<void*>(t.device_data<double>()) : static_cast<void*>(t.device_data<float>());
    installed_device_comm()->all_reduce_sum(data, t.numel(), t.dtype());
    return;
  }
  on_host(t, "all_reduce_sum", [](Tensor& h) {
    if (h.dtype() == DType::f32) world().all_reduce_sum(h.data<float>(), h.numel());
    else if (h.dtype() == DType::f64) world().all_reduce_sum(h.data<double>(), h.numel());
    else throw Error("all_reduce_sum: integer tensors are not summed, got " + h.describe());
  });
}

void broadcast(Tensor& t, int root) {
  if (world().size() == 1) return;
  on_host(t, "broadcast", [root](Tensor& h) { world().broadcast(h.raw_data(), h.numel() * int64_t(dtype_size(h.dtype())), root); });
}

void broadcast(std::string& s, int root) {
  if (world().size() == 1) return;
  int64_t n = int64_t(s.size());
  world().broadcast(&n, sizeof n, root);
  s.resize(size_t(n));
  world().broadcast(s.data(), n, root);
}

double all_reduce_sum(double x) {
  world().all_reduce_sum(&x, 1);
  return x;
}

}  // namespace easel
