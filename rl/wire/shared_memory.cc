#include "rl/wire/shared_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace rl::wire {

namespace {

// Maps `size` bytes of `fd` read-write and shared; on failure closes `fd`
// and throws, naming `what`.
char* map_or_close(int fd, size_t size, const std::string& what) {
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error(what + ": mmap: " + std::strerror(error));
  }
  return static_cast<char*>(base);
}

}  // namespace

SharedMemory SharedMemory::create(const std::string& what, size_t size) {
  const int fd = ::memfd_create(what.c_str(), MFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error(what + ": memfd_create: " + std::strerror(errno));
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error(what + ": cannot size " + std::to_string(size) + " bytes of shared memory: " +
                             std::strerror(error));
  }
  return SharedMemory(fd, size, map_or_close(fd, size, what));
}

SharedMemory SharedMemory::attach(const std::string& what, int fd, size_t min_size) {
  const std::string named = what + ": descriptor " + std::to_string(fd);
  struct stat info{};
  if (::fstat(fd, &info) != 0 || static_cast<size_t>(info.st_size) < min_size) {
    throw std::runtime_error(named + " is not open, or too small to be one");
  }
  const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (own < 0) throw std::runtime_error(named + ": " + std::strerror(errno));
  const size_t size = static_cast<size_t>(info.st_size);
  return SharedMemory(own, size, map_or_close(own, size, named));
}

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(std::exchange(other.size_, 0)), data_(std::exchange(other.data_, nullptr)) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    size_ = std::exchange(other.size_, 0);
    data_ = std::exchange(other.data_, nullptr);
  }
  return *this;
}

SharedMemory::~SharedMemory() { release(); }

void SharedMemory::release() {
  if (data_) ::munmap(data_, size_);
  if (fd_ >= 0) ::close(fd_);
  data_ = nullptr;
  fd_ = -1;
}

}  // namespace rl::wire
