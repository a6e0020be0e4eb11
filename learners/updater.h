// The learner's third stage, and the only thread that touches the model and
// its optimizer: takes batches, runs the updates (and, in a learner group,
// the collectives), hands each new version to the publisher, writes
// metrics.csv, TensorBoard and the progress line, and checkpoints. It runs
// until the run's env steps are done, a stop is requested, or it fails.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "learners/batcher.h"
#include "learners/learner.h"
#include "rl/runtime/metrics.h"
#include "rl/runtime/tensorboard.h"

namespace rl {

class LearnerGroup;

// The run's counters: what a checkpoint records and the summary reports.
struct RunCounters {
  int64_t env_steps = 0;
  int64_t episodes = 0;
  double previous_wall = 0;  // wall seconds of the run before this process (a resume)
};

struct UpdaterConfig {
  std::string label;             // "[impala CartPole-v1]", the log lines' prefix
  int64_t total_steps = 0;       // the run's budget of env steps (the group's, in a group)
  int64_t checkpoint_every = 0;  // env steps between checkpoints (0: only the last)
  double log_every_seconds = 5;  // progress line
  int local_actors = 0;          // metrics.csv gets their throughput columns from the first row
  bool discard_batches = false;  // runtime.discard_batches: count batches, train on none (benchmarks)
};

// What the updater calls out to; all on its own thread.
struct UpdaterHooks {
  std::function<void(Learner&)> publish;        // a new version exists
  std::function<void(double wall)> checkpoint;  // write a checkpoint now
  std::function<MetricRow()> runtime_metrics;   // the hub's and supervisor's counters
};

class Updater {
 public:
  // `version` is kept equal to the learner's version after every update
  // (the batcher reads it for its lag checks).
  Updater(UpdaterConfig config, Learner& learner, BatchSource& source, LearnerGroup* group, UpdaterHooks hooks,
          MetricsCsv& metrics, TensorBoardWriter& tensorboard, RunCounters counters, std::atomic<int64_t>& version);
  ~Updater();  // joins

  void start();
  // Ends the run after the current update (with a last checkpoint).
  void request_stop() { stop_requested_ = true; }
  bool finished() const { return finished_.load(); }
  void join();

  // Valid once finished().
  const RunCounters& counters() const { return counters_; }
  // The env steps trained on so far, from any thread.
  int64_t env_steps_now() const { return env_steps_now_.load(); }
  bool interrupted() const { return interrupted_; }
  double seconds() const { return seconds_; }
  int64_t steps_this_session() const { return counters_.env_steps - start_steps_; }
  // What ended the run when it failed (rethrown by the runner), or null.
  std::exception_ptr error() const { return error_; }

 private:
  void run();
  void record(const Batch& batch, const MetricRow& update_metrics);

  UpdaterConfig config_;
  Learner& learner_;
  BatchSource& source_;
  LearnerGroup* group_;
  UpdaterHooks hooks_;
  MetricsCsv& metrics_;
  TensorBoardWriter& tensorboard_;
  RunCounters counters_;
  int64_t start_steps_ = 0;
  int64_t start_updates_ = 0;
  int64_t env_errors_ = 0;
  std::deque<double> recent_returns_, recent_lengths_;  // the last 100 episodes
  std::map<int64_t, int64_t> steps_by_actor_;           // env steps taken from each actor
  MetricRow per_actor_;                                 // their throughput, as last worked out
  std::chrono::steady_clock::time_point per_actor_at_;
  std::chrono::steady_clock::time_point tensorboard_at_;
  double wait_seconds_ = 0;                             // waiting for batches
  std::chrono::steady_clock::time_point start_;
  double seconds_ = 0;

  std::atomic<int64_t>& version_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<int64_t> env_steps_now_{0};
  std::atomic<bool> finished_{false};
  bool interrupted_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace rl
