// The CUDA switch. Kernels come later; this checks what the build saw, and skips without a device.
#include "helpers.h"
#include "tensor/cuda/device.h"

using namespace easel;

TEST_CASE("CUDA backend reports what it was built with") {
#ifdef EASEL_WITH_CUDA
  CHECK(cuda_compiled());
  CHECK(cuda_versions().find("cuDNN") != std::string::npos);
#else
  CHECK_FALSE(cuda_compiled());
  CHECK(cuda_device_count() == 0);
#endif
}

TEST_CASE("CUDA device is visible when one is present" * doctest::skip(cuda_device_count() == 0)) {
  CHECK(cuda_device_count() > 0);
  CHECK_FALSE(cuda_device_name(0).empty());
  MESSAGE("CUDA device 0: " << cuda_device_name(0) << " (" << cuda_versions() << ")");
}
