// Files: the one way Easel reads a whole file and the one way it writes one.
//
// Every write is atomic: the bytes go to a temporary file in the same folder (`PATH.tmp.<pid>`),
// are flushed to disk (fsync), and the temporary is renamed over `path`; then the folder itself is
// fsynced. A crash or kill at any moment leaves either the old file or the new one, never a torn
// one. Since no file is ever changed in place, two names may share one file (a hard link).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace easel {

// A file written in pieces (large archives stream from tensor memory, no copy in between).
// commit() makes it appear at `path`; destroyed without commit(), it leaves no trace.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  void write(const void* data, size_t n);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  uint64_t size() const { return written_; }  // bytes written so far
  void commit();

 private:
  void flush();
  std::string path_, tmp_;
  int fd_ = -1;
  uint64_t written_ = 0;
  std::string pending_;  // small pieces gathered into one write(2)
};

void write_file_atomically(const std::string& path, const std::string& bytes);
// Appends one line atomically: the file is rewritten with the line added (logs are small).
void append_line_atomically(const std::string& path, const std::string& line);
// `to` becomes a copy of `from`, atomically: a hard link where the file system has them (no bytes
// move; safe because files are only ever replaced, never modified), else a streamed copy.
void copy_file_atomically(const std::string& from, const std::string& to);

// The whole file as bytes; errors name it.
std::string read_file(const std::string& path);

// A whole file, read-only, mapped into memory (no copy; pages come straight from the page cache).
// Files that cannot be mapped (pipes, empty files) are read into memory instead.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::string copy_;  // when not mapped
};

}  // namespace easel
