// The newest weights of one host, in shared memory: one writer (the
// learner's publisher for the actors on the learner's host, or a host relay
// for the actors of another host) and any number of reader processes that
// inherited the board's file descriptor. Actors read the board when they
// start an unroll, so each takes the version that is newest at that moment
// and never decodes one that was superseded; the learner sends a host one
// copy of each version, however many actors it runs (docs/wire-protocol.md).
//
// Layout: a header, then two slots of `capacity` bytes. The writer fills the
// slot that is not current and flips; each slot has a sequence lock, so a
// reader that raced a write retries. `published` is a futex word: readers
// that wait for a newer version (PPO) sleep on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rl::wire {

class WeightsBoard {
 public:
  // A new board (memfd, close-on-exec) for messages of up to `capacity` bytes.
  static WeightsBoard create(size_t capacity);
  // Maps the board behind an inherited descriptor; std::runtime_error naming
  // the descriptor when it is not one.
  static WeightsBoard attach(int fd);

  WeightsBoard(WeightsBoard&&) noexcept;
  WeightsBoard& operator=(WeightsBoard&&) noexcept;
  ~WeightsBoard();

  int fd() const;
  size_t capacity() const;

  // Writer: publishes the frames of a weights message of `version`.
  // std::length_error when they do not fit.
  void publish(int64_t version, const std::vector<std::string>& frames);

  // The newest version on the board, -1 before the first.
  int64_t version() const;
  // Copies the newest message into `frames` when its version is above
  // `have`; returns that version, or nullopt when there is nothing newer.
  std::optional<int64_t> read_newer(int64_t have, std::vector<std::string>& frames) const;
  // Sleeps until a version above `have` is published or `timeout_seconds`
  // pass; true when there is one.
  bool wait_newer(int64_t have, double timeout_seconds) const;

  // Readers count each version they load (a metric of the host).
  void count_load();
  uint64_t loads() const;

  // Demand, for a board that a host relay fills on request
  // (docs/wire-protocol.md): an actor about to start an unroll takes a ticket and
  // tells the relay (an eventfd of the relay's); the relay asks the learner
  // for the newest version and marks the tickets up to its request
  // answered, with or without a new version; the actor waits for its
  // ticket's answer, then reads the board. A board that the learner's
  // publisher fills with every version ("live") needs none of it.
  uint32_t take_ticket();
  uint32_t demand() const;  // the newest ticket taken
  void answer(uint32_t ticket);
  bool wait_answered(uint32_t ticket, double timeout_seconds) const;
  void set_live(bool live);
  bool live() const;

 private:
  struct Mapping;
  explicit WeightsBoard(std::unique_ptr<Mapping> mapping);
  std::unique_ptr<Mapping> mapping_;
};

}  // namespace rl::wire
