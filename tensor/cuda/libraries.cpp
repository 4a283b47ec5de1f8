#include "tensor/cuda/libraries.h"

#include <dlfcn.h>

#include "tensor/error.h"

namespace easel::cuda {

namespace {

// A shared library by its soname (the dynamic loader's search: LD_LIBRARY_PATH, ld.so.cache, the
// system directories), its handle or the loader's message.
struct Library {
  std::string file;
  void* handle = nullptr;
  std::string error;
};

Library open_library(const std::string& file) {
  Library lib{file, dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL), ""};
  if (!lib.handle) {
    const char* why = dlerror();
    lib.error = why ? why : "unknown dlopen error";
  }
  return lib;
}

template <class F>
void bind(const Library& lib, const char* symbol, F* f) {
  EASEL_CHECK(lib.handle, "cannot load ", lib.file, " (", lib.error, "): install it or add its folder to LD_LIBRARY_PATH");
  *f = reinterpret_cast<F>(dlsym(lib.handle, symbol));
  EASEL_CHECK(*f, lib.file, " has no ", symbol, ": a different major version than Easel was built for?");
}

const Library& cublas_library() {
  static const Library lib = open_library("libcublas.so." + std::to_string(CUBLAS_VER_MAJOR));
  return lib;
}
const Library& nccl_library() {
  static const Library lib = open_library("libnccl.so." + std::to_string(NCCL_MAJOR));
  return lib;
}
const Library& cudnn_library() {
  static const Library lib = open_library("libcudnn.so." + std::to_string(CUDNN_MAJOR));
  return lib;
}

}  // namespace

const CublasApi& cublas() {
  static const CublasApi api = [] {
    const Library& lib = cublas_library();
    CublasApi a;
    bind(lib, "cublasCreate_v2", &a.create);
    bind(lib, "cublasGetProperty", &a.get_property);
    bind(lib, "cublasGetStatusString", &a.status_string);
    bind(lib, "cublasSetMathMode", &a.set_math_mode);
    bind(lib, "cublasSgemmStridedBatched", &a.sgemm_strided_batched);
    bind(lib, "cublasDgemmStridedBatched", &a.dgemm_strided_batched);
    return a;
  }();
  return api;
}

const CudnnApi& cudnn() {
  static const CudnnApi api = [] {
    CudnnApi a;
    bind(cudnn_library(), "cudnnGetVersion", &a.get_version);
    return a;
  }();
  return api;
}

const NcclApi& nccl() {
  static const NcclApi api = [] {
    const Library& lib = nccl_library();
    NcclApi a;
    bind(lib, "ncclGetVersion", &a.get_version);
    bind(lib, "ncclGetErrorString", &a.error_string);
    bind(lib, "ncclGetUniqueId", &a.get_unique_id);
    bind(lib, "ncclCommInitRank", &a.comm_init_rank);
    bind(lib, "ncclCommDestroy", &a.comm_destroy);
    bind(lib, "ncclAllReduce", &a.all_reduce);
    return a;
  }();
  return api;
}

namespace {

// The version line of one library, or why it is unusable (opened but missing an entry point too).
template <class Version>
std::string report(const char* name, const Library& lib, Version version) {
  if (!lib.handle) return std::string(name) + " not loaded (" + lib.error + ")";
  try {
    return std::string(name) + " " + version() + " (" + lib.file + ")";
  } catch (const Error& e) {
    return std::string(name) + " loaded but unusable: " + e.what();
  }
}

}  // namespace

std::string library_report() {
  const std::string blas = report("cuBLAS", cublas_library(), [] {
    int major = 0, minor = 0;
    cublas().get_property(MAJOR_VERSION, &major);
    cublas().get_property(MINOR_VERSION, &minor);
    return std::to_string(major) + "." + std::to_string(minor);
  });
  const std::string dnn = report("cuDNN", cudnn_library(), [] {
    const size_t v = cudnn().get_version();
    return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
  });
  return blas + "\n  " + dnn;
}

std::string nccl_report() {
  return report("NCCL", nccl_library(), [] {
    int v = 0;
    nccl().get_version(&v);  // 2.x: major·10000 + minor·100 + patch
    return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
  });
}

}  // namespace easel::cuda
