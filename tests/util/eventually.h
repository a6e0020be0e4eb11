// Waiting in tests for a condition that no event announces (a counter in
// another thread or process, a row in a metrics file): poll it until it
// holds or a deadline passes, never sleep a fixed time and hope.
#pragma once

#include <chrono>
#include <thread>

namespace rl::testing {

// Whether `condition()` held within `timeout`, checked every `every`.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
  return true;
}

}  // namespace rl::testing
