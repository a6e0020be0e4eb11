#include "envs/classic/pendulum.h"

#include <gtest/gtest.h>

#include <array>
#include <numbers>

#include "tests/envs/env_test_util.h"

namespace rl::envs {
namespace {

using testing::builtin_registry;

EnvOptions defaults() { return builtin_registry().find("Pendulum-v1").default_options; }

StepResult step_with(Pendulum& env, float torque, std::span<float> obs) {
  const float u[1] = {torque};
  return env.step(Action::box(u), obs, {});
}

TEST(PendulumTest, SpecMatchesGymnasium) {
  const EnvSpec spec = builtin_registry().spec("Pendulum-v1");
  EXPECT_EQ(spec.max_episode_steps, 200);
  EXPECT_FALSE(spec.reward_threshold.has_value());
  EXPECT_EQ(spec.action_space, Space::box({1}, -2.f, 2.f));
  EXPECT_EQ(spec.observation_space, Space::box({3}, {-1, -1, -8}, {1, 1, 8}));
}

// theta = 0.5, theta_dot = 1, u = 2: cost = 0.25 + 0.1 + 0.004 = 0.354;
// theta_dot' = 1 + (3*10/2 * sin 0.5 + 3 * 2) * 0.05 = 1.6595691;
// theta' = 0.5 + 1.6595691 * 0.05 = 0.5829785 (the new velocity moves the angle).
TEST(PendulumTest, StepMatchesHandComputedDynamicsAndCost) {
  Pendulum env(defaults());
  std::array<float, 3> obs{};
  env.reset(0, obs);
  env.set_state({0.5, 1.0});
  const StepResult r = step_with(env, 2.f, obs);
  EXPECT_NEAR(r.reward, -0.354, 1e-12);
  EXPECT_NEAR(env.state().theta_dot, 1.0 + (15.0 * std::sin(0.5) + 6.0) * 0.05, 1e-12);
  EXPECT_NEAR(env.state().theta_dot, 1.6595691, 1e-6);
  EXPECT_NEAR(env.state().theta, 0.5829785, 1e-6);
  EXPECT_FLOAT_EQ(obs[0], static_cast<float>(std::cos(env.state().theta)));
  EXPECT_FLOAT_EQ(obs[1], static_cast<float>(std::sin(env.state().theta)));
  EXPECT_FALSE(r.terminated);
}

TEST(PendulumTest, TorqueIsClippedForDynamicsAndCost) {
  Pendulum a(defaults()), b(defaults());
  std::array<float, 3> obs{};
  a.reset(0, obs);
  b.reset(0, obs);
  a.set_state({0.5, 1.0});
  b.set_state({0.5, 1.0});
  EXPECT_EQ(step_with(a, 7.f, obs).reward, step_with(b, 2.f, obs).reward);
  EXPECT_EQ(a.state().theta, b.state().theta);
}

TEST(PendulumTest, HangingDownCostsPiSquaredAndVelocityIsCapped) {
  Pendulum env(defaults());
  std::array<float, 3> obs{};
  env.reset(0, obs);
  env.set_state({std::numbers::pi, 0.0});
  EXPECT_NEAR(step_with(env, 0.f, obs).reward, -std::numbers::pi * std::numbers::pi, 1e-9);
  env.set_state({1.0, 7.99});
  step_with(env, 2.f, obs);
  EXPECT_EQ(env.state().theta_dot, 8.0);
  EXPECT_EQ(obs[2], 8.f);
}

TEST(PendulumTest, AngleNormalizationFollowsPythonModulo) {
  EXPECT_NEAR(Pendulum::normalize_angle(3 * std::numbers::pi / 2), -std::numbers::pi / 2, 1e-12);
  EXPECT_NEAR(Pendulum::normalize_angle(-3 * std::numbers::pi / 2), std::numbers::pi / 2, 1e-12);
  EXPECT_NEAR(Pendulum::normalize_angle(0.25), 0.25, 1e-15);
  EXPECT_NEAR(Pendulum::normalize_angle(0.25 + 10 * std::numbers::pi), 0.25, 1e-12);
}

TEST(PendulumTest, GravityOptionChangesTheDynamics) {
  Pendulum moon(EnvOptions{{"g", "1.62"}});
  std::array<float, 3> obs{};
  moon.reset(0, obs);
  moon.set_state({0.5, 0.0});
  step_with(moon, 0.f, obs);
  EXPECT_NEAR(moon.state().theta_dot, 1.5 * 1.62 * std::sin(0.5) * 0.05, 1e-12);
}

TEST(PendulumTest, TruncatedAtStep200NeverTerminated) {
  const auto run = testing::random_rollout(builtin_registry(), "Pendulum-v1", 1, 1, 5, 400);
  for (size_t t = 0; t < run.truncated.size(); ++t) {
    EXPECT_EQ(run.truncated[t], (t + 1) % 200 == 0) << "step " << t;
    EXPECT_EQ(run.terminated[t], 0);
  }
}

TEST(PendulumTest, Deterministic) { testing::expect_deterministic(builtin_registry(), "Pendulum-v1"); }

TEST(PendulumTest, ObservationsInBounds) {
  testing::expect_observations_in_bounds(builtin_registry(), "Pendulum-v1");
}

TEST(PendulumTest, VectorEnvStress) { testing::stress_vector_env(builtin_registry(), "Pendulum-v1", 400); }

}  // namespace
}  // namespace rl::envs
