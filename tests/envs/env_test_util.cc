#include "tests/envs/env_test_util.h"

#include "envs/builtin.h"

namespace rl::testing {

const EnvRegistry& builtin_registry() {
  static const EnvRegistry registry = [] {
    EnvRegistry r;
    envs::register_builtin_envs(r);
    return r;
  }();
  return registry;
}

Rollout random_rollout(const EnvRegistry& registry, const std::string& id, int num_envs,
                       int num_threads, uint64_t seed, int steps) {
  VectorEnvConfig config;
  config.num_envs = num_envs;
  config.num_threads = num_threads;
  config.seed = seed;
  VectorEnv env(registry, id, config);
  RandomPolicy policy(env.spec().action_space, seed + 17);
  const bool discrete = env.spec().action_space.is_discrete();
  std::vector<int64_t> discrete_actions(discrete ? num_envs : 0);
  std::vector<float> box_actions(discrete ? 0 : num_envs * env.spec().action_size());

  Rollout out;
  env.reset();
  auto append = [](auto& to, auto from) { to.insert(to.end(), from.begin(), from.end()); };
  // Byte observations (MinAtar) are compared and bounded as floats.
  std::vector<float> widened;
  auto observations = [&]() -> std::span<const float> {
    if (!env.byte_observations()) return env.observations();
    widened.assign(env.observation_bytes().begin(), env.observation_bytes().end());
    return widened;
  };
  append(out.observations, observations());
  for (int t = 0; t < steps; ++t) {
    policy.act(observations(), discrete_actions, box_actions);
    if (discrete) {
      env.step(std::span<const int64_t>(discrete_actions));
    } else {
      env.step(std::span<const float>(box_actions));
    }
    append(out.observations, observations());
    append(out.rewards, env.rewards());
    append(out.terminated, env.terminated());
    append(out.truncated, env.truncated());
    const int64_t obs_size = env.spec().obs_size();
    for (int i = 0; i < num_envs; ++i) {
      if (env.terminated()[i] || env.truncated()[i]) {
        if (env.byte_observations()) {
          append(out.final_observations, env.final_observation_bytes().subspan(i * obs_size, obs_size));
        } else {
          append(out.final_observations, env.final_observations().subspan(i * obs_size, obs_size));
        }
      }
    }
  }
  out.episodes = env.total_episodes();
  return out;
}

void expect_deterministic(const EnvRegistry& registry, const std::string& id, int steps) {
  const Rollout a = random_rollout(registry, id, 5, 1, 42, steps);
  const Rollout b = random_rollout(registry, id, 5, 1, 42, steps);
  const Rollout threaded = random_rollout(registry, id, 5, 3, 42, steps);
  const Rollout other = random_rollout(registry, id, 5, 1, 43, steps);
  EXPECT_EQ(a.observations, b.observations) << id << ": same seed, other observations";
  EXPECT_EQ(a.rewards, b.rewards);
  EXPECT_EQ(a.terminated, b.terminated);
  EXPECT_EQ(a.truncated, b.truncated);
  EXPECT_EQ(a.final_observations, b.final_observations);
  EXPECT_EQ(a.observations, threaded.observations) << id << ": 3 threads differ from 1";
  EXPECT_EQ(a.rewards, threaded.rewards);
  EXPECT_EQ(a.final_observations, threaded.final_observations);
  EXPECT_NE(a.observations, other.observations) << id << ": seeds 42 and 43 gave the same run";
}

void expect_observations_in_bounds(const EnvRegistry& registry, const std::string& id, int steps) {
  const EnvSpec spec = registry.spec(id);
  const Rollout run = random_rollout(registry, id, 4, 1, 7, steps);
  const auto low = spec.observation_space.low();
  const auto high = spec.observation_space.high();
  const size_t width = low.size();
  auto check = [&](const std::vector<float>& values, const char* what) {
    for (size_t i = 0; i < values.size(); ++i) {
      const size_t j = i % width;
      ASSERT_TRUE(std::isfinite(values[i])) << id << " " << what << " element " << j;
      ASSERT_GE(values[i], low[j]) << id << " " << what << " element " << j;
      ASSERT_LE(values[i], high[j]) << id << " " << what << " element " << j;
    }
  };
  check(run.observations, "observation");
  check(run.final_observations, "final observation");
  for (float r : run.rewards) ASSERT_TRUE(std::isfinite(r)) << id;
}

void stress_vector_env(const EnvRegistry& registry, const std::string& id, int steps) {
  const int k = 64;
  const Rollout run = random_rollout(registry, id, k, 2, 3, steps);
  EXPECT_EQ(run.rewards.size(), static_cast<size_t>(k) * steps);
  int64_t done = 0;
  for (size_t i = 0; i < run.terminated.size(); ++i) done += run.terminated[i] || run.truncated[i];
  EXPECT_EQ(done, run.episodes);
  EXPECT_EQ(run.final_observations.size(),
            static_cast<size_t>(done * registry.spec(id).obs_size()));
  const int limit = registry.find(id).max_episode_steps;
  if (limit > 0 && steps >= limit) {
    EXPECT_GE(run.episodes, k) << id << ": every env should finish an episode within the limit";
  }
}

}  // namespace rl::testing
