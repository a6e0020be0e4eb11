// Unroll: the unit of experience that crosses from actors to learners.
//
// T steps of k envs, as contiguous arrays in time-major order, filled by a
// rollout worker straight from its VectorEnv and read by the learners (and,
// over the wire, serialized array by array). No torch here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rl {

// One episode that finished inside an unroll.
struct EpisodeRecord {
  int32_t env = 0;         // env index within the actor
  double return_ = 0.0;    // undiscounted sum of raw rewards
  int32_t length = 0;      // steps
};

struct Unroll {
  int64_t num_steps = 0;    // T
  int64_t num_envs = 0;     // k
  int64_t obs_size = 0;     // elements per observation
  // Observations are uint8 (obs_u8, final_obs_u8) instead of float32 (obs,
  // final_obs): image and grid envs, carried as bytes to the learner. The
  // arrays of the other type are empty.
  bool byte_obs = false;
  int64_t action_size = 0;  // floats per Box action (0 for Discrete)
  bool discrete = false;    // actions are indices (Discrete) or floats (Box)

  std::vector<float> obs;                 // [T+1, k, obs_size] raw; row T bootstraps the last step
  std::vector<uint8_t> obs_u8;            // [T+1, k, obs_size] the same, for byte observations
  std::vector<int64_t> discrete_actions;  // [T, k] (Discrete)
  std::vector<float> box_actions;         // [T, k, action_size] unclipped samples (Box)
  std::vector<float> rewards;             // [T, k] raw rewards
  std::vector<uint8_t> terminated;        // [T, k] 1: terminal state, no bootstrap
  std::vector<uint8_t> truncated;         // [T, k] 1: cut by the time limit
  std::vector<float> behaviour_log_probs; // [T, k] log mu(a_t | o_t)
  std::vector<float> values;              // [T, k] V(o_t) at collection
  // A recurrent policy's core state before step 0 (after the resets of
  // episodes that start there), from which the learner replays the core.
  std::vector<float> core_state;          // [k, core_state_size]; empty without a core
  int64_t core_state_size = 0;            // floats of state per env

  // Steps that ended an episode by truncation alone: index t * k + i, and the
  // episode's real last observation (obs row t + 1 is the next episode's start).
  std::vector<int32_t> final_index;       // [m]
  std::vector<float> final_obs;           // [m, obs_size] raw
  std::vector<uint8_t> final_obs_u8;      // [m, obs_size] the same, for byte observations

  int64_t policy_version = 0;  // version of the weights that acted
  int64_t actor_id = 0;        // which actor produced it
  int64_t incarnation = 0;     // which start of that actor (the learner's count; 0: unknown)
  int64_t sequence = 0;        // per-incarnation counter, for ordering and loss detection
  std::vector<EpisodeRecord> episodes;  // episodes finished in this unroll
  int64_t env_errors = 0;      // env failures recovered from while collecting it

  // Sizes the arrays for T steps of k envs (contents unspecified).
  void resize(int64_t steps, int64_t envs, int64_t obs_elements, int64_t action_floats,
              bool is_discrete, bool bytes = false);
  int64_t num_samples() const { return num_steps * num_envs; }
  bool done(int64_t t, int64_t i) const {
    return terminated[t * num_envs + i] || truncated[t * num_envs + i];
  }
  // Throws std::invalid_argument naming the first array whose size does not
  // match the header (T, k, sizes), or a final_index out of range.
  void check_consistent() const;
};

}  // namespace rl
