// NumPy .npz archives: a zip of .npy arrays. This is how weights, inputs, outputs, features and
// checkpoints travel in and out of Easel.
//
// Reading: zip entries stored or deflated, ZIP64, .npy format 1.0 / 2.0 / 3.0, little-endian
// f4 f8 f2 i8 i4 u1 b1 in C order. f4 → f32, f8 → f64, f2 → f16, and the integer / bool types → i64.
// Anything else (Fortran order, big-endian, other dtypes, truncated data, a bad CRC) is an error
// naming the file and the array.
// Writing: f32 / f64 / i64 / f16 arrays (bf16 is written as f4), and byte strings as 1-D u1 arrays
// (a model file's JSON metadata: numpy reads it as bytes(np.load(f)[name])), stored or deflated, ZIP64 when an
// entry or offset passes 4 GiB, atomically (a temporary file renamed into place), streamed from the
// tensors' memory. Files are read through a memory map: nothing is copied twice.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tensor/named.h"

namespace easel {

// Which arrays to decode (by name, without ".npy"); null keeps all. The directory is checked whole.
using NpzFilter = std::function<bool(const std::string& name)>;

NamedTensors load_npz(const std::string& path, const NpzFilter& keep = nullptr);  // in archive order
NamedTensors parse_npz(const std::string& bytes, const std::string& where);  // the same from memory
std::vector<std::string> npz_names(const std::string& path);  // the array names, in archive order
using NamedBytes = std::vector<std::pair<std::string, std::string>>;
void save_npz(const std::string& path, const NamedTensors& arrays, bool compress = false,
              const NamedBytes& byte_arrays = {});
// The bytes of a 1-D u1 array `name` (as save_npz's byte_arrays write it); false when there is none.
bool load_npz_bytes(const std::string& path, const std::string& name, std::string* bytes);

// One array from an archive, by name; the error lists the names present.
Tensor npz_get(const NamedTensors& arrays, const std::string& name, const std::string& path_for_errors);

}  // namespace easel
