// Files: the one way Easel reads a whole file and the one way it writes one.
//
// write_file_atomically: the bytes go to a temporary file in the same folder, are flushed to disk
// (fsync), and the temporary is renamed over `path`; then the folder itself is fsynced. A crash or
// kill at any moment leaves either the old file or the new one, never a torn one.
#pragma once
#include <string>

namespace easel {

void write_file_atomically(const std::string& path, const std::string& bytes);
// Appends one line atomically: the file is rewritten with the line added (logs are small).
void append_line_atomically(const std::string& path, const std::string& line);
// The whole file as bytes; errors name it.
std::string read_file(const std::string& path);

}  // namespace easel
