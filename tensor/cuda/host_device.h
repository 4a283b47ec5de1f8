// EASEL_HD marks a function that runs on both sides: `__host__ __device__` under nvcc, nothing for
// the C++ compiler. The shared math headers (elementwise_math.h, loss_math.h, step_math.h) need
// only this, not the launch shim of launch.h.
#pragma once

#if defined(__CUDACC__)
#define EASEL_HD __host__ __device__
#else
#define EASEL_HD
#endif
