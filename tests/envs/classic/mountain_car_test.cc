#include "envs/classic/mountain_car.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "tests/envs/env_test_util.h"

namespace rl::envs {
namespace {

using testing::builtin_registry;

TEST(MountainCarTest, SpecMatchesGymnasium) {
  const EnvSpec spec = builtin_registry().spec("MountainCar-v0");
  EXPECT_EQ(spec.max_episode_steps, 200);
  EXPECT_EQ(spec.reward_threshold, -110.0);
  EXPECT_EQ(spec.action_space, Space::discrete(3));
  EXPECT_EQ(spec.observation_space, Space::box({2}, {-1.2f, -0.07f}, {0.6f, 0.07f}));
  const EnvSpec cont = builtin_registry().spec("MountainCarContinuous-v0");
  EXPECT_EQ(cont.max_episode_steps, 999);
  EXPECT_EQ(cont.reward_threshold, 90.0);
  EXPECT_EQ(cont.action_space, Space::box({1}, -1.f, 1.f));
}

// x = -0.5, v = 0, accelerate right: v' = 0.001 - 0.0025 cos(-1.5) = 0.000823157;
// x' = -0.5 + v' = -0.499176843.
TEST(MountainCarTest, StepMatchesHandComputedDynamics) {
  MountainCar env(EnvOptions{{"goal_velocity", "0"}});
  std::array<float, 2> obs{};
  env.reset(0, obs);
  env.set_state({-0.5, 0.0});
  const StepResult r = env.step(Action::discrete(2), obs, {});
  EXPECT_NEAR(env.state().velocity, 0.000823157, 1e-9);
  EXPECT_NEAR(env.state().position, -0.499176843, 1e-9);
  EXPECT_EQ(r.reward, -1.0);
  EXPECT_FALSE(r.terminated);
}

TEST(MountainCarTest, LeftWallIsInelasticAndRightSideIsNot) {
  MountainCar env(EnvOptions{{"goal_velocity", "0"}});
  std::array<float, 2> obs{};
  env.reset(0, obs);
  env.set_state({-1.2, -0.01});
  env.step(Action::discrete(0), obs, {});
  EXPECT_EQ(env.state().position, -1.2);
  EXPECT_EQ(env.state().velocity, 0.0);
  env.set_state({0.0, 0.08});  // above the speed limit: clipped to 0.07
  env.step(Action::discrete(1), obs, {});
  EXPECT_LE(env.state().velocity, 0.07);
}

// x = 0.49, v = 0.02, no push: v' = 0.02 - 0.0025 cos(1.47) = 0.01974844;
// x' = 0.50974844 >= 0.5 with v' >= 0: the goal.
TEST(MountainCarTest, TerminatesAtTheGoal) {
  MountainCar env(EnvOptions{{"goal_velocity", "0"}});
  std::array<float, 2> obs{};
  env.reset(0, obs);
  env.set_state({0.49, 0.02});
  const StepResult r = env.step(Action::discrete(1), obs, {});
  EXPECT_NEAR(env.state().velocity, 0.01974844, 1e-8);
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, -1.0);
}

TEST(MountainCarTest, ResetPositionUniformInMinus06ToMinus04) {
  MountainCar env(EnvOptions{{"goal_velocity", "0"}});
  std::array<float, 2> obs{};
  for (uint64_t seed = 0; seed < 100; ++seed) {
    env.reset(seed, obs);
    EXPECT_GE(obs[0], -0.6f);
    EXPECT_LE(obs[0], -0.4f);
    EXPECT_EQ(obs[1], 0.f);
  }
}

TEST(MountainCarTest, RandomPolicyIsTruncatedAt200) {
  const auto run = testing::random_rollout(builtin_registry(), "MountainCar-v0", 2, 1, 1, 400);
  for (size_t t = 0; t < run.truncated.size(); ++t) {
    EXPECT_EQ(run.truncated[t], (t / 2 + 1) % 200 == 0) << "step " << t / 2;
  }
}

TEST(MountainCarContinuousTest, RewardUsesTheUnclippedActionAndGoalBonus) {
  MountainCarContinuous env(EnvOptions{{"goal_velocity", "0"}});
  std::array<float, 2> obs{};
  env.reset(0, obs);
  env.set_state({-0.5, 0.0});
  const float a[1] = {2.f};
  StepResult r = env.step(Action::box(a), obs, {});
  EXPECT_NEAR(r.reward, -0.1 * 4.0, 1e-12);
  // The force is clipped to 1: v' = 0.0015 - 0.0025 cos(-1.5).
  EXPECT_NEAR(env.state().velocity, 0.0015 - 0.0025 * std::cos(-1.5), 1e-8);

  env.set_state({0.44, 0.02});
  const float b[1] = {0.5f};
  r = env.step(Action::box(b), obs, {});
  EXPECT_TRUE(r.terminated);  // goal at 0.45 for this variant
  EXPECT_NEAR(r.reward, 100.0 - 0.1 * 0.25, 1e-9);
}

TEST(MountainCarContinuousTest, StateIsStoredAsFloat32) {
  MountainCarContinuous env(EnvOptions{{"goal_velocity", "0"}});
  std::array<float, 2> obs{};
  env.reset(0, obs);
  env.set_state({-0.5, 0.0});
  const float a[1] = {0.3f};
  env.step(Action::box(a), obs, {});
  EXPECT_EQ(env.state().position, static_cast<double>(obs[0]));
  EXPECT_EQ(env.state().velocity, static_cast<double>(obs[1]));
}

TEST(MountainCarTest, Deterministic) {
  testing::expect_deterministic(builtin_registry(), "MountainCar-v0");
  testing::expect_deterministic(builtin_registry(), "MountainCarContinuous-v0");
}

TEST(MountainCarTest, ObservationsInBounds) {
  testing::expect_observations_in_bounds(builtin_registry(), "MountainCar-v0");
  testing::expect_observations_in_bounds(builtin_registry(), "MountainCarContinuous-v0");
}

TEST(MountainCarTest, VectorEnvStress) {
  testing::stress_vector_env(builtin_registry(), "MountainCar-v0", 400);
  testing::stress_vector_env(builtin_registry(), "MountainCarContinuous-v0", 1000);
}

}  // namespace
}  // namespace rl::envs
