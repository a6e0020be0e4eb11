// The learner's second stage: validated unrolls from the hub in, batches
// for the updater out. Two Batch buffers take turns (one filled here while
// the updater trains on the other), so a steady run allocates nothing per
// update, and the updater never waits for a batch the batcher could have
// had ready.
//
// Synchronous (PPO): a batch is one unroll of the learner's current version
// from every live actor. News from the hub keeps the set of live actors: an
// actor that died or was replaced is not waited for, and an actor alive but
// late is waited for at most `straggler_seconds`.
// Asynchronous (IMPALA): a batch is `unrolls_per_batch` unrolls of whichever
// actors deliver first. An unroll whose policy is more than `max_policy_lag`
// versions behind the learner is dropped and counted (stale_lag).
// Either way every unroll taken or dropped is handed back to the hub, which
// returns its credit to the pool: that, the batch size and the in-flight
// limit bound the policy lag by design (docs/architecture.md).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "learners/batch.h"
#include "learners/hub.h"
#include "learners/stage_queue.h"

namespace rl {

struct BatcherConfig {
  bool sync = false;
  int unrolls_per_batch = 1;     // asynchronous batch size
  int64_t max_policy_lag = 0;    // asynchronous: drop older unrolls (0: no cap)
  int min_actors = 1;            // no batch before this many actors joined
  double straggler_seconds = 15; // synchronous: longest wait for a live actor's unroll
};

// Where an updater gets its batches (the batcher, or a collector in the
// learner's own process with --actors 0).
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // The next batch, or nullptr if none came within `timeout`.
  virtual Batch* next(std::chrono::milliseconds timeout) = 0;
  // The updater is done with `batch`; its buffers are reused.
  virtual void release(Batch* batch) = 0;
};

class Batcher final : public BatchSource {
 public:
  // `learner_version`: the version the updater's learner is at (stored by
  // the updater after each update).
  Batcher(BatcherConfig config, Hub& hub, BoundedQueue<Delivery>& in, const std::atomic<int64_t>& learner_version);
  ~Batcher() override;  // stop()

  void start();
  void stop();

  Batch* next(std::chrono::milliseconds timeout) override;
  void release(Batch* batch) override;

  int live_actors() const { return live_count_.load(); }
  // Why the batcher's thread stopped, if an exception escaped it.
  const StageFailure& failure() const { return failure_; }

 private:
  void run();
  void take(Delivery delivery);
  void emit();  // pending -> a full batch
  void drop(std::unique_ptr<Unroll> unroll, int64_t incarnation, const char* reason, const std::string& detail);
  bool sync_batch_ready() const;

  BatcherConfig config_;
  Hub& hub_;
  BoundedQueue<Delivery>& in_;
  const std::atomic<int64_t>& learner_version_;
  Batch buffers_[2];
  BoundedQueue<Batch*> free_{2};
  BoundedQueue<Batch*> full_{2};

  // Batcher thread only.
  struct Pending {
    std::unique_ptr<Unroll> unroll;
    int64_t incarnation = 0;
  };
  std::vector<Pending> pending_;
  std::map<int64_t, int64_t> live_;  // actor id -> incarnation (synchronous)
  int64_t expected_version_ = -1;    // synchronous: the version of the batch being filled
  std::chrono::steady_clock::time_point first_arrival_;
  bool started_ = false;             // min_actors have joined once

  std::atomic<int> live_count_{0};
  std::thread thread_;
  std::atomic<bool> running_{false};
  StageFailure failure_;
  int64_t emitted_ = 0;  // batches handed to the updater (batcher thread)
};

}  // namespace rl
