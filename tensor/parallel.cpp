#include "tensor/parallel.h"

namespace easel {

int num_threads() { return omp_get_max_threads(); }

void set_num_threads(int n) {
  EASEL_CHECK(n > 0, "set_num_threads: need a positive count, got ", n);
  omp_set_num_threads(n);  // Eigen's GEMM follows OpenMP's setting
}

}  // namespace easel
