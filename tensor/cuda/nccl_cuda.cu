// NCCL on GPUs: one communicator per rank on its device, sums on the legacy default stream (where
// Easel's kernels and cuBLAS run), so a sum follows the backward pass that produced its gradients.
#include "tensor/cuda/launch.h"
#include "tensor/cuda/libraries.h"
#include "tensor/cuda/nccl.h"

namespace easel::cuda {

namespace {

void check(ncclResult_t r, const char* call) {
  EASEL_CHECK(r == ncclSuccess, "NCCL: ", call, " failed: ", nccl().error_string(r));
}

class Nccl : public DeviceComm {
 public:
  Nccl(int device, int rank, int ranks, const std::function<void(void*, int64_t)>& share) : device_(device) {
    ncclUniqueId id{};
    if (rank == 0) check(nccl().get_unique_id(&id), "ncclGetUniqueId");
    share(&id, sizeof id);
    set_device(device);
    check(nccl().comm_init_rank(&comm_, ranks, id, rank), "ncclCommInitRank");
  }
  ~Nccl() override { nccl().comm_destroy(comm_); }
  void all_reduce_sum(void* data, int64_t n, DType dtype) override {
    EASEL_CHECK(dtype == DType::f32 || dtype == DType::f64, "NCCL all-reduce: f32 or f64, got ", dtype_name(dtype));
    set_device(device_);
    check(nccl().all_reduce(data, data, size_t(n), dtype == DType::f64 ? ncclFloat64 : ncclFloat32, ncclSum, comm_,
                            cudaStream_t(0)), "ncclAllReduce");
  }

 private:
  int device_;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

bool nccl_usable() {
  try {
    nccl();
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string nccl_status() { return nccl_report(); }

std::unique_ptr<DeviceComm> open_nccl(int device, int rank, int ranks, const std::function<void(void*, int64_t)>& share) {
  return std::make_unique<Nccl>(device, rank, ranks, share);
}

}  // namespace easel::cuda
