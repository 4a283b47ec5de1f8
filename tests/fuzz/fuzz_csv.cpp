// libFuzzer target: any text as a CSV manifest, with and without a path template, yields a data set
// or an easel::Error (no hang, no crash).
#include <string>

#include "io/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  easel::CsvOptions plain, templated;
  templated.path_template = "{split}/{label}/{file}";
  templated.where = {{"split", "dev"}};
  for (const easel::CsvOptions* o : {&plain, &templated}) try {
      easel::parse_csv_manifest(text, "/fuzz/manifest.csv", *o);
    } catch (const easel::Error&) {
    }
  return 0;
}
