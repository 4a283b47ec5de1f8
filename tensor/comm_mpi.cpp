// The Communicator on MPI (built when CMake finds MPI; EASEL_MPI). Launched by mpirun, each process
// is one rank of MPI_COMM_WORLD. Collectives are blocking; counts above 2^30 go in pieces (MPI's
// counts are int). Errors in MPI end the job (MPI_ERRORS_ARE_FATAL, MPI's default): a lost peer
// brings every rank down through mpirun rather than leaving one waiting.
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "tensor/comm.h"

namespace easel {

namespace {

constexpr int64_t kPiece = int64_t(1) << 30;

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    EASEL_CHECK(provided >= MPI_THREAD_FUNNELED, "MPI: the library offers no thread support (FUNNELED); Easel's loader "
                "threads need it");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &local_rank_);
    MPI_Comm_size(local, &local_size_);
    MPI_Comm_free(&local);
  }
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  std::string describe() const override {
    return "MPI rank " + std::to_string(rank_) + " of " + std::to_string(size_) + " (" + std::to_string(local_size_) +
           " on this machine)";
  }
  void all_reduce_sum(float* p, int64_t n) override { reduce(p, n, MPI_FLOAT); }
  void all_reduce_sum(double* p, int64_t n) override { reduce(p, n, MPI_DOUBLE); }
  void broadcast(void* p, int64_t bytes, int root) override {
    for (int64_t at = 0; at < bytes; at += kPiece)
      MPI_Bcast(static_cast<char*>(p) + at, int(std::min(kPiece, bytes - at)), MPI_BYTE, root, MPI_COMM_WORLD);
  }
  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }
  [[noreturn]] void abort(int code) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
  }

 private:
  template <class T>
  void reduce(T* p, int64_t n, MPI_Datatype type) {
    for (int64_t at = 0; at < n; at += kPiece)
      MPI_Allreduce(MPI_IN_PLACE, p + at, int(std::min(kPiece, n - at)), type, MPI_SUM, MPI_COMM_WORLD);
  }
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
};

}  // namespace

bool mpi_built() { return true; }

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int n = 0;
  MPI_Get_library_version(text, &n);
  std::string s(text, size_t(std::max(n, 0)));
  s = s.substr(0, s.find_first_of("\n,"));
  return s;
}

std::unique_ptr<Communicator> open_mpi() { return std::make_unique<MpiCommunicator>(); }

}  // namespace easel
