// RolloutWorker: a VectorEnv of k envs and the actor's copy of the policy,
// producing Unrolls of T steps. The same worker runs inside the training
// process (--actors 0) and inside actor processes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rl/wire/inference_board.h"
#include "actors/policy_actor.h"
#include "rl/data/rollout_config.h"
#include "rl/data/unroll.h"
#include "rl/env/registry.h"
#include "rl/env/vector_env.h"

namespace rl {

class RolloutWorker {
 public:
  // Builds k envs of `env_id` and resets them with `seed` (env i gets
  // derive_seed(seed, i)); the policy samples from derive_seed(seed, k).
  // With `inference` the actions come from the host's inference server
  // through that client, and the worker holds no policy of its own.
  RolloutWorker(const EnvRegistry& registry, const std::string& env_id, const EnvOptions& env_options,
                const RolloutConfig& rollout, const PolicyConfig& policy,
                const NormalizeConfig& normalize, uint64_t seed, int64_t actor_id,
                wire::StepInference* inference = nullptr);

  // Steps every env T times with the current policy and fills `out`.
  void collect(Unroll& out);

  // Starts new episodes in every env from a new seed (after a resume).
  void reset_envs(uint64_t seed);

  // The learner's count of this actor's starts, carried by every unroll.
  void set_incarnation(int64_t incarnation) { incarnation_ = incarnation; }

  // The worker's own policy (none with an inference client).
  PolicyActor& policy() { return *policy_; }
  bool has_policy() const { return policy_ != nullptr; }
  const EnvSpec& spec() const { return env_.spec(); }
  int64_t env_steps() const { return env_.total_steps(); }
  const std::string& last_env_error() const { return last_env_error_; }

 private:
  RolloutConfig config_;
  VectorEnv env_;
  std::unique_ptr<PolicyActor> policy_;  // or null: the inference client acts
  wire::StepInference* inference_ = nullptr;
  int64_t actor_id_;
  int64_t incarnation_ = 0;
  int64_t sequence_ = 0;
  std::string last_env_error_;  // the latest env failure recovered from
  std::vector<int64_t> discrete_actions_;  // [k]
  std::vector<float> box_actions_;         // [k, d] unclipped samples
  std::vector<float> env_actions_;         // [k, d] clipped to the space, sent to the env
  std::vector<float> widened_obs_;         // [k, obs_size] byte observations as floats, for the policy
  std::vector<uint8_t> starts_;            // [k] 1: the env's episode starts at the coming step (recurrent state resets)
};

}  // namespace rl
