// One learner update's experience: the unrolls of a batch side by side
// along the env axis, [T, K] time-major with K the sum of their k. The
// batcher fills a Batch from validated unrolls; the updater trains on it;
// the same buffers come back for the next batch (no allocation per update
// once they have grown). No torch here.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "rl/data/unroll.h"

namespace rl {

struct Batch {
  int64_t num_steps = 0;    // T
  int64_t num_streams = 0;  // K
  int64_t obs_size = 0;
  int64_t action_size = 0;  // floats per Box action (0 for Discrete)
  bool discrete = true;

  // Observations are float32 here whatever the env writes: byte
  // observations (uint8 unrolls) are widened once, as the batch is
  // assembled, and never before (the wire carries bytes).
  std::vector<float> obs;                 // [T+1, K, obs_size] raw
  std::vector<float> rewards;             // [T, K] raw
  std::vector<uint8_t> terminated;        // [T, K]
  std::vector<uint8_t> truncated;         // [T, K]
  std::vector<uint8_t> done;              // [T, K] terminated or truncated
  std::vector<float> log_probs;           // [T, K] behaviour log mu(a_t | o_t)
  std::vector<float> values;              // [T, K] V(o_t) at collection
  std::vector<int64_t> discrete_actions;  // [T, K] (Discrete)
  std::vector<float> box_actions;         // [T, K, action_size] (Box)
  std::vector<int32_t> final_index;       // [m] into [T, K]: steps ended by truncation alone
  std::vector<float> final_obs;           // [m, obs_size] raw, their real last observations
  std::vector<int64_t> stream;            // [K] reward-scaler stream of each column (actor id * k + env)
  std::vector<float> core_state;          // [K, core_state_size] recurrent state before step 0 (empty without a core)
  int64_t core_state_size = 0;

  // Where each unroll came from, in column order.
  struct Source {
    int64_t actor_id = 0;
    int64_t incarnation = 0;
    int64_t sequence = 0;
    int64_t policy_version = 0;
    int64_t num_envs = 0;
    int64_t env_errors = 0;
  };
  std::vector<Source> sources;
  std::vector<EpisodeRecord> episodes;  // finished in these unrolls

  int64_t env_steps() const { return num_steps * num_streams; }

  // Refills the batch from `unrolls`, which share T and the observation and
  // action shapes (the hub pins them). Throws std::invalid_argument when
  // they do not: a programming error upstream, never the wire's.
  void assemble(std::span<const Unroll* const> unrolls);

  // A new batch of `unrolls` (tests, benchmarks).
  static Batch of(std::initializer_list<const Unroll*> unrolls) {
    Batch batch;
    const std::vector<const Unroll*> list(unrolls);
    batch.assemble(list);
    return batch;
  }
};

}  // namespace rl
