// What the learner's stages hand each other (docs/architecture.md):
// a bounded queue (blocking with a timeout, closable), a newest-wins slot,
// and the record of a stage that failed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace rl {

// A FIFO of at most `capacity` items between threads, any number of
// producers and consumers. push() waits for room, pop() for an item, each up
// to a timeout; close() wakes both sides for good (pop still drains what is
// left).
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // False when the queue stayed full for `timeout` or is closed.
  bool push(T item, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!not_full_.wait_for(lock, timeout, [&] { return closed_ || items_.size() < capacity_; }) || closed_) {
      return false;
    }
    items_.push_back(std::move(item));
    // Every item wakes one waiting reader: with several readers, waking only
    // on the first item would leave a reader asleep beside a waiting item.
    not_empty_.notify_one();
    return true;
  }
  // Never waits: false when full or closed.
  bool try_push(T item) { return push(std::move(item), std::chrono::milliseconds(0)); }

  std::optional<T> pop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); }) || items_.empty()) {
      return std::nullopt;
    }
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  // Everything queued, waiting up to `timeout` for the first item: one
  // wake-up for a burst instead of one per item.
  std::deque<T> pop_all(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::deque<T> out;
    if (!not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); })) return out;
    out.swap(items_);
    not_full_.notify_all();
    return out;
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_, not_full_;
  std::deque<T> items_;
  bool closed_ = false;
};

// The first exception that escaped a stage thread's loop (hub, batcher,
// publisher). The thread stops instead of looping on it, and the runner
// ends the run with it (ActorService::stage_failure).
class StageFailure {
 public:
  void record(std::string what) {
    std::lock_guard lock(mutex_);
    if (!what_) what_ = std::move(what);
  }
  std::optional<std::string> what() const {
    std::lock_guard lock(mutex_);
    return what_;
  }

 private:
  mutable std::mutex mutex_;
  std::optional<std::string> what_;
};

// A fault hook for the tests (as RL_FAULT_UPDATE_PAUSE_MS):
// RL_FAULT_STAGE_THROW=hub|batcher|publisher makes that stage throw once it
// has done some work. Read once, when the stage's thread starts.
inline bool stage_fault_injected(const char* stage) {
  const char* value = std::getenv("RL_FAULT_STAGE_THROW");
  return value && std::string(value) == stage;
}

// One value that the writer replaces and the reader takes: a value that is
// superseded before the reader comes is never seen (newest wins, as weights
// versions).
template <typename T>
class Latest {
 public:
  void put(T value) {
    std::lock_guard lock(mutex_);
    value_ = std::move(value);
    ++puts_;
    changed_.notify_all();
  }
  // The value if one was put since the last take(), waiting up to `timeout`.
  std::optional<T> take(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return value_.has_value() || closed_; }) || !value_) {
      return std::nullopt;
    }
    std::optional<T> out = std::move(value_);
    value_.reset();
    return out;
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }
  // Values put so far (those skipped included).
  long puts() const {
    std::lock_guard lock(mutex_);
    return puts_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<T> value_;
  long puts_ = 0;
  bool closed_ = false;
};

}  // namespace rl
