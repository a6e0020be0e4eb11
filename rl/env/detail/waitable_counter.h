// A counter one thread changes and another waits on, for handing steps to
// VectorEnv workers without a lock.
//
// A waiter spins first (a step of a cheap env takes microseconds, less than
// a sleep and wake-up) and sleeps on the futex only after that. The changer
// makes the wake-up system call only when a waiter sleeps: std::atomic's
// notify alone costs a system call per step in libstdc++ 12.
#pragma once

#include <atomic>
#include <cstdint>

namespace rl::detail {

class WaitableCounter {
 public:
  // Pause instructions a waiter spins through before sleeping.
  static constexpr int kSpinRounds = 4000;

  uint32_t load() const { return value_.load(std::memory_order_acquire); }

  void store(uint32_t value) {
    value_.store(value, std::memory_order_seq_cst);
    wake();
  }

  // Adds `delta` and returns the new value.
  uint32_t add(uint32_t delta) {
    const uint32_t now = value_.fetch_add(delta, std::memory_order_seq_cst) + delta;
    wake();
    return now;
  }

  // Returns the first value seen for which done(value) holds.
  template <typename Done>
  uint32_t wait_for(Done done) const {
    for (int i = 0; i < kSpinRounds; ++i) {
      const uint32_t now = load();
      if (done(now)) return now;
      relax();
    }
    while (true) {
      // Announce the sleep before the last look, so that a change after the
      // look sees the sleeper and wakes it (both sides are seq_cst).
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      const uint32_t now = value_.load(std::memory_order_seq_cst);
      if (!done(now)) value_.wait(now, std::memory_order_seq_cst);
      sleepers_.fetch_sub(1, std::memory_order_seq_cst);
      if (done(now)) return now;
    }
  }

 private:
  void wake() {
    if (sleepers_.load(std::memory_order_seq_cst) > 0) value_.notify_all();
  }

  static void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  std::atomic<uint32_t> value_{0};
  mutable std::atomic<int> sleepers_{0};
};

}  // namespace rl::detail
