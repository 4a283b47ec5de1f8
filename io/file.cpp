#include "io/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

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

void fsync_folder(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // some file systems do not open folders; the rename is still atomic
  ::fsync(fd);
  ::close(fd);
}

// write(2) until every byte is out, retrying on EINTR.
void write_all(int fd, const void* data, size_t n, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  size_t done = 0;
  while (done < n) {
    const ssize_t k = ::write(fd, p + done, std::min<size_t>(n - done, size_t(1) << 30));
    if (k < 0 && errno == EINTR) continue;
    EASEL_CHECK(k > 0, path, ": write failed (", os_error(), ")");
    done += size_t(k);
  }
}

// The temporary beside `path` that becomes it (trainer.cpp removes leftovers by the ".tmp." part).
std::string temporary_for(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

// rename(2) of a finished temporary over `path`, then the folder's fsync; on failure the temporary goes.
void rename_into_place(const std::string& tmp, const std::string& path) {
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = os_error();
    std::remove(tmp.c_str());
    throw Error(path + ": cannot rename the temporary file into place (" + why + ")");
  }
  fsync_folder(path);
}

}  // namespace

AtomicFile::AtomicFile(const std::string& path) : path_(path), tmp_(temporary_for(path)) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EASEL_CHECK(fd_ >= 0, path, ": cannot open for writing (", os_error(), "; does the folder exist?)");
}

AtomicFile::~AtomicFile() {
  if (fd_ < 0) return;  // committed
  ::close(fd_);
  std::remove(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t n) {
  EASEL_CHECK(fd_ >= 0, path_, ": write after commit");
  constexpr size_t kGather = size_t(1) << 20;
  written_ += n;
  if (pending_.size() + n <= kGather) {
    pending_.append(static_cast<const char*>(data), n);
    return;
  }
  flush();
  write_all(fd_, data, n, path_);
}

void AtomicFile::flush() {
  write_all(fd_, pending_.data(), pending_.size(), path_);
  pending_.clear();
}

void AtomicFile::commit() {
  EASEL_CHECK(fd_ >= 0, path_, ": committed twice");
  flush();
  EASEL_CHECK(::fsync(fd_) == 0, path_, ": fsync failed (", os_error(), ")");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const std::string why = os_error();
    std::remove(tmp_.c_str());
    throw Error(path_ + ": close failed (" + why + ")");
  }
  rename_into_place(tmp_, path_);
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  AtomicFile f(path);
  f.write(bytes);
  f.commit();
}

void copy_file_atomically(const std::string& from, const std::string& to) {
  const std::string tmp = temporary_for(to);
  std::remove(tmp.c_str());
  if (::link(from.c_str(), tmp.c_str()) == 0) {
    rename_into_place(tmp, to);
    return;
  }
  const MappedFile src(from);  // no hard links here (or across file systems): copy the bytes
  AtomicFile f(to);
  f.write(src.bytes());
  f.commit();
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

MappedFile::MappedFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void* p = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      data_ = static_cast<const char*>(p), size_ = size_t(st.st_size), mapped_ = true;
      ::close(fd);
      return;
    }
  }
  if (fd >= 0) ::close(fd);
  copy_ = read_file(path);  // its errors name the file
  data_ = copy_.data(), size_ = copy_.size();
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(const_cast<char*>(data_), size_);
}

}  // namespace easel
