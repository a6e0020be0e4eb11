// BipedalWalker-v3 and its hardcore variant: spaces, determinism, terrain,
// lidar, reward terms, and falling over.
#include "envs/box2d/bipedal_walker.h"

#include <box2d/box2d.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/envs/env_test_util.h"

namespace rl::envs {
namespace {

using testing::builtin_registry;

EnvOptions options(bool hardcore) { return {{"hardcore", hardcore ? "true" : "false"}}; }

TEST(BipedalWalkerTest, SpecsMatchGymnasium) {
  const EnvSpec normal = builtin_registry().spec("BipedalWalker-v3");
  EXPECT_EQ(normal.observation_space.flat_size(), 24);
  EXPECT_EQ(normal.action_space, Space::box({4}, -1.f, 1.f));
  EXPECT_EQ(normal.max_episode_steps, 1600);
  EXPECT_EQ(normal.reward_threshold, 300.0);
  EXPECT_EQ(builtin_registry().spec("BipedalWalkerHardcore-v3").max_episode_steps, 2000);
}

TEST(BipedalWalkerTest, DeterministicThroughTheVectorEnvAndSurvivesStress) {
  for (const char* id : {"BipedalWalker-v3", "BipedalWalkerHardcore-v3"}) {
    SCOPED_TRACE(id);
    testing::expect_deterministic(builtin_registry(), id, 300);
    testing::stress_vector_env(builtin_registry(), id, 800);
  }
}

// Normal terrain is grass only: no obstacles, a flat start pad at
// H/4 = 3.33 for the first 20 steps, gentle slopes after. Hardcore adds
// stumps, stairs and pits as static boxes.
TEST(BipedalWalkerTest, TerrainOfBothModes) {
  BipedalWalker normal(options(false));
  std::vector<float> obs(24);
  normal.reset(1, obs);
  ASSERT_EQ(normal.terrain_y().size(), 200u);
  EXPECT_EQ(normal.obstacles(), 0);
  for (int i = 0; i <= 20; ++i) EXPECT_NEAR(normal.terrain_y()[i], 400.0 / 30 / 4, 1e-9) << i;
  for (size_t i = 1; i < 200; ++i) {
    EXPECT_LT(std::abs(normal.terrain_y()[i] - normal.terrain_y()[i - 1]), 0.2) << i;
  }
  BipedalWalker hard(options(true));
  int obstacles = 0;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    hard.reset(seed, obs);
    obstacles += hard.obstacles();
  }
  EXPECT_GT(obstacles, 10);
}

// At the start the walker stands on the flat pad: the straight-down lidar
// ray hits the ground inside its range, the forward-tilted ones too, all
// fractions in (0, 1].
TEST(BipedalWalkerTest, LidarSeesTheGround) {
  BipedalWalker env(options(false));
  std::vector<float> obs(24);
  env.reset(2, obs);
  for (int i = 14; i < 24; ++i) {
    EXPECT_GT(obs[i], 0.f) << i;
    EXPECT_LE(obs[i], 1.f) << i;
  }
  // The hull is about 2 leg lengths above the pad: the vertical ray hits
  // at roughly (hull height above the pad) / range.
  const double height = env.hull()->GetPosition().y - 400.0 / 30 / 4;
  EXPECT_NEAR(obs[14], height / (160.0 / 30), 0.1);
}

// The reward is the sum of the info terms; the torque cost is 0.028 per
// unit of |a| summed over the four joints.
TEST(BipedalWalkerTest, RewardTermsAddUpAndTorqueCosts) {
  BipedalWalker env(options(false));
  std::vector<float> obs(24), info(3), action(4);
  Rng rng(5);
  env.reset(3, obs);
  for (int t = 0; t < 1000; ++t) {
    double abs_sum = 0;
    for (float& a : action) {
      a = static_cast<float>(rng.uniform(-1, 1));
      abs_sum += std::abs(a);
    }
    const StepResult r = env.step(Action::box(action), obs, info);
    EXPECT_NEAR(r.reward, info[0] + info[1] + info[2], 1e-4);
    if (r.terminated) {
      env.reset(std::nullopt, obs);
      continue;
    }
    EXPECT_NEAR(info[1], -0.028 * abs_sum, 1e-5);
  }
}

// Driving both hips and knees hard the same way throws the walker over:
// the hull touches the ground within a few seconds, game over, -100.
TEST(BipedalWalkerTest, CollapsingEndsTheEpisodeWithMinus100) {
  BipedalWalker env(options(false));
  std::vector<float> obs(24), info(3);
  const float collapse[4] = {1.f, 1.f, 1.f, 1.f};
  env.reset(4, obs);
  StepResult r;
  int steps = 0;
  do {
    r = env.step(Action::box(collapse), obs, info);
    ++steps;
  } while (!r.terminated && steps < 1600);
  ASSERT_TRUE(r.terminated);
  EXPECT_LT(steps, 500);
  EXPECT_EQ(r.reward, -100.0);
  EXPECT_EQ(info[2], -100.f);
}

}  // namespace
}  // namespace rl::envs
