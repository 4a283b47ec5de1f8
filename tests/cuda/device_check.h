// What every device test does: run an op on the CPU and on cuda:0 and hold the two equal (ggml's
// test-backend-ops in spirit). The CPU is the reference; each device result is also checked to
// live on the device.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace easel::device_check {

inline const Device kDev = Device::cuda(0);

inline Tensor random(const Shape& s, DType dt, uint64_t seed, double lo = -2, double hi = 2) {
  Generator g(seed);
  return Tensor::uniform(s, lo, hi, dt, &g);
}

// Same shape and dtype, `on_device` really on the device, and |device - cpu| <= tol·(1 + |cpu|)
// (tol: 1e-12 in f64, 2e-6 in f32 unless given).
inline void check_matches(const Tensor& on_device, const Tensor& on_cpu, const std::string& what, double tol = 0) {
  INFO(what);
  REQUIRE(on_device.defined());
  CHECK(on_device.device() == kDev);
  CHECK(on_cpu.device().is_cpu());
  REQUIRE(on_device.shape() == on_cpu.shape());
  REQUIRE(on_device.dtype() == on_cpu.dtype());
  if (tol == 0) tol = on_cpu.dtype() == DType::f64 ? 1e-12 : 2e-6;
  const std::vector<double> d = on_device.to_vector(), c = on_cpu.to_vector();
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    const bool same = d[i] == c[i] || (std::isnan(c[i]) && std::isnan(d[i]));  // infinities and NaNs included
    const double err = same ? 0 : std::abs(d[i] - c[i]) / (1 + std::abs(c[i]));
    if (!(err <= worst)) worst = std::isnan(err) ? INFINITY : err, at = i;
  }
  CHECK_MESSAGE(worst <= tol, what, ": element ", at, " device ", d[at], " cpu ", c[at]);
}

// f(inputs) on the CPU and on the device: outputs and the gradients of Σ f·w equal.
inline void check_op(const std::string& what, const std::vector<Tensor>& cpu_inputs,
                     const std::function<Tensor(const std::vector<Tensor>&)>& f, double tol = 0) {
  std::vector<Tensor> host, dev;
  for (const Tensor& t : cpu_inputs) {
    const bool grad = is_floating(t.dtype());
    host.push_back(grad ? t.detach().clone().requires_grad_() : t);
    dev.push_back(grad ? t.detach().cuda().requires_grad_() : t.cuda());
  }
  const Tensor y = f(host), yd = f(dev);
  check_matches(yd, y, what, tol);
  const Tensor w = random(y.shape(), y.dtype(), 99);
  sum(y * w).backward();
  sum(yd * w.cuda()).backward();
  for (size_t i = 0; i < host.size(); ++i)
    if (host[i].requires_grad()) check_matches(dev[i].grad(), host[i].grad(), what + " grad " + std::to_string(i), tol);
}

}  // namespace easel::device_check
