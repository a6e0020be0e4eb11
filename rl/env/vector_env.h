// VectorEnv: k envs of one spec stepped together into contiguous batch
// arrays, with automatic reset in the same step.
//
// Every env writes straight into its row of the batch arrays; a step does no
// heap allocation and takes no lock. When env i ends an episode (terminated,
// or truncated by the time limit), the step copies its last observation to
// final_observations() row i, records the episode's return and length, and
// resets it: observations() row i then holds the first observation of the
// next episode (Gymnasium's SAME_STEP autoreset). A learner bootstraps a
// truncated episode from final_observations(), never from observations().
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rl/env/detail/waitable_counter.h"
#include "rl/env/env.h"
#include "rl/env/env_options.h"
#include "rl/env/env_spec.h"
#include "rl/env/registry.h"

namespace rl {

struct VectorEnvConfig {
  int num_envs = 1;         // k, the envs stepped together
  uint64_t seed = 0;        // env i is first reset with derive_seed(seed, i)
  int num_threads = 1;      // threads that step envs, the caller's included (1: caller only)
  EnvOptions env_options;   // overrides of the registration's default options
  int max_episode_steps = -1;  // time limit; -1: the registration's, 0: none
  // > 0: an env whose step or reset throws, or whose step returns a
  // non-finite observation or reward, is reset and counted (env_errors());
  // its episode ends as truncated with the last good observation as final
  // observation and reward 0 for the failed step. After this many failures
  // of one env in a row the step throws, naming the env and the last error.
  // 0: the first error propagates (rl_eval, tests).
  int env_error_limit = 0;
};

class VectorEnv {
 public:
  // Builds config.num_envs envs of `id` from `registry`.
  VectorEnv(const EnvRegistry& registry, std::string_view id, const VectorEnvConfig& config);
  // Steps envs built elsewhere; all must have the spaces of `spec`.
  VectorEnv(EnvSpec spec, std::vector<std::unique_ptr<Env>> envs, const VectorEnvConfig& config);
  ~VectorEnv();

  VectorEnv(const VectorEnv&) = delete;
  VectorEnv& operator=(const VectorEnv&) = delete;

  const EnvSpec& spec() const { return spec_; }
  int num_envs() const { return num_envs_; }
  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }
  int max_episode_steps() const { return max_episode_steps_; }

  // Starts a new episode in every env. With a seed, env i is reseeded with
  // derive_seed(seed, i); without one (after the first reset) each env
  // continues its own RNG stream. The first reset uses config.seed.
  void reset(std::optional<uint64_t> seed = std::nullopt);

  // One step of every env. Discrete action spaces take k int64 indices,
  // Box spaces k x action_size floats (row-major). Invalid actions (wrong
  // count, index out of range, NaN/Inf) throw std::invalid_argument before
  // any env is stepped. An exception thrown by an env is rethrown as
  // std::runtime_error naming the env's index.
  void step(std::span<const int64_t> actions);
  void step(std::span<const float> actions);

  // Batch arrays of the last reset() or step(), valid until the next call.
  // Observations are float32 or uint8 as the observation space says: the
  // other accessor returns an empty span.
  bool byte_observations() const { return !byte_envs_.empty(); }
  std::span<const float> observations() const { return obs_; }         // [k, obs_size] float32
  std::span<const uint8_t> observation_bytes() const { return obs_u8_; }  // [k, obs_size] uint8
  std::span<const float> rewards() const { return rewards_; }           // [k]
  std::span<const uint8_t> terminated() const { return terminated_; }   // [k] 1: terminal state
  std::span<const uint8_t> truncated() const { return truncated_; }     // [k] 1: cut (time limit)
  std::span<const float> infos() const { return infos_; }               // [k, n_info]
  // Rows valid only where terminated or truncated is set:
  std::span<const float> final_observations() const { return final_obs_; }  // [k, obs_size]
  std::span<const uint8_t> final_observation_bytes() const { return final_obs_u8_; }  // [k, obs_size]
  std::span<const double> episode_returns() const { return episode_returns_; }  // [k] undiscounted
  std::span<const int32_t> episode_lengths() const { return episode_lengths_; }  // [k] steps
  std::span<const double> episode_info_sums() const { return episode_info_sums_; }  // [k, n_info]

  // Steps taken by env i in its current episode.
  int32_t elapsed_steps(int i) const { return running_lengths_[i]; }
  // Env steps taken since construction, over all envs.
  int64_t total_steps() const { return total_steps_; }
  // Episodes finished since construction, over all envs.
  int64_t total_episodes() const { return total_episodes_; }
  // Env failures recovered from since construction (env_error_limit > 0),
  // and the message of the latest one.
  int64_t env_errors() const { return env_errors_; }
  const std::string& last_env_error() const { return last_env_error_; }

 private:
  VectorEnv(std::pair<EnvSpec, std::vector<std::unique_ptr<Env>>> built,
            const VectorEnvConfig& config);
  template <bool kDiscrete, typename T>
  void step_range(int chunk);
  // The observation arrays of element type T (float or uint8_t).
  template <typename T>
  struct ObsArrays {
    std::vector<T>& obs;
    std::vector<T>& final_obs;
    std::vector<T>& last_good;
  };
  template <typename T>
  ObsArrays<T> arrays();
  // Env i's reset or step into an observation row of element type T.
  void reset_env(int i, std::optional<uint64_t> seed, std::span<float> obs) { envs_[i]->reset(seed, obs); }
  void reset_env(int i, std::optional<uint64_t> seed, std::span<uint8_t> obs) { byte_envs_[i]->reset(seed, obs); }
  StepResult step_env(int i, const Action& a, std::span<float> obs, std::span<float> info) {
    return envs_[i]->step(a, obs, info);
  }
  StepResult step_env(int i, const Action& a, std::span<uint8_t> obs, std::span<float> info) {
    return byte_envs_[i]->step(a, obs, info);
  }
  void run_chunk(int chunk);
  void dispatch();
  void worker_loop(int chunk);
  // Ends env i's episode (terminated or truncated flags already written):
  // final observation, episode statistics, reset. Returns false when the
  // reset failed and was recorded as a failure of the env.
  template <typename T>
  bool end_episode(int i, int chunk, const T* final_obs);
  // Records a failure of env i (env_error_limit > 0); throws once the env
  // has failed env_error_limit times in a row.
  void record_failure(int i, int chunk, const char* where, const std::string& what);
  void start_workers(int num_threads);

  EnvSpec spec_;
  std::vector<std::unique_ptr<Env>> envs_;
  std::vector<ByteEnv*> byte_envs_;  // envs_ as ByteEnvs (uint8 observations only)
  int num_envs_ = 0;
  int obs_size_ = 0;
  int action_size_ = 0;
  int num_info_ = 0;
  int max_episode_steps_ = 0;
  uint64_t seed_ = 0;
  std::string step_label_;  // "VectorEnv(<id>).step", built once: steps must not allocate
  bool was_reset_ = false;

  std::vector<float> obs_;
  std::vector<float> rewards_;
  std::vector<uint8_t> terminated_;
  std::vector<uint8_t> truncated_;
  std::vector<float> infos_;
  std::vector<float> final_obs_;
  std::vector<uint8_t> obs_u8_, final_obs_u8_, last_good_obs_u8_;  // the uint8 arrays
  std::vector<double> episode_returns_;
  std::vector<int32_t> episode_lengths_;
  std::vector<double> episode_info_sums_;
  std::vector<double> running_returns_;
  std::vector<int32_t> running_lengths_;
  std::vector<double> running_info_sums_;
  int64_t total_steps_ = 0;
  int64_t total_episodes_ = 0;
  int env_error_limit_ = 0;
  std::vector<float> last_good_obs_;      // [k, obs_size], kept only with env_error_limit > 0
  std::vector<int32_t> failures_in_row_;  // [k]
  int64_t env_errors_ = 0;
  std::string last_env_error_;

  // The actions of the step in flight (one of the two is set).
  const int64_t* discrete_actions_ = nullptr;
  const float* box_actions_ = nullptr;

  // Worker threads: chunk 0 runs on the caller, chunk c on workers_[c-1].
  std::vector<int> chunk_begin_;  // [num_threads + 1] env index boundaries
  std::vector<std::exception_ptr> chunk_errors_;
  std::vector<int32_t> chunk_episodes_;  // episodes finished per chunk this step
  std::vector<int32_t> chunk_env_errors_;  // env failures per chunk this step
  std::vector<std::string> chunk_last_error_;
  std::vector<std::thread> workers_;
  detail::WaitableCounter generation_;  // bumped by one to start a step
  detail::WaitableCounter pending_;     // workers still stepping
  std::atomic<bool> stopping_{false};
};

}  // namespace rl
