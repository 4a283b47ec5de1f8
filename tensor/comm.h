// Communication between the processes of one training run (data parallelism, apps/train/trainer.cpp).
//
// Every process has one Communicator, `world()`. By default it is the single process: rank 0 of 1,
// and every collective leaves the data as it is. `easel train --distributed` installs MPI's
// (open_mpi(), tensor/comm_mpi.cpp) when the binary was built with MPI (EASEL_MPI). Collectives are
// called by the main thread only, by every rank in the same order (MPI's rule).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "tensor/cuda/nccl.h"
#include "tensor/tensor.h"

namespace easel {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  virtual int local_rank() const { return 0; }  // among the ranks on this machine
  virtual int local_size() const { return 1; }  // ranks on this machine (they share its cores and GPUs)
  virtual std::string describe() const { return "one process"; }
  // In place: every rank's data becomes the element-wise sum over all ranks.
  virtual void all_reduce_sum(float*, int64_t) {}
  virtual void all_reduce_sum(double*, int64_t) {}
  virtual void broadcast(void*, int64_t /*bytes*/, int /*root*/) {}
  virtual void barrier() {}
  // Ends every rank of the run with this exit code (a failing rank must not leave the others waiting).
  [[noreturn]] virtual void abort(int code);
};

Communicator& world();
void set_world(std::unique_ptr<Communicator> c);  // nullptr: back to the single process (MPI finalised)
// Device tensors are summed GPU to GPU through this one when it is set (NCCL, tensor/cuda/nccl.h),
// otherwise through the host. Every rank sets it or none does. set_world(nullptr) drops it first.
void set_device_comm(std::unique_ptr<cuda::DeviceComm> c);
bool has_device_comm();

bool mpi_built();                  // this binary was built with MPI
std::string mpi_library_version();  // "Open MPI v4.1.4, ..." or why there is none
// MPI_Init (MPI_THREAD_FUNNELED) and a Communicator on MPI_COMM_WORLD; an error without MPI.
std::unique_ptr<Communicator> open_mpi();

// ---- on tensors (CPU or device, f32 or f64; a device tensor goes GPU to GPU or through the host) --
void all_reduce_sum(Tensor& t);             // in place, t must be contiguous
void broadcast(Tensor& t, int root = 0);    // in place, t must be contiguous
void broadcast(std::string& s, int root = 0);
double all_reduce_sum(double x);

}  // namespace easel
