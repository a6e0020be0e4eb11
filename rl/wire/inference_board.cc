#include "rl/wire/inference_board.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <thread>

#include "rl/wire/shared_memory.h"

namespace rl::wire {
namespace {

constexpr uint64_t kMagic = 0x52'4C'49'42'30'31'00'00ull;  // "RLIB01"
constexpr size_t kAlign = 64;

// A slot's control word: its phase, and the current core-state buffer.
constexpr uint32_t kFree = 0, kRequested = 1, kAnswered = 2;
constexpr uint32_t kPhaseMask = 3, kStateBit = 1u << 8;

struct Header {
  uint64_t magic;
  InferenceLayout layout;
  uint32_t padding;
  uint64_t config_offset, config_size;
  uint64_t slots_offset, slot_bytes;
  uint64_t total_size;
  std::atomic<uint32_t> doorbell;  // futex word: one more per request
  std::atomic<int32_t> server_pid;
  std::atomic<uint64_t> servers_started, batches, rows_served, slots_served;
};

struct SlotControl {
  std::atomic<uint32_t> word;  // futex word: phase | current state buffer
  std::atomic<int32_t> owner;  // the actor process holding the slot (0: none)
  uint32_t flags;
  std::atomic<uint32_t> active;  // 1: in the middle of an unroll (its next request is coming)
  int64_t min_weights;
  int64_t version, epoch;  // of the last answer
};

static_assert(std::atomic<uint32_t>::is_always_lock_free && std::atomic<uint64_t>::is_always_lock_free,
              "the board's atomics must work across processes");

size_t aligned(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

// Byte offsets of a slot's arrays from the slot's start.
struct SlotOffsets {
  size_t obs, starts, rewards, previous_discrete, previous_box, discrete, box, log_probs, values, start_state, state0,
      state1, total;

  explicit SlotOffsets(const InferenceLayout& l) {
    const size_t rows = static_cast<size_t>(l.rows);
    const size_t state = rows * static_cast<size_t>(l.state_size) * sizeof(float);
    const size_t box_bytes = rows * static_cast<size_t>(l.action_floats) * sizeof(float);
    size_t at = aligned(sizeof(SlotControl));
    auto take = [&](size_t bytes) {
      const size_t here = at;
      at += aligned(bytes);
      return here;
    };
    obs = take(rows * static_cast<size_t>(l.obs_size) * (l.obs_bytes ? 1 : sizeof(float)));
    starts = take(rows);
    rewards = take(rows * sizeof(float));
    previous_discrete = take(rows * sizeof(int64_t));
    previous_box = take(box_bytes);
    discrete = take(rows * sizeof(int64_t));
    box = take(box_bytes);
    log_probs = take(rows * sizeof(float));
    values = take(rows * sizeof(float));
    start_state = take(state);
    state0 = take(state);
    state1 = take(state);
    total = at;
  }
};

long futex(const std::atomic<uint32_t>* word, int op, uint32_t value, const timespec* timeout) {
  // Not FUTEX_PRIVATE: the word is shared between processes.
  return ::syscall(SYS_futex, reinterpret_cast<const uint32_t*>(word), op, value, timeout, nullptr, 0);
}

void futex_wait(const std::atomic<uint32_t>& word, uint32_t seen, double seconds) {
  timespec wait{};
  wait.tv_sec = static_cast<time_t>(seconds);
  wait.tv_nsec = static_cast<long>((seconds - std::floor(seconds)) * 1e9);
  futex(&word, FUTEX_WAIT, seen, &wait);
}

void futex_wake(std::atomic<uint32_t>& word) { futex(&word, FUTEX_WAKE, INT32_MAX, nullptr); }

bool process_exists(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

void check_layout(const InferenceLayout& l) {
  if (l.slots <= 0 || l.rows <= 0 || l.obs_size <= 0 || l.action_floats < 0 || l.state_size < 0 ||
      (l.obs_bytes != 0 && l.obs_bytes != 1)) {
    throw std::invalid_argument("inference board: a layout of " + std::to_string(l.slots) + " slots, " +
                                std::to_string(l.rows) + " rows, " + std::to_string(l.obs_size) +
                                " observation floats is not one");
  }
}

}  // namespace

struct InferenceBoard::Mapping {
  SharedMemory memory;
  Header* header = nullptr;
  SlotOffsets offsets{InferenceLayout{}};

  explicit Mapping(SharedMemory shared) : memory(std::move(shared)), header(reinterpret_cast<Header*>(memory.data())) {}
  char* slot_base(int index) const {
    if (index < 0 || index >= header->layout.slots) {
      throw std::out_of_range("inference board: slot " + std::to_string(index) + " of " +
                              std::to_string(header->layout.slots));
    }
    return memory.data() + header->slots_offset + static_cast<size_t>(index) * header->slot_bytes;
  }
  SlotControl& control(int index) const { return *reinterpret_cast<SlotControl*>(slot_base(index)); }
};

InferenceBoard::InferenceBoard(std::unique_ptr<Mapping> mapping) : mapping_(std::move(mapping)) {}
InferenceBoard::InferenceBoard(InferenceBoard&&) noexcept = default;
InferenceBoard& InferenceBoard::operator=(InferenceBoard&&) noexcept = default;
InferenceBoard::~InferenceBoard() = default;

InferenceBoard InferenceBoard::create(const InferenceLayout& layout, const std::string& run_config) {
  check_layout(layout);
  const SlotOffsets offsets(layout);
  const size_t config_offset = aligned(sizeof(Header));
  const size_t slots_offset = config_offset + aligned(run_config.size() + 1);
  const size_t size = slots_offset + static_cast<size_t>(layout.slots) * offsets.total;
  auto m = std::make_unique<Mapping>(SharedMemory::create("inference board", size));
  m->offsets = offsets;
  m->header = new (m->memory.data()) Header{};
  Header& h = *m->header;
  h.layout = layout;
  h.config_offset = config_offset;
  h.config_size = run_config.size();
  h.slots_offset = slots_offset;
  h.slot_bytes = offsets.total;
  h.total_size = size;
  std::memcpy(m->memory.data() + config_offset, run_config.data(), run_config.size());
  for (int i = 0; i < layout.slots; ++i) new (m->slot_base(i)) SlotControl{};
  h.magic = kMagic;  // last: a board is whole once it has its magic
  return InferenceBoard(std::move(m));
}

InferenceBoard InferenceBoard::attach(int fd) {
  auto m = std::make_unique<Mapping>(SharedMemory::attach("inference board", fd, sizeof(Header)));
  const Header& h = *m->header;
  const std::string what = "inference board: descriptor " + std::to_string(fd);
  if (h.magic != kMagic || h.total_size != m->memory.size()) {
    throw std::runtime_error(what + " is not an inference board (bad header)");
  }
  m->offsets = SlotOffsets(h.layout);
  if (m->offsets.total != h.slot_bytes) throw std::runtime_error(what + ": another program's layout");
  return InferenceBoard(std::move(m));
}

int InferenceBoard::fd() const { return mapping_->memory.fd(); }
const InferenceLayout& InferenceBoard::layout() const { return mapping_->header->layout; }

std::string InferenceBoard::run_config() const {
  const Header& h = *mapping_->header;
  return std::string(reinterpret_cast<const char*>(&h) + h.config_offset, h.config_size);
}

InferenceSlotView InferenceBoard::slot(int index) const {
  char* base = mapping_->slot_base(index);
  const SlotOffsets& o = mapping_->offsets;
  InferenceSlotView v;
  if (layout().obs_bytes) {
    v.obs_u8 = reinterpret_cast<uint8_t*>(base + o.obs);
  } else {
    v.obs = reinterpret_cast<float*>(base + o.obs);
  }
  v.starts = reinterpret_cast<uint8_t*>(base + o.starts);
  v.rewards = reinterpret_cast<float*>(base + o.rewards);
  v.previous_discrete = reinterpret_cast<int64_t*>(base + o.previous_discrete);
  v.previous_box = reinterpret_cast<float*>(base + o.previous_box);
  v.discrete = reinterpret_cast<int64_t*>(base + o.discrete);
  v.box = reinterpret_cast<float*>(base + o.box);
  v.log_probs = reinterpret_cast<float*>(base + o.log_probs);
  v.values = reinterpret_cast<float*>(base + o.values);
  v.start_state = reinterpret_cast<float*>(base + o.start_state);
  v.state[0] = reinterpret_cast<float*>(base + o.state0);
  v.state[1] = reinterpret_cast<float*>(base + o.state1);
  return v;
}

int InferenceBoard::claim(pid_t owner) {
  const int slots = layout().slots;
  for (int i = 0; i < slots; ++i) {  // an actor that joins again keeps its slot
    if (mapping_->control(i).owner.load(std::memory_order_acquire) == static_cast<int32_t>(owner)) return i;
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < slots; ++i) {
      SlotControl& c = mapping_->control(i);
      int32_t held = c.owner.load(std::memory_order_acquire);
      // First pass: free slots; second: those of processes that are gone.
      if (pass == 0 ? held != 0 : process_exists(held)) continue;
      if (!c.owner.compare_exchange_strong(held, static_cast<int32_t>(owner), std::memory_order_acq_rel)) continue;
      // A request of the slot's late owner may be in the server's hands:
      // let it finish before the slot is used again.
      const auto start = std::chrono::steady_clock::now();
      while ((c.word.load(std::memory_order_acquire) & kPhaseMask) == kRequested &&
             std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      const uint32_t word = c.word.load(std::memory_order_acquire);
      c.word.store(word & kStateBit, std::memory_order_release);  // free, same state buffer
      c.active.store(0, std::memory_order_release);
      return i;
    }
  }
  throw std::runtime_error("inference board: all " + std::to_string(slots) +
                           " slots are held by live actor processes (one more actor than the board was made for)");
}

void InferenceBoard::request(int index, uint32_t flags, int64_t min_weights) {
  SlotControl& c = mapping_->control(index);
  c.flags = flags;
  c.min_weights = min_weights;
  c.active.store(1, std::memory_order_release);
  const uint32_t word = c.word.load(std::memory_order_relaxed);
  c.word.store((word & kStateBit) | kRequested, std::memory_order_release);
  Header& h = *mapping_->header;
  h.doorbell.fetch_add(1, std::memory_order_acq_rel);
  futex_wake(h.doorbell);
}

bool InferenceBoard::wait_answer(int index, double timeout_seconds) const {
  const SlotControl& c = mapping_->control(index);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  while (true) {
    const uint32_t word = c.word.load(std::memory_order_acquire);
    if ((word & kPhaseMask) == kAnswered) return true;
    const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    futex_wait(c.word, word, std::min(left, 0.5));
  }
}

void InferenceBoard::set_idle(int index) { mapping_->control(index).active.store(0, std::memory_order_release); }

int InferenceBoard::active() const {
  int n = 0;
  for (int i = 0; i < layout().slots; ++i) n += mapping_->control(i).active.load(std::memory_order_acquire) != 0;
  return n;
}

bool InferenceBoard::answered(int index) const {
  return (mapping_->control(index).word.load(std::memory_order_acquire) & kPhaseMask) == kAnswered;
}

int64_t InferenceBoard::answered_version(int index) const { return mapping_->control(index).version; }
int64_t InferenceBoard::answered_epoch(int index) const { return mapping_->control(index).epoch; }

std::span<const float> InferenceBoard::current_state(int index) const {
  const InferenceSlotView v = slot(index);
  const size_t size = static_cast<size_t>(layout().rows) * static_cast<size_t>(layout().state_size);
  return {v.state[current_state_buffer(index)], size};
}

std::vector<int> InferenceBoard::requested() const {
  std::vector<int> out;
  for (int i = 0; i < layout().slots; ++i) {
    if ((mapping_->control(i).word.load(std::memory_order_acquire) & kPhaseMask) == kRequested) out.push_back(i);
  }
  return out;
}

int InferenceBoard::claimed() const {
  int n = 0;
  for (int i = 0; i < layout().slots; ++i) n += mapping_->control(i).owner.load(std::memory_order_acquire) != 0;
  return n;
}

uint32_t InferenceBoard::doorbell() const { return mapping_->header->doorbell.load(std::memory_order_acquire); }

void InferenceBoard::wait_requests(uint32_t seen, double timeout_seconds) const {
  if (doorbell() != seen || timeout_seconds <= 0) return;
  futex_wait(mapping_->header->doorbell, seen, timeout_seconds);
}

uint32_t InferenceBoard::flags(int index) const { return mapping_->control(index).flags; }
int64_t InferenceBoard::min_weights(int index) const { return mapping_->control(index).min_weights; }

int InferenceBoard::current_state_buffer(int index) const {
  return (mapping_->control(index).word.load(std::memory_order_acquire) & kStateBit) ? 1 : 0;
}

void InferenceBoard::answer(int index, int64_t version, int64_t epoch) {
  SlotControl& c = mapping_->control(index);
  c.version = version;
  c.epoch = epoch;
  const uint32_t word = c.word.load(std::memory_order_acquire);
  const uint32_t state_bit = layout().state_size > 0 ? (word ^ kStateBit) & kStateBit : word & kStateBit;
  c.word.store(state_bit | kAnswered, std::memory_order_release);  // the answer and the new state, at once
  futex_wake(c.word);
}

void InferenceBoard::set_server(pid_t pid) {
  mapping_->header->server_pid.store(static_cast<int32_t>(pid), std::memory_order_release);
  mapping_->header->servers_started.fetch_add(1, std::memory_order_relaxed);
}
pid_t InferenceBoard::server() const { return mapping_->header->server_pid.load(std::memory_order_acquire); }
uint64_t InferenceBoard::servers_started() const {
  return mapping_->header->servers_started.load(std::memory_order_relaxed);
}

void InferenceBoard::count_batch(int64_t slots, int64_t rows) {
  Header& h = *mapping_->header;
  h.batches.fetch_add(1, std::memory_order_relaxed);
  h.slots_served.fetch_add(static_cast<uint64_t>(slots), std::memory_order_relaxed);
  h.rows_served.fetch_add(static_cast<uint64_t>(rows), std::memory_order_relaxed);
}
uint64_t InferenceBoard::batches() const { return mapping_->header->batches.load(std::memory_order_relaxed); }
uint64_t InferenceBoard::rows_served() const { return mapping_->header->rows_served.load(std::memory_order_relaxed); }
uint64_t InferenceBoard::slots_served() const { return mapping_->header->slots_served.load(std::memory_order_relaxed); }

// --- InferenceClient ---

InferenceClient::InferenceClient(InferenceBoard& board, int slot, double timeout_seconds)
    : board_(board), slot_(slot), timeout_seconds_(timeout_seconds) {}

void InferenceClient::episodes_started(std::span<const uint8_t> starts) {
  std::copy(starts.begin(), starts.end(), board_.slot(slot_).starts);
}

namespace {

template <typename T>
void check_rows(const InferenceLayout& l, std::span<const T> obs, bool bytes) {
  if (static_cast<bool>(l.obs_bytes) != bytes) {
    throw std::invalid_argument(std::string("inference client: ") + (bytes ? "byte" : "float") +
                                " observations for a board of " + (l.obs_bytes ? "bytes" : "floats"));
  }
  if (obs.size() != static_cast<size_t>(l.rows) * static_cast<size_t>(l.obs_size)) {
    throw std::invalid_argument("inference client: " + std::to_string(obs.size()) + " observation values for a slot of " +
                                std::to_string(l.rows) + " x " + std::to_string(l.obs_size));
  }
}

}  // namespace

void InferenceClient::act(std::span<const float> obs, std::span<int64_t> discrete, std::span<float> box,
                          std::span<float> log_probs, std::span<float> values) {
  check_rows(board_.layout(), obs, /*bytes=*/false);
  std::copy(obs.begin(), obs.end(), board_.slot(slot_).obs);
  exchange(discrete, box, log_probs, values);
}

void InferenceClient::act(std::span<const uint8_t> obs, std::span<int64_t> discrete, std::span<float> box,
                          std::span<float> log_probs, std::span<float> values) {
  check_rows(board_.layout(), obs, /*bytes=*/true);
  std::copy(obs.begin(), obs.end(), board_.slot(slot_).obs_u8);
  exchange(discrete, box, log_probs, values);
}

void InferenceClient::exchange(std::span<int64_t> discrete, std::span<float> box, std::span<float> log_probs,
                               std::span<float> values) {
  const InferenceLayout& l = board_.layout();
  const size_t rows = static_cast<size_t>(l.rows);
  const InferenceSlotView v = board_.slot(slot_);
  board_.request(slot_, have_previous_ ? InferenceBoard::kPreviousStep : 0u, min_weights_);
  if (!board_.wait_answer(slot_, timeout_seconds_)) {
    throw std::runtime_error("the host's inference server did not answer for " +
                             std::to_string(static_cast<int>(timeout_seconds_)) +
                             " s (runtime.inference_timeout_seconds): it is down and was not restarted");
  }
  if (!discrete.empty()) {
    std::copy_n(v.discrete, rows, discrete.begin());
    std::copy_n(v.discrete, rows, v.previous_discrete);
  }
  if (!box.empty()) {
    const size_t n = rows * static_cast<size_t>(l.action_floats);
    std::copy_n(v.box, n, box.begin());
    std::copy_n(v.box, n, v.previous_box);
  }
  std::copy_n(v.log_probs, rows, log_probs.begin());
  std::copy_n(v.values, rows, values.begin());
  have_previous_ = false;
  if (closing_) board_.set_idle(slot_);
  closing_ = false;
}

void InferenceClient::stepped(std::span<const float> rewards) {
  std::copy(rewards.begin(), rewards.end(), board_.slot(slot_).rewards);
  have_previous_ = true;
}

std::span<const float> InferenceClient::start_state() const {
  const size_t size = static_cast<size_t>(board_.layout().rows) * static_cast<size_t>(board_.layout().state_size);
  return {board_.slot(slot_).start_state, size};
}

int64_t InferenceClient::version() const { return board_.answered_version(slot_); }
int64_t InferenceClient::epoch() const { return board_.answered_epoch(slot_); }

}  // namespace rl::wire
