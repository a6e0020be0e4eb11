#include "rl/env/evaluation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace rl {

RandomPolicy::RandomPolicy(const Space& action_space, uint64_t seed)
    : space_(action_space), rng_(seed) {}

void RandomPolicy::act(std::span<const float>, std::span<int64_t> discrete, std::span<float> box) {
  if (space_.is_discrete()) {
    for (auto& a : discrete) a = rng_.integer(0, space_.n());
    return;
  }
  const auto low = space_.low();
  const auto high = space_.high();
  const size_t width = low.size();
  for (size_t i = 0; i < box.size(); ++i) {
    const double lo = low[i % width], hi = high[i % width];
    const bool has_low = std::isfinite(lo), has_high = std::isfinite(hi);
    double value;
    if (has_low && has_high) {
      value = rng_.uniform(lo, hi);
    } else if (has_low) {
      value = lo - std::log(1.0 - rng_.uniform());
    } else if (has_high) {
      value = hi + std::log(1.0 - rng_.uniform());
    } else {
      value = rng_.normal();
    }
    box[i] = static_cast<float>(std::clamp(value, lo, hi));
  }
}

Summary Summary::of(std::span<const double> values) {
  Summary s;
  if (values.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan, nan};
  }
  double sum = 0;
  s.min = values[0];
  s.max = values[0];
  for (double v : values) {
    sum += v;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
  }
  s.mean = sum / static_cast<double>(values.size());
  double squares = 0;
  for (double v : values) squares += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(squares / static_cast<double>(values.size()));
  return s;
}

EpisodeStatistics run_episodes(VectorEnv& env, BatchPolicy& policy, int episodes, uint64_t seed,
                               const std::function<bool()>& stop) {
  if (episodes <= 0) {
    throw std::invalid_argument("run_episodes: episodes must be positive, got " +
                                std::to_string(episodes));
  }
  const int k = env.num_envs();
  const bool discrete = env.spec().action_space.is_discrete();
  std::vector<int64_t> discrete_actions(discrete ? k : 0);
  std::vector<float> box_actions(discrete ? 0 : k * env.spec().action_size());
  std::vector<int> wanted(k), done(k, 0);
  for (int i = 0; i < k; ++i) wanted[i] = (episodes + i) / k;

  std::vector<float> widened;  // byte observations as floats, for the policy
  std::vector<uint8_t> starts(k, 1);
  EpisodeStatistics stats;
  env.reset(seed);
  while (static_cast<int>(stats.returns.size()) < episodes) {
    if (stop && stop()) break;
    policy.episodes_started(starts);
    if (env.byte_observations()) {
      const auto bytes = env.observation_bytes();
      widened.assign(bytes.begin(), bytes.end());
      policy.act(widened, discrete_actions, box_actions);
    } else {
      policy.act(env.observations(), discrete_actions, box_actions);
    }
    if (discrete) {
      env.step(std::span<const int64_t>(discrete_actions));
    } else {
      env.step(std::span<const float>(box_actions));
    }
    policy.stepped(env.rewards());
    for (int i = 0; i < k; ++i) starts[i] = env.terminated()[i] || env.truncated()[i];
    for (int i = 0; i < k; ++i) {
      if ((env.terminated()[i] || env.truncated()[i]) && done[i] < wanted[i]) {
        ++done[i];
        stats.returns.push_back(env.episode_returns()[i]);
        stats.lengths.push_back(env.episode_lengths()[i]);
      }
    }
  }
  return stats;
}

}  // namespace rl
