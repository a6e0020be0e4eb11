#include "rl/wire/weights_board.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "rl/wire/shared_memory.h"

namespace rl::wire {
namespace {

constexpr uint64_t kMagic = 0x52'4C'57'42'30'31'00'00ull;  // "RLWB01"

struct Slot {
  std::atomic<uint32_t> sequence;  // odd while being written
  uint32_t padding;
  int64_t version;
  uint64_t size;
};

struct Header {
  uint64_t magic;
  uint64_t capacity;                 // bytes per slot
  std::atomic<uint32_t> published;   // futex word: one more per publish
  std::atomic<uint32_t> current;     // slot of the newest version
  std::atomic<int64_t> version;      // newest version, -1 before the first
  std::atomic<uint64_t> loads;       // versions loaded by readers
  std::atomic<uint32_t> demand;      // tickets taken by actors
  std::atomic<uint32_t> answered;    // tickets answered by the relay
  std::atomic<uint32_t> live;        // 1: every version is published (no demand)
  uint32_t padding;
  Slot slots[2];
};

static_assert(std::atomic<uint32_t>::is_always_lock_free && std::atomic<uint64_t>::is_always_lock_free,
              "the board's atomics must work across processes");

size_t total_size(size_t capacity) { return sizeof(Header) + 2 * capacity; }

long futex(std::atomic<uint32_t>* word, int op, uint32_t value, const timespec* timeout) {
  // Not FUTEX_PRIVATE: the word is shared between processes.
  return ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, value, timeout, nullptr, 0);
}

}  // namespace

struct WeightsBoard::Mapping {
  SharedMemory memory;
  Header* header = nullptr;
  char* data = nullptr;  // slot 0, then slot 1

  explicit Mapping(SharedMemory shared)
      : memory(std::move(shared)),
        header(reinterpret_cast<Header*>(memory.data())),
        data(memory.data() + sizeof(Header)) {}
  char* slot(uint32_t i) const { return data + static_cast<size_t>(i) * header->capacity; }
};

WeightsBoard::WeightsBoard(std::unique_ptr<Mapping> mapping) : mapping_(std::move(mapping)) {}
WeightsBoard::WeightsBoard(WeightsBoard&&) noexcept = default;
WeightsBoard& WeightsBoard::operator=(WeightsBoard&&) noexcept = default;
WeightsBoard::~WeightsBoard() = default;

WeightsBoard WeightsBoard::create(size_t capacity) {
  auto m = std::make_unique<Mapping>(SharedMemory::create("weights board", total_size(capacity)));
  m->header = new (m->memory.data()) Header{};
  m->header->magic = kMagic;
  m->header->capacity = capacity;
  m->header->version.store(-1);
  return WeightsBoard(std::move(m));
}

WeightsBoard WeightsBoard::attach(int fd) {
  auto m = std::make_unique<Mapping>(SharedMemory::attach("weights board", fd, sizeof(Header)));
  if (m->header->magic != kMagic || total_size(m->header->capacity) != m->memory.size()) {
    throw std::runtime_error("weights board: descriptor " + std::to_string(fd) + " is not a weights board (bad header)");
  }
  return WeightsBoard(std::move(m));
}

int WeightsBoard::fd() const { return mapping_->memory.fd(); }
size_t WeightsBoard::capacity() const { return mapping_->header->capacity; }

void WeightsBoard::publish(int64_t version, const std::vector<std::string>& frames) {
  Header& h = *mapping_->header;
  size_t needed = sizeof(uint32_t);
  for (const auto& f : frames) needed += sizeof(uint64_t) + f.size();
  if (needed > h.capacity) {
    throw std::length_error("weights board: a message of " + std::to_string(needed) + " bytes does not fit in " +
                            std::to_string(h.capacity));
  }
  const uint32_t target = 1 - h.current.load(std::memory_order_relaxed);
  Slot& slot = h.slots[target];
  slot.sequence.fetch_add(1, std::memory_order_acq_rel);  // odd: writing
  std::atomic_thread_fence(std::memory_order_release);
  char* out = mapping_->slot(target);
  const uint32_t count = static_cast<uint32_t>(frames.size());
  std::memcpy(out, &count, sizeof count);
  out += sizeof count;
  for (const auto& f : frames) {
    const uint64_t length = f.size();
    std::memcpy(out, &length, sizeof length);
    out += sizeof length;
    std::memcpy(out, f.data(), f.size());
    out += f.size();
  }
  slot.version = version;
  slot.size = needed;
  slot.sequence.fetch_add(1, std::memory_order_release);  // even: complete
  h.current.store(target, std::memory_order_release);
  h.version.store(version, std::memory_order_release);
  h.published.fetch_add(1, std::memory_order_release);
  futex(&h.published, FUTEX_WAKE, INT32_MAX, nullptr);
}

int64_t WeightsBoard::version() const { return mapping_->header->version.load(std::memory_order_acquire); }

std::optional<int64_t> WeightsBoard::read_newer(int64_t have, std::vector<std::string>& frames) const {
  const Header& h = *mapping_->header;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (h.version.load(std::memory_order_acquire) <= have) return std::nullopt;
    const uint32_t index = h.current.load(std::memory_order_acquire);
    const Slot& slot = h.slots[index];
    const uint32_t before = slot.sequence.load(std::memory_order_acquire);
    if (before & 1u) continue;
    const int64_t version = slot.version;
    const uint64_t size = slot.size;
    if (size < sizeof(uint32_t) || size > h.capacity) continue;
    const char* in = mapping_->slot(index);
    const char* end = in + size;
    uint32_t count = 0;
    std::memcpy(&count, in, sizeof count);
    in += sizeof count;
    frames.resize(std::min<uint32_t>(count, 4096));
    bool torn = count > 4096;
    for (auto& f : frames) {
      uint64_t length = 0;
      if (torn || in + sizeof length > end) {
        torn = true;
        break;
      }
      std::memcpy(&length, in, sizeof length);
      in += sizeof length;
      if (length > static_cast<uint64_t>(end - in)) {
        torn = true;
        break;
      }
      f.assign(in, length);
      in += length;
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (torn || slot.sequence.load(std::memory_order_acquire) != before) continue;  // raced a write
    if (version <= have) return std::nullopt;
    return version;
  }
  throw std::runtime_error("weights board: could not read a consistent copy in 1000 attempts");
}

bool WeightsBoard::wait_newer(int64_t have, double timeout_seconds) const {
  Header& h = *mapping_->header;
  timespec start{};
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  while (true) {
    const uint32_t seen = h.published.load(std::memory_order_acquire);
    if (h.version.load(std::memory_order_acquire) > have) return true;
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const double elapsed = static_cast<double>(now.tv_sec - start.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec - start.tv_nsec);
    const double left = timeout_seconds - elapsed;
    if (left <= 0) return false;
    timespec wait{};
    wait.tv_sec = static_cast<time_t>(left);
    wait.tv_nsec = static_cast<long>((left - std::floor(left)) * 1e9);
    futex(&h.published, FUTEX_WAIT, seen, &wait);
  }
}

void WeightsBoard::count_load() { mapping_->header->loads.fetch_add(1, std::memory_order_relaxed); }

uint32_t WeightsBoard::take_ticket() { return mapping_->header->demand.fetch_add(1, std::memory_order_acq_rel) + 1; }
uint32_t WeightsBoard::demand() const { return mapping_->header->demand.load(std::memory_order_acquire); }

void WeightsBoard::answer(uint32_t ticket) {
  Header& h = *mapping_->header;
  // Tickets only move forward (the comparison survives the wrap-around).
  uint32_t seen = h.answered.load(std::memory_order_acquire);
  while (static_cast<int32_t>(ticket - seen) > 0 &&
         !h.answered.compare_exchange_weak(seen, ticket, std::memory_order_acq_rel)) {
  }
  h.published.fetch_add(1, std::memory_order_release);
  futex(&h.published, FUTEX_WAKE, INT32_MAX, nullptr);
}

bool WeightsBoard::wait_answered(uint32_t ticket, double timeout_seconds) const {
  Header& h = *mapping_->header;
  timespec start{};
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  while (true) {
    const uint32_t seen = h.published.load(std::memory_order_acquire);
    if (static_cast<int32_t>(h.answered.load(std::memory_order_acquire) - ticket) >= 0) return true;
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const double left = timeout_seconds - (static_cast<double>(now.tv_sec - start.tv_sec) +
                                           1e-9 * static_cast<double>(now.tv_nsec - start.tv_nsec));
    if (left <= 0) return false;
    timespec wait{};
    wait.tv_sec = static_cast<time_t>(left);
    wait.tv_nsec = static_cast<long>((left - std::floor(left)) * 1e9);
    futex(&h.published, FUTEX_WAIT, seen, &wait);
  }
}

void WeightsBoard::set_live(bool live) { mapping_->header->live.store(live ? 1 : 0, std::memory_order_release); }
bool WeightsBoard::live() const { return mapping_->header->live.load(std::memory_order_acquire) != 0; }
uint64_t WeightsBoard::loads() const { return mapping_->header->loads.load(std::memory_order_relaxed); }

}  // namespace rl::wire
