// libFuzzer target: any bytes as an image file decode to [3, H, W] in [0, 1] or fail with
// easel::Error (stb's decoders behind Easel's size and aspect limits).
#include <string>

#include "io/image.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  try {
    easel::decode_image(std::string(reinterpret_cast<const char*>(data), size), "fuzz.img");
  } catch (const easel::Error&) {
  }
  return 0;
}
