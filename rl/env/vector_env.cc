#include "rl/env/vector_env.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "rl/env/checks.h"
#include "rl/env/rng.h"

namespace rl {
namespace {

std::pair<EnvSpec, std::vector<std::unique_ptr<Env>>> build_envs(const EnvRegistry& registry,
                                                                 std::string_view id,
                                                                 const VectorEnvConfig& config) {
  if (config.num_envs <= 0) {
    throw std::invalid_argument("VectorEnv(" + std::string(id) + "): num_envs must be positive, got " +
                                std::to_string(config.num_envs));
  }
  std::vector<std::unique_ptr<Env>> envs;
  envs.reserve(config.num_envs);
  for (int i = 0; i < config.num_envs; ++i) envs.push_back(registry.make_raw(id, config.env_options));
  EnvSpec spec = registry.spec_of(id, config.env_options, *envs.front());
  return {std::move(spec), std::move(envs)};
}

}  // namespace

VectorEnv::VectorEnv(const EnvRegistry& registry, std::string_view id, const VectorEnvConfig& config)
    : VectorEnv(build_envs(registry, id, config), config) {}

VectorEnv::VectorEnv(std::pair<EnvSpec, std::vector<std::unique_ptr<Env>>> built,
                     const VectorEnvConfig& config)
    : VectorEnv(std::move(built.first), std::move(built.second), config) {}

VectorEnv::VectorEnv(EnvSpec spec, std::vector<std::unique_ptr<Env>> envs,
                     const VectorEnvConfig& config)
    : spec_(std::move(spec)), envs_(std::move(envs)), seed_(config.seed) {
  if (envs_.empty()) throw std::invalid_argument("VectorEnv(" + spec_.id + "): no envs");
  for (size_t i = 0; i < envs_.size(); ++i) {
    if (!envs_[i]) throw std::invalid_argument("VectorEnv: env " + std::to_string(i) + " is null");
    if (!(envs_[i]->observation_space() == spec_.observation_space) ||
        !(envs_[i]->action_space() == spec_.action_space) ||
        envs_[i]->info_keys().size() != spec_.info_keys.size()) {
      throw std::invalid_argument("VectorEnv(" + spec_.id + "): env " + std::to_string(i) +
                                  " has other spaces or info keys than the spec");
    }
  }
  if (spec_.observation_space.is_uint8()) {
    for (size_t i = 0; i < envs_.size(); ++i) {
      auto* byte_env = dynamic_cast<ByteEnv*>(envs_[i].get());
      if (byte_env == nullptr) {
        throw std::invalid_argument("VectorEnv(" + spec_.id + "): env " + std::to_string(i) +
                                    " has uint8 observations but is not an rl::ByteEnv");
      }
      byte_envs_.push_back(byte_env);
    }
  }
  if (config.num_threads <= 0) {
    throw std::invalid_argument("VectorEnv(" + spec_.id + "): num_threads must be >= 1, got " +
                                std::to_string(config.num_threads));
  }
  max_episode_steps_ =
      config.max_episode_steps >= 0 ? config.max_episode_steps : spec_.max_episode_steps;
  spec_.max_episode_steps = max_episode_steps_;
  num_envs_ = static_cast<int>(envs_.size());
  step_label_ = "VectorEnv(" + spec_.id + ").step";
  obs_size_ = static_cast<int>(spec_.observation_space.flat_size());
  action_size_ = static_cast<int>(spec_.action_space.flat_size());
  num_info_ = static_cast<int>(spec_.info_keys.size());

  const size_t k = num_envs_;
  const size_t float_rows = byte_envs_.empty() ? k : 0;
  const size_t byte_rows = k - float_rows;
  obs_.assign(float_rows * obs_size_, 0.f);
  obs_u8_.assign(byte_rows * obs_size_, 0);
  final_obs_u8_.assign(byte_rows * obs_size_, 0);
  rewards_.assign(k, 0.f);
  terminated_.assign(k, 0);
  truncated_.assign(k, 0);
  infos_.assign(k * num_info_, 0.f);
  final_obs_.assign(float_rows * obs_size_, 0.f);
  episode_returns_.assign(k, 0.0);
  episode_lengths_.assign(k, 0);
  episode_info_sums_.assign(k * num_info_, 0.0);
  running_returns_.assign(k, 0.0);
  running_lengths_.assign(k, 0);
  running_info_sums_.assign(k * num_info_, 0.0);
  if (config.env_error_limit < 0) {
    throw std::invalid_argument("VectorEnv(" + spec_.id + "): env_error_limit must be >= 0, got " +
                                std::to_string(config.env_error_limit));
  }
  env_error_limit_ = config.env_error_limit;
  if (env_error_limit_ > 0) {
    last_good_obs_.assign(float_rows * obs_size_, 0.f);
    last_good_obs_u8_.assign(byte_rows * obs_size_, 0);
  }
  failures_in_row_.assign(k, 0);

  start_workers(std::min(config.num_threads, num_envs_));
}

VectorEnv::~VectorEnv() {
  stopping_.store(true, std::memory_order_release);
  generation_.add(1);
  for (auto& worker : workers_) worker.join();
}

void VectorEnv::start_workers(int num_threads) {
  // Contiguous, near-equal chunks: each thread touches its own cache lines.
  chunk_begin_.resize(num_threads + 1);
  for (int c = 0; c <= num_threads; ++c) {
    chunk_begin_[c] = static_cast<int>(static_cast<int64_t>(num_envs_) * c / num_threads);
  }
  chunk_errors_.assign(num_threads, nullptr);
  chunk_episodes_.assign(num_threads, 0);
  chunk_env_errors_.assign(num_threads, 0);
  chunk_last_error_.assign(num_threads, std::string());
  workers_.reserve(num_threads - 1);
  for (int c = 1; c < num_threads; ++c) workers_.emplace_back([this, c] { worker_loop(c); });
}

void VectorEnv::worker_loop(int chunk) {
  // Workers start in the constructor, before any dispatch: generation 0.
  // (Loading it here instead could miss a dispatch that came first.)
  uint32_t seen = 0;
  while (true) {
    seen = generation_.wait_for([seen](uint32_t now) { return now != seen; });
    if (stopping_.load(std::memory_order_acquire)) return;
    run_chunk(chunk);
    pending_.add(static_cast<uint32_t>(-1));
  }
}

void VectorEnv::run_chunk(int chunk) {
  try {
    const bool bytes = !byte_envs_.empty();
    if (discrete_actions_) {
      bytes ? step_range<true, uint8_t>(chunk) : step_range<true, float>(chunk);
    } else {
      bytes ? step_range<false, uint8_t>(chunk) : step_range<false, float>(chunk);
    }
  } catch (...) {
    chunk_errors_[chunk] = std::current_exception();
  }
}

void VectorEnv::dispatch() {
  const int num_workers = static_cast<int>(workers_.size());
  if (num_workers > 0) {
    pending_.store(static_cast<uint32_t>(num_workers));
    generation_.add(1);
  }
  run_chunk(0);
  if (num_workers > 0) pending_.wait_for([](uint32_t now) { return now == 0; });

  for (auto& error : chunk_errors_) {
    if (error) {
      std::exception_ptr first = error;
      for (auto& e : chunk_errors_) e = nullptr;
      std::rethrow_exception(first);
    }
  }
  total_steps_ += num_envs_;
  for (auto& n : chunk_episodes_) {
    total_episodes_ += n;
    n = 0;
  }
  for (size_t c = 0; c < chunk_env_errors_.size(); ++c) {
    if (chunk_env_errors_[c] == 0) continue;
    env_errors_ += chunk_env_errors_[c];
    chunk_env_errors_[c] = 0;
    last_env_error_ = chunk_last_error_[c];
  }
}

void VectorEnv::reset(std::optional<uint64_t> seed) {
  if (seed) seed_ = *seed;
  const bool reseed = seed.has_value() || !was_reset_;
  for (int i = 0; i < num_envs_; ++i) {
    const size_t row = static_cast<size_t>(i) * obs_size_;
    const std::optional<uint64_t> env_seed =
        reseed ? std::optional<uint64_t>(derive_seed(seed_, i)) : std::nullopt;
    try {
      if (byte_envs_.empty()) {
        reset_env(i, env_seed, std::span<float>(obs_.data() + row, obs_size_));
      } else {
        reset_env(i, env_seed, std::span<uint8_t>(obs_u8_.data() + row, obs_size_));
      }
    } catch (const std::exception& e) {
      throw std::runtime_error("VectorEnv(" + spec_.id + "): env " + std::to_string(i) +
                               " failed in reset: " + e.what());
    }
  }
  std::fill(rewards_.begin(), rewards_.end(), 0.f);
  std::fill(terminated_.begin(), terminated_.end(), 0);
  std::fill(truncated_.begin(), truncated_.end(), 0);
  std::fill(infos_.begin(), infos_.end(), 0.f);
  std::fill(running_returns_.begin(), running_returns_.end(), 0.0);
  std::fill(running_lengths_.begin(), running_lengths_.end(), 0);
  std::fill(running_info_sums_.begin(), running_info_sums_.end(), 0.0);
  if (!last_good_obs_.empty()) std::copy(obs_.begin(), obs_.end(), last_good_obs_.begin());
  if (!last_good_obs_u8_.empty()) std::copy(obs_u8_.begin(), obs_u8_.end(), last_good_obs_u8_.begin());
  was_reset_ = true;
}

void VectorEnv::step(std::span<const int64_t> actions) {
  if (!was_reset_) throw std::logic_error("VectorEnv(" + spec_.id + ").step: call reset() first");
  check_discrete_actions(spec_.action_space, actions, num_envs_, step_label_);
  discrete_actions_ = actions.data();
  box_actions_ = nullptr;
  dispatch();
}

void VectorEnv::step(std::span<const float> actions) {
  if (!was_reset_) throw std::logic_error("VectorEnv(" + spec_.id + ").step: call reset() first");
  check_box_actions(spec_.action_space, actions, num_envs_, step_label_);
  discrete_actions_ = nullptr;
  box_actions_ = actions.data();
  dispatch();
}

template <>
VectorEnv::ObsArrays<float> VectorEnv::arrays<float>() {
  return {obs_, final_obs_, last_good_obs_};
}
template <>
VectorEnv::ObsArrays<uint8_t> VectorEnv::arrays<uint8_t>() {
  return {obs_u8_, final_obs_u8_, last_good_obs_u8_};
}

template <bool kDiscrete, typename T>
void VectorEnv::step_range(int chunk) {
  const ObsArrays<T> rows = arrays<T>();
  const int begin = chunk_begin_[chunk];
  const int end = chunk_begin_[chunk + 1];
  const size_t obs_size = obs_size_;
  const size_t num_info = num_info_;
  const bool recover = env_error_limit_ > 0;
  int32_t finished = 0;
  for (int i = begin; i < end; ++i) {
    const Action action = kDiscrete ? Action::discrete(discrete_actions_[i])
                                    : Action::box({box_actions_ + static_cast<size_t>(i) * action_size_,
                                                   static_cast<size_t>(action_size_)});
    T* obs_row = rows.obs.data() + i * obs_size;
    float* info_row = infos_.data() + i * num_info;
    StepResult result;
    if (!recover) {
      try {
        result = step_env(i, action, std::span<T>(obs_row, obs_size), {info_row, num_info});
      } catch (const std::exception& e) {
        throw std::runtime_error("VectorEnv(" + spec_.id + "): env " + std::to_string(i) +
                                 " failed in step: " + e.what());
      }
    } else {
      const char* failure = nullptr;
      std::string detail;
      try {
        result = step_env(i, action, std::span<T>(obs_row, obs_size), {info_row, num_info});
        if (!std::isfinite(result.reward)) {
          failure = "step";
          detail = "non-finite reward " + std::to_string(result.reward);
        } else if constexpr (std::is_same_v<T, float>) {
          for (size_t j = 0; j < obs_size; ++j) {
            if (!std::isfinite(obs_row[j])) {
              failure = "step";
              detail = "non-finite observation element " + std::to_string(j);
              break;
            }
          }
        }
      } catch (const std::exception& e) {
        failure = "step";
        detail = e.what();
      }
      if (failure != nullptr) {
        // The episode ends here, cut short: truncated, from the last good
        // observation, with nothing learnt from the failed step.
        record_failure(i, chunk, failure, detail);
        rewards_[i] = 0.f;
        terminated_[i] = 0;
        truncated_[i] = 1;
        std::fill_n(info_row, num_info, 0.f);
        const T* good = rows.last_good.data() + i * obs_size;
        std::copy_n(good, obs_size, obs_row);
        ++finished;
        end_episode(i, chunk, good);
        continue;
      }
      failures_in_row_[i] = 0;
    }
    running_returns_[i] += result.reward;
    ++running_lengths_[i];
    double* info_sum = running_info_sums_.data() + i * num_info;
    for (size_t j = 0; j < num_info; ++j) info_sum[j] += info_row[j];

    const bool truncated =
        result.truncated || (max_episode_steps_ > 0 && running_lengths_[i] >= max_episode_steps_);
    rewards_[i] = static_cast<float>(result.reward);
    terminated_[i] = result.terminated;
    truncated_[i] = truncated;
    if (result.terminated || truncated) {
      ++finished;
      end_episode(i, chunk, obs_row);
    } else if (recover) {
      std::copy_n(obs_row, obs_size, rows.last_good.data() + i * obs_size);
    }
  }
  chunk_episodes_[chunk] += finished;
}

template <typename T>
bool VectorEnv::end_episode(int i, int chunk, const T* final_obs) {
  const ObsArrays<T> rows = arrays<T>();
  const size_t obs_size = obs_size_;
  const size_t num_info = num_info_;
  T* obs_row = rows.obs.data() + i * obs_size;
  double* info_sum = running_info_sums_.data() + i * num_info;
  std::copy_n(final_obs, obs_size, rows.final_obs.data() + i * obs_size);
  episode_returns_[i] = running_returns_[i];
  episode_lengths_[i] = running_lengths_[i];
  std::copy_n(info_sum, num_info, episode_info_sums_.data() + i * num_info);
  std::fill_n(info_sum, num_info, 0.0);
  running_returns_[i] = 0.0;
  running_lengths_[i] = 0;
  // A failed reset is retried (each try counted) until the env resets or
  // reaches its limit of failures in a row, which throws.
  while (true) {
    try {
      reset_env(i, std::nullopt, std::span<T>(obs_row, obs_size));
      if (env_error_limit_ == 0) return true;
      bool finite = true;
      if constexpr (std::is_same_v<T, float>) {
        for (size_t j = 0; j < obs_size && finite; ++j) finite = std::isfinite(obs_row[j]);
      }
      if (finite) {
        std::copy_n(obs_row, obs_size, rows.last_good.data() + i * obs_size);
        return true;
      }
      record_failure(i, chunk, "reset", "non-finite first observation");
    } catch (const std::exception& e) {
      if (env_error_limit_ == 0) {
        throw std::runtime_error("VectorEnv(" + spec_.id + "): env " + std::to_string(i) +
                                 " failed in reset: " + e.what());
      }
      record_failure(i, chunk, "reset", e.what());
    }
  }
}

void VectorEnv::record_failure(int i, int chunk, const char* where, const std::string& what) {
  const std::string message = "VectorEnv(" + spec_.id + "): env " + std::to_string(i) + " failed in " +
                              where + ": " + what;
  ++chunk_env_errors_[chunk];
  chunk_last_error_[chunk] = message;
  if (++failures_in_row_[i] >= env_error_limit_) {
    throw std::runtime_error(message + " (" + std::to_string(failures_in_row_[i]) +
                             " failures in a row, the limit; giving up on this env)");
  }
}

}  // namespace rl
