// .npz reading and writing: round trips, NumPy's own files, and a clear error for every bad input.
#include <cstdio>
#include <fstream>
#include <zlib.h>

#include "helpers.h"
#include "io/checkpoint.h"
#include "io/npz.h"

using namespace easel;
using namespace easel::test;

namespace {

std::string tmp_path(const std::string& name) { return "/tmp/easel_test_" + std::to_string(getpid()) + "_" + name; }

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void spit(const std::string& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary);
  f << bytes;
}

// A single-entry stored zip holding `npy` under `name`, built by hand (independent of save_npz).
std::string zip_one(const std::string& name, const std::string& npy, uint32_t crc_override = 0) {
  auto le = [](std::string& b, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(char(v >> (8 * i) & 0xff));
  };
  const uint32_t crc = crc_override ? crc_override : uint32_t(crc32(0, reinterpret_cast<const Bytef*>(npy.data()), uInt(npy.size())));
  std::string z;
  le(z, 0x04034b50, 4), le(z, 20, 2), le(z, 0, 2), le(z, 0, 2), le(z, 0, 4), le(z, crc, 4);
  le(z, npy.size(), 4), le(z, npy.size(), 4), le(z, name.size(), 2), le(z, 0, 2);
  z += name + npy;
  std::string cd;
  le(cd, 0x02014b50, 4), le(cd, 20, 2), le(cd, 20, 2), le(cd, 0, 2), le(cd, 0, 2), le(cd, 0, 4), le(cd, crc, 4);
  le(cd, npy.size(), 4), le(cd, npy.size(), 4), le(cd, name.size(), 2), le(cd, 0, 2), le(cd, 0, 2), le(cd, 0, 2);
  le(cd, 0, 2), le(cd, 0, 4), le(cd, 0, 4);
  cd += name;
  const size_t off = z.size();
  z += cd;
  le(z, 0x06054b50, 4), le(z, 0, 2), le(z, 0, 2), le(z, 1, 2), le(z, 1, 2), le(z, cd.size(), 4), le(z, off, 4), le(z, 0, 2);
  return z;
}

std::string npy_with(const std::string& header_dict, const std::string& data, int major = 1) {
  std::string h = header_dict;
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::string out = "\x93NUMPY";
  out.push_back(char(major));
  out.push_back(0);
  const uint64_t n = h.size();
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i) out.push_back(char(n >> (8 * i) & 0xff));
  return out + h + data;
}

std::string load_error(const std::string& bytes) {
  const std::string p = tmp_path("bad.npz");
  spit(p, bytes);
  const std::string e = error_of([&] { load_npz(p); });
  std::remove(p.c_str());
  return e;
}

}  // namespace

TEST_CASE("npz round trip, stored and deflated, every dtype") {
  const NamedTensors in = {{"a", Tensor::from({1.5, -2, 3}, {3}, DType::f32)},
                           {"b.weight", rnd({2, 3, 4}, 1, -1, 1, false)},
                           {"n", Tensor::from({7}, {}, DType::i64)},
                           {"h", Tensor::from({0.5, 65504}, {2}, DType::f16)},
                           {"empty", Tensor::zeros({0, 3})},
                           {"t", Tensor::arange(6).reshape({2, 3}).transpose(0, 1)}};  // non-contiguous
  for (bool compress : {false, true}) {
    const std::string p = tmp_path(compress ? "z.npz" : "s.npz");
    save_npz(p, in, compress);
    const NamedTensors out = load_npz(p);
    REQUIRE(out.size() == in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      CHECK(out[i].first == in[i].first);
      CHECK(out[i].second.dtype() == in[i].second.dtype());
      CHECK(out[i].second.shape() == in[i].second.shape());
      CHECK(out[i].second.to_vector() == in[i].second.to_vector());
    }
    std::remove(p.c_str());
  }
}

TEST_CASE("npz byte arrays (a model file's metadata) round trip, and weight readers skip the metadata") {
  std::string bytes;
  for (int v = 0; v < 256; ++v) bytes.push_back(char(v));
  bytes += "{\"format\": \"easel-model\"}";
  const NamedTensors weights = {{"fc.weight", Tensor::from({1, 2, 3, 4}, {2, 2})}, {"fc.bias", Tensor::from({5, 6}, {2})}};
  for (bool compress : {false, true}) {
    const std::string p = tmp_path(compress ? "bz.npz" : "bs.npz");
    save_npz(p, weights, compress, {{kModelMetadataKey, bytes}, {"other", ""}});
    CHECK(npz_names(p) == std::vector<std::string>{"fc.weight", "fc.bias", kModelMetadataKey, "other"});
    std::string back;
    REQUIRE(load_npz_bytes(p, kModelMetadataKey, &back));
    CHECK(back == bytes);
    REQUIRE(load_npz_bytes(p, "other", &back));
    CHECK(back.empty());
    CHECK_FALSE(load_npz_bytes(p, "absent", &back));
    CHECK_THROWS_WITH_AS(load_npz_bytes(p, "fc.weight", &back), doctest::Contains("'fc.weight' is not a 1-D byte array"), Error);
    // load_model_weights: the weights alone (PyTorch's load_state_dict sees only state_dict names)
    NamedTensors loaded;
    for (const auto& kv : load_model_weights(p)) if (kv.first != "other") loaded.push_back(kv);
    REQUIRE(loaded.size() == 2);
    CHECK(loaded[0].first == "fc.weight");
    CHECK(loaded[1].second.to_vector() == std::vector<double>{5, 6});
    std::remove(p.c_str());
  }
}

TEST_CASE("npz written by NumPy (format 1.0 header, i4/u1/b1 widened to i64)") {
  // np.save format for np.array([[1, -2], [3, 4]], dtype='<i4')
  std::string data;
  for (int32_t v : {1, -2, 3, 4})
    for (int i = 0; i < 4; ++i) data.push_back(char(uint32_t(v) >> (8 * i) & 0xff));
  const std::string p = tmp_path("np.npz");
  spit(p, zip_one("x.npy", npy_with("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", data)));
  const NamedTensors a = load_npz(p);
  REQUIRE(a.size() == 1);
  CHECK(a[0].first == "x");
  CHECK(a[0].second.dtype() == DType::i64);
  check_values(a[0].second, {1, -2, 3, 4});
  spit(p, zip_one("m.npy", npy_with("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", std::string("\1\0\1", 3), 3)));
  check_values(load_npz(p)[0].second, {1, 0, 1});  // format 3.0 header, bools
  std::remove(p.c_str());
}

TEST_CASE("npz: every malformed input is a clear error") {
  const std::string f4x2("\0\0\x80\x3f\0\0\0\x40", 8);  // 1.0f, 2.0f
  const std::string ok = npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4x2);
  CHECK(load_error(zip_one("x.npy", ok)).empty());
  CHECK(load_error(zip_one("x.npy", npy_with("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", f4x2)))
            .find("Fortran-order") != std::string::npos);
  CHECK(load_error(zip_one("x.npy", npy_with("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", f4x2)))
            .find("big-endian dtype '>f4'") != std::string::npos);
  CHECK(load_error(zip_one("x.npy", npy_with("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", f4x2)))
            .find("unsupported dtype '<c8'") != std::string::npos);
  CHECK(load_error(zip_one("x.npy", npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4x2)))
            .find("truncated data") != std::string::npos);
  CHECK(load_error(zip_one("x.npy", ok, 12345)).find("x.npy: CRC mismatch") != std::string::npos);
  const std::string whole = zip_one("x.npy", ok);
  CHECK(load_error(whole.substr(0, whole.size() / 2)).find("not a zip/.npz file") != std::string::npos);
  CHECK(load_error("hello").find("not a zip") != std::string::npos);
  CHECK(error_of([] { load_npz("/nonexistent/w.npz"); }) == "/nonexistent/w.npz: cannot open for reading");
  CHECK(error_of([] { npz_get({{"a", Tensor::zeros({1})}}, "b", "f.npz"); }) == "f.npz: no array named 'b' (arrays: a)");
}

TEST_CASE("npz: ZIP64 archives with many entries") {
  NamedTensors many;
  for (int i = 0; i < 70000; ++i) many.emplace_back("a" + std::to_string(i), Tensor::full({1}, i));  // > 65535 entries
  const std::string p = tmp_path("many.npz");
  save_npz(p, many);
  const NamedTensors back = load_npz(p);
  REQUIRE(back.size() == 70000);
  CHECK(back[69999].first == "a69999");
  CHECK(back[69999].second.item() == 69999);
  std::remove(p.c_str());
}

TEST_CASE("save_npz writes atomically and refuses a missing folder") {
  CHECK(error_of([] { save_npz("/nonexistent/dir/x.npz", {{"a", Tensor::zeros({1})}}); }).find("cannot open for writing") !=
        std::string::npos);
  const std::string p = tmp_path("atomic.npz");
  save_npz(p, {{"a", Tensor::ones({2})}});
  const std::string before = slurp(p);
  save_npz(p, {{"a", Tensor::zeros({3})}});
  CHECK(slurp(p) != before);
  CHECK(load_npz(p)[0].second.shape() == Shape{3});
  std::remove(p.c_str());
}
