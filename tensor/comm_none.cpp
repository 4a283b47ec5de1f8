// A build without MPI: training stays in one process.
#include "tensor/comm.h"

namespace easel {

bool mpi_built() { return false; }
std::string mpi_library_version() { return "not built with MPI (install libopenmpi-dev and rebuild)"; }
std::unique_ptr<Communicator> open_mpi() {
  throw Error("--distributed: this easel was built without MPI; install libopenmpi-dev and openmpi-bin, rebuild "
              "(CMake finds MPI by itself) and launch with mpirun");
}

}  // namespace easel
