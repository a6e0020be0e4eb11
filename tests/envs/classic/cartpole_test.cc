#include "envs/classic/cartpole.h"

#include <gtest/gtest.h>

#include <array>

#include "rl/env/registry.h"
#include "tests/envs/env_test_util.h"

namespace rl::envs {
namespace {

using testing::builtin_registry;

EnvOptions defaults() { return builtin_registry().find("CartPole-v1").default_options; }

TEST(CartPoleTest, SpecMatchesGymnasium) {
  const EnvSpec spec = builtin_registry().spec("CartPole-v1");
  EXPECT_EQ(spec.max_episode_steps, 500);
  EXPECT_EQ(spec.reward_threshold, 475.0);
  EXPECT_EQ(spec.action_space, Space::discrete(2));
  ASSERT_EQ(spec.observation_space.shape(), std::vector<int64_t>{4});
  EXPECT_FLOAT_EQ(spec.observation_space.high()[0], 4.8f);
  EXPECT_FLOAT_EQ(spec.observation_space.high()[2], 0.41887903f);
  EXPECT_TRUE(std::isinf(spec.observation_space.high()[1]));
}

// From rest, pushing right: temp = 10 / 1.1 = 9.090909;
// theta_acc = -temp / (0.5 * (4/3 - 0.1/1.1)) = -9.090909 / 0.621212 = -14.634146;
// x_acc = temp - 0.05 * theta_acc / 1.1 = 9.756098. Euler with tau = 0.02
// moves only the velocities, since the old velocities were 0.
TEST(CartPoleTest, FirstStepFromRestMatchesHandComputedDynamics) {
  CartPole env(defaults());
  std::array<float, 4> obs{};
  env.reset(1, obs);
  env.set_state({0, 0, 0, 0});
  const StepResult r = env.step(Action::discrete(1), obs, {});
  EXPECT_DOUBLE_EQ(env.state().x, 0.0);
  EXPECT_NEAR(env.state().x_dot, 0.02 * 9.756098, 1e-6);
  EXPECT_DOUBLE_EQ(env.state().theta, 0.0);
  EXPECT_NEAR(env.state().theta_dot, 0.02 * -14.634146, 1e-6);
  EXPECT_FLOAT_EQ(obs[1], static_cast<float>(env.state().x_dot));
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_FALSE(r.terminated);
  EXPECT_FALSE(r.truncated);

  // Second step: positions move with the velocities of the first (explicit Euler).
  env.step(Action::discrete(0), obs, {});
  EXPECT_NEAR(env.state().x, 0.02 * 0.02 * 9.756098, 1e-8);
  EXPECT_NEAR(env.state().theta, 0.02 * 0.02 * -14.634146, 1e-8);
}

TEST(CartPoleTest, TerminatesWhenTheCartLeavesTheTrack) {
  CartPole env(defaults());
  std::array<float, 4> obs{};
  env.reset(1, obs);
  env.set_state({2.39, 1.0, 0, 0});  // x' = 2.39 + 0.02 * 1.0 = 2.41 > 2.4
  StepResult r = env.step(Action::discrete(1), obs, {});
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 1.0);  // the terminating step is rewarded too

  env.set_state({2.37, 1.0, 0, 0});  // x' = 2.39: still inside
  r = env.step(Action::discrete(1), obs, {});
  EXPECT_FALSE(r.terminated);
}

TEST(CartPoleTest, TerminatesWhenThePoleFallsPastTwelveDegrees) {
  CartPole env(defaults());
  std::array<float, 4> obs{};
  env.reset(1, obs);
  env.set_state({0, 0, 0.2094, 0.5});  // theta' = 0.2094 + 0.01 > 0.20944
  EXPECT_TRUE(env.step(Action::discrete(0), obs, {}).terminated);
  env.set_state({0, 0, -0.2094, -0.5});
  EXPECT_TRUE(env.step(Action::discrete(1), obs, {}).terminated);
}

TEST(CartPoleTest, SuttonBartoRewardIsMinusOneOnTerminationOnly) {
  CartPole env(EnvOptions{{"sutton_barto_reward", "true"}});
  std::array<float, 4> obs{};
  env.reset(1, obs);
  env.set_state({0, 0, 0, 0});
  EXPECT_EQ(env.step(Action::discrete(1), obs, {}).reward, 0.0);
  env.set_state({2.39, 1.0, 0, 0});
  EXPECT_EQ(env.step(Action::discrete(1), obs, {}).reward, -1.0);
}

TEST(CartPoleTest, ResetDrawsEveryVariableFromUniformPlusMinus005) {
  CartPole env(defaults());
  std::array<float, 4> obs{};
  double max_abs = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    env.reset(seed, obs);
    for (float v : obs) {
      EXPECT_LE(std::abs(v), 0.05f);
      max_abs = std::max(max_abs, static_cast<double>(std::abs(v)));
    }
  }
  EXPECT_GT(max_abs, 0.045);  // the whole range is used
}

// A PD controller keeps the pole up, so the episode ends by the time limit at
// step 500: truncated, not terminated.
TEST(CartPoleTest, BalancedEpisodeIsTruncatedAtStep500) {
  std::unique_ptr<Env> env = make_env(builtin_registry(), "CartPole-v1");
  std::array<float, 4> obs{};
  env->reset(3, obs);
  int steps = 0;
  StepResult r;
  do {
    const int64_t push_right = obs[2] + 0.5f * obs[3] + 0.01f * obs[0] + 0.1f * obs[1] > 0;
    r = env->step(Action::discrete(push_right), obs, {});
    ++steps;
  } while (!r.terminated && !r.truncated);
  EXPECT_EQ(steps, 500);
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
}

TEST(CartPoleTest, RejectsInvalidActions) {
  std::unique_ptr<Env> env = make_env(builtin_registry(), "CartPole-v1");
  std::array<float, 4> obs{};
  env->reset(3, obs);
  try {
    env->step(Action::discrete(2), obs, {});
    FAIL() << "action 2 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("action = 2 is outside Discrete(2)"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(env->step(Action::discrete(-1), obs, {}), std::invalid_argument);
  const float box[1] = {1.f};
  EXPECT_THROW(env->step(Action::box(box), obs, {}), std::invalid_argument);
}

TEST(CartPoleTest, Deterministic) { testing::expect_deterministic(builtin_registry(), "CartPole-v1"); }

TEST(CartPoleTest, ObservationsInBounds) {
  testing::expect_observations_in_bounds(builtin_registry(), "CartPole-v1");
}

TEST(CartPoleTest, VectorEnvStress) { testing::stress_vector_env(builtin_registry(), "CartPole-v1"); }

}  // namespace
}  // namespace rl::envs
