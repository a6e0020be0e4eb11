// What the learner's stages hand each other (docs/architecture.md):
// a bounded queue (blocking with a timeout, closable) and a newest-wins slot.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace rl {

// A FIFO of at most `capacity` items between two threads. push() waits for
// room, pop() for an item, each up to a timeout; close() wakes both sides
// for good (pop still drains what is left).
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
    // A reader waits only on an empty queue: later items need no wake-up.
    if (items_.size() == 1) not_empty_.notify_one();
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
    if (items_.size() + 1 == capacity_) not_full_.notify_one();
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
