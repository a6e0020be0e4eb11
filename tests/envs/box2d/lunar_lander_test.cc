// LunarLander-v3 and its continuous variant: spaces, determinism, reward
// terms, and the physics of engines, falling and landing.
#include "envs/box2d/lunar_lander.h"

#include <box2d/box2d.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "tests/envs/env_test_util.h"

namespace rl::envs {
namespace {

using testing::builtin_registry;

EnvOptions options(bool continuous) {
  EnvOptions o = builtin_registry().find("LunarLander-v3").default_options;
  o.set("continuous", continuous ? "true" : "false");
  return o;
}

TEST(LunarLanderTest, SpecsMatchGymnasium) {
  const EnvSpec discrete = builtin_registry().spec("LunarLander-v3");
  EXPECT_EQ(discrete.action_space, Space::discrete(4));
  EXPECT_EQ(discrete.max_episode_steps, 1000);
  EXPECT_EQ(discrete.reward_threshold, 200.0);
  const float pi2 = float(2 * std::numbers::pi);
  EXPECT_EQ(discrete.observation_space,
            Space::box({8}, {-2.5f, -2.5f, -10.f, -10.f, -pi2, -10.f, 0.f, 0.f}, {2.5f, 2.5f, 10.f, 10.f, pi2, 10.f, 1.f, 1.f}));
  const EnvSpec continuous = builtin_registry().spec("LunarLanderContinuous-v3");
  EXPECT_EQ(continuous.action_space, Space::box({2}, -1.f, 1.f));
}

TEST(LunarLanderTest, BadGravityIsRefusedByName) {
  EnvOptions o = options(false);
  o.set("gravity", "-15");
  try {
    LunarLander env(o);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("gravity"), std::string::npos);
  }
}

TEST(LunarLanderTest, DeterministicThroughTheVectorEnvAndSurvivesStress) {
  for (const char* id : {"LunarLander-v3", "LunarLanderContinuous-v3"}) {
    SCOPED_TRACE(id);
    testing::expect_deterministic(builtin_registry(), id, 400);
    testing::stress_vector_env(builtin_registry(), id, 1500);
  }
}

// The reset observation: the lander starts at the top centre (x = 0,
// y = (H - H/4 - 18/30) / (H/2) = 1.41), legs in the air.
TEST(LunarLanderTest, ResetStartsAtTheTopCentre) {
  LunarLander env(options(false));
  std::vector<float> obs(8);
  env.reset(4, obs);
  EXPECT_NEAR(obs[0], 0.0, 0.02);
  EXPECT_NEAR(obs[1], (40.0 / 3 - 10.0 / 3 - 0.6) / (20.0 / 3), 0.02);
  EXPECT_EQ(obs[6], 0.f);
  EXPECT_EQ(obs[7], 0.f);
}

// The reward is the sum of the info terms; each main-engine frame costs
// 0.3 and each side-engine frame 0.03 (discrete), and a terminal step pays
// exactly -100 or +100.
TEST(LunarLanderTest, RewardTermsAddUpAndEnginesCostFuel) {
  LunarLander env(options(false));
  std::vector<float> obs(8), info(4);
  Rng rng(9);
  env.reset(1, obs);
  int terminal_steps = 0;
  for (int t = 0; t < 3000; ++t) {
    const int64_t a = rng.integer(0, 4);
    const StepResult r = env.step(Action::discrete(a), obs, info);
    EXPECT_NEAR(r.reward, info[0] + info[1] + info[2] + info[3], 1e-4);
    if (r.terminated) {
      EXPECT_TRUE(r.reward == -100.0 || r.reward == 100.0) << r.reward;
      ++terminal_steps;
      env.reset(std::nullopt, obs);
      continue;
    }
    EXPECT_FLOAT_EQ(info[1], a == 2 ? -0.3f : 0.f);
    EXPECT_FLOAT_EQ(info[2], (a == 1 || a == 3) ? -0.03f : 0.f);
  }
  EXPECT_GT(terminal_steps, 5);
}

// Engines do what they say: the main engine slows the fall, the two side
// engines turn the lander in opposite directions.
TEST(LunarLanderTest, EnginesPushAndTurn) {
  auto vy_after = [](int64_t action) {
    LunarLander env(options(false));
    std::vector<float> obs(8), info(4);
    env.reset(11, obs);
    for (int t = 0; t < 20; ++t) env.step(Action::discrete(action), obs, info);
    return std::vector<float>(obs.begin(), obs.end());
  };
  const auto idle = vy_after(0), main = vy_after(2), left = vy_after(1), right = vy_after(3);
  EXPECT_LT(idle[3], 0.f);        // falling
  EXPECT_GT(main[3], idle[3] + 0.2f);  // main engine brakes the fall
  EXPECT_LT(left[5] * right[5], 0.f);  // opposite angular velocities
  EXPECT_GT(std::abs(left[5] - idle[5]), 0.05f);
}

// Left alone the lander falls until the episode ends, either crashing
// (-100) or coming to rest on its legs (+100, Box2D put it to sleep).
TEST(LunarLanderTest, FallsUntilTheEpisodeEnds) {
  LunarLander env(options(true));
  std::vector<float> obs(8), info(4), zero(2, 0.f);
  env.reset(3, obs);
  StepResult r;
  int steps = 0;
  do {
    r = env.step(Action::box(zero), obs, info);
    ++steps;
  } while (!r.terminated && steps < 1000);
  ASSERT_TRUE(r.terminated);
  EXPECT_EQ(info[3], r.reward);
  if (r.reward > 0) {
    EXPECT_FALSE(env.lander()->IsAwake());
  }
  EXPECT_LT(obs[1], 0.5f);  // near the ground
}

}  // namespace
}  // namespace rl::envs
