#include "envs/classic/acrobot.h"

#include <gtest/gtest.h>

#include <array>
#include <numbers>

#include "tests/envs/env_test_util.h"

namespace rl::envs {
namespace {

using testing::builtin_registry;

TEST(AcrobotTest, SpecMatchesGymnasium) {
  const EnvSpec spec = builtin_registry().spec("Acrobot-v1");
  EXPECT_EQ(spec.max_episode_steps, 500);
  EXPECT_EQ(spec.reward_threshold, -100.0);
  EXPECT_EQ(spec.action_space, Space::discrete(3));
  EXPECT_FLOAT_EQ(spec.observation_space.high()[4], static_cast<float>(4 * std::numbers::pi));
  EXPECT_FLOAT_EQ(spec.observation_space.high()[5], static_cast<float>(9 * std::numbers::pi));
}

// Hanging straight down at rest with torque +1:
// d1 = 0.25 + (1 + 0.25 + 1) + 2 = 4.5; d2 = (0.25 + 0.5) + 1 = 1.75;
// phi1 = phi2 = 0 (cos(-pi/2) = 0);
// ddtheta2 = 1 / (0.25 + 1 - 1.75^2 / 4.5) = 1.7560976;
// ddtheta1 = -(1.75 * ddtheta2) / 4.5 = -0.6829268.
TEST(AcrobotTest, DerivativesMatchHandComputedBookDynamics) {
  const auto d = Acrobot::derivatives({0, 0, 0, 0}, 1.0);
  EXPECT_EQ(d[0], 0.0);
  EXPECT_EQ(d[1], 0.0);
  EXPECT_NEAR(d[2], -0.6829268, 1e-6);
  EXPECT_NEAR(d[3], 1.7560976, 1e-6);

  // Link 1 horizontal (theta1 = pi/2), at rest, no torque: gravity pulls both
  // links; phi2 = 0.5 * 9.8 * cos(0) = 4.9, phi1 = 1.5 * 9.8 + 4.9 = 19.6.
  const auto g = Acrobot::derivatives({std::numbers::pi / 2, 0, 0, 0}, 0.0);
  const double d1 = 4.5, d2 = 1.75, phi1 = 19.6, phi2 = 4.9;
  const double dd2 = (d2 / d1 * phi1 - phi2) / (1.25 - d2 * d2 / d1);
  EXPECT_NEAR(g[3], dd2, 1e-9);
  EXPECT_NEAR(g[2], -(d2 * dd2 + phi1) / d1, 1e-9);
}

TEST(AcrobotTest, StepIsOneRk4StepOfTheDerivatives) {
  Acrobot env(EnvOptions{});
  std::array<float, 6> obs{};
  env.reset(0, obs);
  const Acrobot::State s0{0.3, -0.2, 0.5, -1.0};
  env.set_state(s0);
  const StepResult r = env.step(Action::discrete(2), obs, {});

  const double h = 0.2;
  const std::array<double, 4> y{s0.theta1, s0.theta2, s0.dtheta1, s0.dtheta2};
  auto shifted = [&](const std::array<double, 4>& k, double a) {
    return std::array<double, 4>{y[0] + a * k[0], y[1] + a * k[1], y[2] + a * k[2], y[3] + a * k[3]};
  };
  const auto k1 = Acrobot::derivatives(y, 1.0);
  const auto k2 = Acrobot::derivatives(shifted(k1, h / 2), 1.0);
  const auto k3 = Acrobot::derivatives(shifted(k2, h / 2), 1.0);
  const auto k4 = Acrobot::derivatives(shifted(k3, h), 1.0);
  EXPECT_NEAR(env.state().theta1, y[0] + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]), 1e-12);
  EXPECT_NEAR(env.state().dtheta2, y[3] + h / 6 * (k1[3] + 2 * k2[3] + 2 * k3[3] + k4[3]), 1e-12);
  EXPECT_EQ(r.reward, -1.0);
  EXPECT_FALSE(r.terminated);
  EXPECT_FLOAT_EQ(obs[0], static_cast<float>(std::cos(env.state().theta1)));
  EXPECT_FLOAT_EQ(obs[3], static_cast<float>(std::sin(env.state().theta2)));
}

TEST(AcrobotTest, RestingStraightDownStaysThere) {
  Acrobot env(EnvOptions{});
  std::array<float, 6> obs{};
  env.reset(0, obs);
  env.set_state({0, 0, 0, 0});
  for (int i = 0; i < 10; ++i) env.step(Action::discrete(1), obs, {});
  EXPECT_NEAR(env.state().theta1, 0.0, 1e-12);
  EXPECT_NEAR(env.state().dtheta2, 0.0, 1e-12);
}

TEST(AcrobotTest, VelocitiesAreClippedAndAnglesWrapped) {
  Acrobot env(EnvOptions{});
  std::array<float, 6> obs{};
  env.reset(0, obs);
  env.set_state({3.1, 0.0, 100.0, -100.0});
  env.step(Action::discrete(1), obs, {});
  EXPECT_EQ(std::abs(env.state().dtheta1), Acrobot::kMaxVel1);
  EXPECT_EQ(std::abs(env.state().dtheta2), Acrobot::kMaxVel2);
  EXPECT_LE(std::abs(env.state().theta1), std::numbers::pi);
  EXPECT_LE(std::abs(env.state().theta2), std::numbers::pi);
}

// Both links pointing up: the tip is 2 link lengths above the pivot (> 1).
TEST(AcrobotTest, TerminatesWithZeroRewardWhenTheTipIsHigh) {
  Acrobot env(EnvOptions{});
  std::array<float, 6> obs{};
  env.reset(0, obs);
  env.set_state({std::numbers::pi - 0.01, 0.0, 0.0, 0.0});
  const StepResult r = env.step(Action::discrete(1), obs, {});
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 0.0);
}

TEST(AcrobotTest, ResetDrawsFromUniformPlusMinus01) {
  Acrobot env(EnvOptions{});
  std::array<float, 6> obs{};
  for (uint64_t seed = 0; seed < 100; ++seed) {
    env.reset(seed, obs);
    EXPECT_LE(std::abs(env.state().theta1), 0.1);
    EXPECT_LE(std::abs(env.state().dtheta2), 0.1);
    EXPECT_FLOAT_EQ(obs[4], static_cast<float>(env.state().dtheta1));
  }
}

TEST(AcrobotTest, Deterministic) { testing::expect_deterministic(builtin_registry(), "Acrobot-v1"); }

TEST(AcrobotTest, ObservationsInBounds) {
  testing::expect_observations_in_bounds(builtin_registry(), "Acrobot-v1");
}

TEST(AcrobotTest, VectorEnvStress) { testing::stress_vector_env(builtin_registry(), "Acrobot-v1", 600); }

}  // namespace
}  // namespace rl::envs
