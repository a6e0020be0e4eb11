#include "rl/env/evaluation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/rl/env/fake_env.h"

namespace rl {
namespace {

TEST(SummaryTest, MeanPopulationStdMinMax) {
  const std::vector<double> values{1, 2, 3, 4};
  const Summary s = Summary::of(values);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_DOUBLE_EQ(s.std, std::sqrt(1.25));
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 4);
  EXPECT_TRUE(std::isnan(Summary::of({}).mean));
}

TEST(RandomPolicyTest, SamplesInsideTheSpace) {
  const float inf = std::numeric_limits<float>::infinity();
  const Space box = Space::box({3}, {-1.f, 0.f, -inf}, {1.f, inf, inf});
  RandomPolicy policy(box, 1);
  std::vector<float> actions(3 * 1000);
  policy.act({}, {}, actions);
  double unbounded_sum = 0;
  for (size_t i = 0; i < actions.size(); i += 3) {
    EXPECT_GE(actions[i], -1.f);
    EXPECT_LE(actions[i], 1.f);
    EXPECT_GE(actions[i + 1], 0.f);
    unbounded_sum += actions[i + 2];
  }
  EXPECT_NEAR(unbounded_sum / 1000, 0.0, 0.15);

  RandomPolicy discrete(Space::discrete(3), 1);
  std::vector<int64_t> indices(3000);
  discrete.act({}, indices, {});
  std::vector<int> counts(3, 0);
  for (int64_t a : indices) ++counts.at(a);
  for (int c : counts) EXPECT_GT(c, 900);
}

TEST(RunEpisodesTest, CollectsExactlyTheAskedEpisodesSpreadOverEnvs) {
  EnvRegistry registry;
  registry.add({.id = "Fake-v0",
                .factory = [](const EnvOptions&) -> std::unique_ptr<Env> {
                  return std::make_unique<testing::FakeEnv>(5);
                },
                .max_episode_steps = 100});
  VectorEnvConfig config;
  config.num_envs = 3;
  VectorEnv env(registry, "Fake-v0", config);
  RandomPolicy policy(env.spec().action_space, 2);
  const EpisodeStatistics stats = run_episodes(env, policy, 7, 1);
  EXPECT_EQ(stats.returns.size(), 7u);
  EXPECT_EQ(stats.return_summary().mean, 5.0);
  EXPECT_EQ(stats.length_summary().max, 5.0);
  EXPECT_THROW(run_episodes(env, policy, 0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace rl
