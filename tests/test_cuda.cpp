// Devices as every build sees them (the device suite itself is tests/cuda/, run where a device exists).
#include "helpers.h"
#include "tensor/cuda/runtime.h"

using namespace easel;

TEST_CASE("devices parse and print as PyTorch spells them") {
  CHECK(parse_device("cpu") == Device::cpu());
  CHECK(parse_device("cuda") == Device::cuda(0));
  CHECK(parse_device("cuda:3") == Device::cuda(3));
  CHECK(Device::cuda(2).str() == "cuda:2");
  CHECK(Device::cpu().str() == "cpu");
  CHECK_THROWS_WITH_AS(parse_device("gpu"), doctest::Contains("unknown device 'gpu'"), Error);
  CHECK_THROWS_WITH_AS(parse_device("cuda:x"), doctest::Contains("expected cpu, cuda or cuda:N"), Error);
}

TEST_CASE("the CUDA backend reports what it was built with; no device means a clear error") {
#if defined(EASEL_WITH_CUDA)
  CHECK(cuda::backend() == cuda::Backend::cuda);
  CHECK(cuda::versions().find("cuDNN") != std::string::npos);
#elif defined(EASEL_CUDA_SIM)
  CHECK(cuda::backend() == cuda::Backend::simulated);
  CHECK(cuda::device_count() == 2);
#else
  CHECK(cuda::backend() == cuda::Backend::none);
  CHECK(cuda::device_count() == 0);
#endif
  if (cuda::device_count() == 0)
    CHECK_THROWS_WITH_AS(Tensor::zeros({2}, DType::f32, Device::cuda(0)), doctest::Contains("cuda:0"), Error);
}
