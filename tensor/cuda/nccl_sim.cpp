// NCCL on the simulated device: its memory is host memory, so MPI (tensor/comm.h) sums it in place.
// The ranks' handshake is the real one's shape (rank 0's bytes shared), so a distributed run on
// simulated devices walks the path a GPU run takes.
#include "tensor/comm.h"
#include "tensor/cuda/nccl.h"

namespace easel::cuda {

namespace {

class SimulatedNccl : public DeviceComm {
 public:
  void all_reduce_sum(void* data, int64_t n, DType dtype) override {
    EASEL_CHECK(dtype == DType::f32 || dtype == DType::f64, "NCCL all-reduce: f32 or f64, got ", dtype_name(dtype));
    if (dtype == DType::f64) world().all_reduce_sum(static_cast<double*>(data), n);
    else world().all_reduce_sum(static_cast<float*>(data), n);
  }
};

}  // namespace

bool nccl_usable() { return true; }
std::string nccl_status() { return "NCCL simulated (MPI on the simulated devices' memory)"; }

std::unique_ptr<DeviceComm> open_nccl(int device, int rank, int, const std::function<void(void*, int64_t)>& share) {
  int64_t id = rank == 0 ? 0x6e63636c : 0;  // stands for ncclUniqueId
  share(&id, sizeof id);
  EASEL_CHECK(id == 0x6e63636c, "NCCL (simulated): rank ", rank, " did not receive rank 0's id");
  (void)device;
  return std::make_unique<SimulatedNccl>();
}

}  // namespace easel::cuda
