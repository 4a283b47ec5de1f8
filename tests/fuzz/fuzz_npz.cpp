// libFuzzer target: any bytes as an .npz archive must parse or fail with easel::Error (no crash,
// no out-of-bounds read, no huge allocation).
#include <string>

#include "io/npz.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  try {
    easel::parse_npz(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npz");
  } catch (const easel::Error&) {
  }
  return 0;
}
