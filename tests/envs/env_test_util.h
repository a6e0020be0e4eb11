// Checks every env test runs: determinism, observation bounds, and a stress
// run through the VectorEnv. Used by tests/envs/*/<env>_test.cc.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "rl/env/evaluation.h"
#include "rl/env/registry.h"
#include "rl/env/vector_env.h"

namespace rl::testing {

// The registry with every built-in env.
const EnvRegistry& builtin_registry();

// Everything a seeded random rollout produced, for comparing runs.
struct Rollout {
  std::vector<float> observations;
  std::vector<float> final_observations;
  std::vector<float> rewards;
  std::vector<uint8_t> terminated;
  std::vector<uint8_t> truncated;
  int64_t episodes = 0;
};

// Steps a VectorEnv of `num_envs` envs for `steps` steps with random actions.
Rollout random_rollout(const EnvRegistry& registry, const std::string& id, int num_envs,
                       int num_threads, uint64_t seed, int steps);

// Same seed, same trajectory, whatever the thread count; another seed, another one.
void expect_deterministic(const EnvRegistry& registry, const std::string& id, int steps = 600);

// Every observation (reset, step and final) inside the observation space's
// bounds and finite; every reward finite.
void expect_observations_in_bounds(const EnvRegistry& registry, const std::string& id,
                                   int steps = 3000);

// A long random run of many envs on several threads: episodes finish,
// counters add up, nothing throws.
void stress_vector_env(const EnvRegistry& registry, const std::string& id, int steps = 2000);

}  // namespace rl::testing
