#include "actors/rollout_worker.h"

#include <algorithm>

namespace rl {
namespace {

VectorEnvConfig vector_config(const RolloutConfig& rollout, const EnvOptions& options, uint64_t seed) {
  VectorEnvConfig config;
  config.num_envs = rollout.num_envs;
  config.num_threads = rollout.env_threads;
  config.seed = seed;
  config.env_options = options;
  config.env_error_limit = rollout.env_error_limit;
  return config;
}

}  // namespace

RolloutWorker::RolloutWorker(const EnvRegistry& registry, const std::string& env_id,
                             const EnvOptions& env_options, const RolloutConfig& rollout,
                             const PolicyConfig& policy, const NormalizeConfig& normalize,
                             uint64_t seed, int64_t actor_id, wire::StepInference* inference)
    : config_(rollout),
      env_(registry, env_id, vector_config(rollout, env_options, seed)),
      policy_(inference ? nullptr
                        : std::make_unique<PolicyActor>(env_.spec(), policy, normalize, derive_seed(seed, rollout.num_envs))),
      inference_(inference),
      actor_id_(actor_id) {
  const int64_t k = rollout.num_envs;
  const bool discrete = env_.spec().action_space.is_discrete();
  discrete_actions_.resize(discrete ? k : 0);
  box_actions_.resize(discrete ? 0 : k * env_.spec().action_size());
  env_actions_.resize(box_actions_.size());
  starts_.assign(k, 1);
  env_.reset();
}

void RolloutWorker::reset_envs(uint64_t seed) {
  env_.reset(seed);
  std::fill(starts_.begin(), starts_.end(), uint8_t{1});
}

void RolloutWorker::collect(Unroll& out) {
  const EnvSpec& spec = env_.spec();
  const int64_t T = config_.num_steps;
  const int64_t k = config_.num_envs;
  const int64_t obs_size = spec.obs_size();
  const int64_t action_size = spec.action_size();
  const bool discrete = spec.action_space.is_discrete();
  const bool bytes = env_.byte_observations();
  out.resize(T, k, obs_size, action_size, discrete, bytes);
  out.policy_version = inference_ ? -1 : policy_->version();  // remote: the first answer's
  out.actor_id = actor_id_;
  out.incarnation = incarnation_;
  out.sequence = sequence_++;
  const int64_t errors_before = env_.env_errors();

  for (int64_t t = 0; t < T; ++t) {
    // A recurrent policy forgets where episodes start; the unroll carries
    // the state its first step starts from.
    if (inference_) {
      inference_->episodes_started(starts_);
    } else {
      policy_->episodes_started(starts_);
      if (t == 0) {
        const auto state = policy_->core_state();
        out.core_state.assign(state.begin(), state.end());
        out.core_state_size = policy_->recurrent() ? static_cast<int64_t>(state.size()) / k : 0;
      }
    }
    std::span<const float> obs;
    if (bytes) {
      // The unroll keeps the bytes; the policy gets them widened to float.
      const auto row = env_.observation_bytes();
      std::copy(row.begin(), row.end(), out.obs_u8.begin() + t * k * obs_size);
      if (!inference_) {  // an inference server takes the bytes
        widened_obs_.assign(row.begin(), row.end());
        obs = widened_obs_;
      }
    } else {
      obs = env_.observations();
      std::copy(obs.begin(), obs.end(), out.obs.begin() + t * k * obs_size);
    }
    std::span<float> log_probs(out.behaviour_log_probs.data() + t * k, k);
    std::span<float> values(out.values.data() + t * k, k);
    if (inference_) {
      if (t == T - 1) inference_->unroll_ending();
      if (bytes) {
        inference_->act(env_.observation_bytes(), discrete_actions_, box_actions_, log_probs, values);
      } else {
        inference_->act(obs, discrete_actions_, box_actions_, log_probs, values);
      }
      if (t == 0) {
        // The server knows where the state starts (it resets it).
        const auto state = inference_->start_state();
        out.core_state.assign(state.begin(), state.end());
        out.core_state_size = static_cast<int64_t>(state.size()) / k;
        out.policy_version = inference_->version();
      }
    } else {
      policy_->act(obs, /*deterministic=*/false, discrete_actions_, box_actions_, log_probs, values);
    }
    if (discrete) {
      std::copy(discrete_actions_.begin(), discrete_actions_.end(), out.discrete_actions.begin() + t * k);
      env_.step(std::span<const int64_t>(discrete_actions_));
    } else {
      std::copy(box_actions_.begin(), box_actions_.end(), out.box_actions.begin() + t * k * action_size);
      // The env gets the action clipped to its space; the unroll keeps the
      // sample, whose log-probability the learner recomputes.
      std::copy(box_actions_.begin(), box_actions_.end(), env_actions_.begin());
      clip_to_space(spec.action_space, env_actions_);
      env_.step(std::span<const float>(env_actions_));
    }
    const auto rewards = env_.rewards();
    std::copy(rewards.begin(), rewards.end(), out.rewards.begin() + t * k);
    if (inference_) {
      inference_->stepped(rewards);
    } else {
      policy_->stepped(rewards);
    }
    for (int64_t i = 0; i < k; ++i) {
      const uint8_t terminated = env_.terminated()[i];
      const uint8_t truncated = env_.truncated()[i];
      out.terminated[t * k + i] = terminated;
      out.truncated[t * k + i] = truncated;
      starts_[i] = terminated || truncated;
      if (!terminated && !truncated) continue;
      // An env that failed on an episode's first step (rollout.env_error_limit)
      // ends an episode of no steps: a boundary, but not an episode to report.
      if (env_.episode_lengths()[i] > 0) {
        out.episodes.push_back({static_cast<int32_t>(i), env_.episode_returns()[i],
                                env_.episode_lengths()[i]});
      }
      if (truncated && !terminated) {
        out.final_index.push_back(static_cast<int32_t>(t * k + i));
        if (bytes) {
          const auto final_row = env_.final_observation_bytes().subspan(i * obs_size, obs_size);
          out.final_obs_u8.insert(out.final_obs_u8.end(), final_row.begin(), final_row.end());
        } else {
          const auto final_row = env_.final_observations().subspan(i * obs_size, obs_size);
          out.final_obs.insert(out.final_obs.end(), final_row.begin(), final_row.end());
        }
      }
    }
  }
  if (bytes) {
    const auto last = env_.observation_bytes();
    std::copy(last.begin(), last.end(), out.obs_u8.begin() + T * k * obs_size);
  } else {
    const auto last = env_.observations();
    std::copy(last.begin(), last.end(), out.obs.begin() + T * k * obs_size);
  }
  out.env_errors = env_.env_errors() - errors_before;
  if (out.env_errors > 0) last_env_error_ = env_.last_env_error();
}

}  // namespace rl
