#include "io/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tensor/error.h"

namespace easel {

namespace {

std::string os_error() { return std::strerror(errno); }

// write(2) until every byte is out, retrying on EINTR.
void write_all(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    EASEL_CHECK(n > 0, path, ": write failed (", os_error(), ")");
    done += size_t(n);
  }
}

void fsync_folder(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // some file systems do not open folders; the rename is still atomic
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EASEL_CHECK(fd >= 0, path, ": cannot open for writing (", os_error(), "; does the folder exist?)");
  try {
    write_all(fd, bytes, path);
    EASEL_CHECK(::fsync(fd) == 0, path, ": fsync failed (", os_error(), ")");
  } catch (...) {
    ::close(fd);
    std::remove(tmp.c_str());
    throw;
  }
  EASEL_CHECK(::close(fd) == 0, path, ": close failed (", os_error(), ")");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = os_error();
    std::remove(tmp.c_str());
    throw Error(path + ": cannot rename the temporary file into place (" + why + ")");
  }
  fsync_folder(path);
}

void append_line_atomically(const std::string& path, const std::string& line) {
  const std::string old = std::filesystem::exists(path) ? read_file(path) : std::string();
  write_file_atomically(path, old + line + "\n");
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  EASEL_CHECK(f, path, ": cannot open for reading");
  const std::streamoff n = f.tellg();
  if (n < 0) {  // not seekable (a pipe): read it as a stream
    f.clear();
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  std::string bytes(size_t(n), '\0');  // regular files: one allocation, one read
  f.seekg(0);
  f.read(bytes.data(), n);
  EASEL_CHECK(f.gcount() == n, path, ": read ", f.gcount(), " of ", n, " bytes");
  return bytes;
}

}  // namespace easel
