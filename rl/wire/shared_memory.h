// A memfd mapped read-write: memory a process shares with the children
// that inherit its descriptor (the weights board, the inference board).
// The descriptor is close-on-exec; the parent keeps it open in the
// children it means to share it with (ActorSupervisor's inherit_fds).
#pragma once

#include <cstddef>
#include <string>

namespace rl::wire {

class SharedMemory {
 public:
  // `size` bytes of zeros; std::runtime_error naming `what` on failure.
  static SharedMemory create(const std::string& what, size_t size);
  // Maps the memory behind an inherited descriptor (a duplicate of it is
  // kept); std::runtime_error naming `what` and the descriptor when it is
  // not open or smaller than `min_size`.
  static SharedMemory attach(const std::string& what, int fd, size_t min_size);

  SharedMemory(SharedMemory&& other) noexcept;
  SharedMemory& operator=(SharedMemory&& other) noexcept;
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  ~SharedMemory();

  int fd() const { return fd_; }
  size_t size() const { return size_; }
  char* data() const { return data_; }

 private:
  SharedMemory(int fd, size_t size, char* data) : fd_(fd), size_(size), data_(data) {}
  void release();
  int fd_ = -1;
  size_t size_ = 0;
  char* data_ = nullptr;
};

}  // namespace rl::wire
