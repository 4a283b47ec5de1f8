// libFuzzer target: any text as JSON parses, or fails with easel::Error; a parsed value dumps and
// parses back to the same text.
#include <cstdlib>
#include <string>

#include "io/json.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  try {
    const easel::Json j = easel::Json::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    const std::string once = j.dump();
    if (easel::Json::parse(once, "dump").dump() != once) std::abort();  // the writer's output must read back
  } catch (const easel::Error&) {
  }
  return 0;
}
