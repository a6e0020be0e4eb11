#include "rl/env/vector_env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>

#include "tests/rl/env/fake_env.h"
#include "tests/util/faulty_env.h"

// The replacement operator new below allocates with malloc, so delete frees
// with free; GCC cannot see that the two replacements belong together.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// Counts heap allocations while `g_counting` is set, to prove that a step
// allocates nothing.
namespace {
std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_allocations{0};
}  // namespace

void* operator new(size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace rl {
namespace {

using ::testing::HasSubstr;

EnvRegistry fake_registry(int max_steps) {
  EnvRegistry registry;
  registry.add({.id = "Fake-v0",
                .factory = [](const EnvOptions& options) -> std::unique_ptr<Env> {
                  return std::make_unique<testing::FakeEnv>(options.get_int("terminate_after"),
                                                            options.get_int("throw_at_step"));
                },
                .default_options = {{"terminate_after", "0"}, {"throw_at_step", "-1"}},
                .max_episode_steps = max_steps});
  return registry;
}

VectorEnvConfig config_of(int k, int threads = 1, EnvOptions options = {}) {
  VectorEnvConfig config;
  config.num_envs = k;
  config.num_threads = threads;
  config.seed = 11;
  config.env_options = std::move(options);
  return config;
}

TEST(VectorEnvTest, ResetSeedsEachEnvFromSeedAndIndexOnce) {
  const EnvRegistry registry = fake_registry(0);
  VectorEnv env(registry, "Fake-v0", config_of(3));
  env.reset();
  ASSERT_EQ(env.observations().size(), 9u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(env.observations()[i * 3 + 0], 0.f);  // no steps yet
    EXPECT_EQ(env.observations()[i * 3 + 1], 1.f);  // first episode
  }
}

TEST(VectorEnvTest, AutoResetKeepsTheFinalObservationAndEpisodeStats) {
  const EnvRegistry registry = fake_registry(0);
  // Both envs terminate after 3 steps.
  VectorEnv env(registry, "Fake-v0", config_of(2, 1, EnvOptions{{"terminate_after", "3"}}));
  env.reset();
  const int64_t actions[2] = {2, 3};
  env.step(std::span<const int64_t>(actions));
  env.step(std::span<const int64_t>(actions));
  EXPECT_EQ(env.terminated()[0], 0);
  EXPECT_EQ(env.observations()[0], 2.f);
  env.step(std::span<const int64_t>(actions));

  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(env.terminated()[i], 1);
    EXPECT_EQ(env.truncated()[i], 0);
    EXPECT_EQ(env.rewards()[i], 1.f);
    // The last observation of the finished episode...
    EXPECT_EQ(env.final_observations()[i * 3 + 0], 3.f);
    EXPECT_EQ(env.final_observations()[i * 3 + 1], 1.f);
    EXPECT_EQ(env.final_observations()[i * 3 + 2], static_cast<float>(actions[i]));
    // ...and the first of the next one, returned by the same step.
    EXPECT_EQ(env.observations()[i * 3 + 0], 0.f);
    EXPECT_EQ(env.observations()[i * 3 + 1], 2.f);
    EXPECT_EQ(env.episode_returns()[i], 3.0);
    EXPECT_EQ(env.episode_lengths()[i], 3);
    // Info sums over the episode: "one" 3 times, "action" 3 times the action.
    EXPECT_EQ(env.episode_info_sums()[i * 2 + 0], 3.0);
    EXPECT_EQ(env.episode_info_sums()[i * 2 + 1], 3.0 * actions[i]);
    EXPECT_EQ(env.elapsed_steps(i), 0);
  }
  EXPECT_EQ(env.total_episodes(), 2);
  EXPECT_EQ(env.total_steps(), 6);

  env.step(std::span<const int64_t>(actions));
  EXPECT_EQ(env.terminated()[0], 0);
  EXPECT_EQ(env.elapsed_steps(0), 1);
}

TEST(VectorEnvTest, TimeLimitTruncatesAndCanCoincideWithTermination) {
  const EnvRegistry registry = fake_registry(4);
  VectorEnv env(registry, "Fake-v0", config_of(1, 1, EnvOptions{{"terminate_after", "4"}}));
  VectorEnv no_term(registry, "Fake-v0", config_of(1));
  EXPECT_EQ(env.max_episode_steps(), 4);
  env.reset();
  no_term.reset();
  const int64_t action[1] = {0};
  for (int t = 1; t <= 4; ++t) {
    env.step(std::span<const int64_t>(action));
    no_term.step(std::span<const int64_t>(action));
    EXPECT_EQ(env.truncated()[0], t == 4);
    EXPECT_EQ(env.terminated()[0], t == 4);
    EXPECT_EQ(no_term.truncated()[0], t == 4);
    EXPECT_EQ(no_term.terminated()[0], 0);
  }
  EXPECT_EQ(no_term.final_observations()[0], 4.f);
}

TEST(VectorEnvTest, TimeLimitCanBeOverriddenOrRemoved) {
  const EnvRegistry registry = fake_registry(4);
  VectorEnvConfig config = config_of(1);
  config.max_episode_steps = 0;
  VectorEnv unlimited(registry, "Fake-v0", config);
  EXPECT_EQ(unlimited.spec().max_episode_steps, 0);
  unlimited.reset();
  const int64_t action[1] = {0};
  for (int t = 0; t < 20; ++t) unlimited.step(std::span<const int64_t>(action));
  EXPECT_EQ(unlimited.total_episodes(), 0);
}

TEST(VectorEnvTest, ThreadCountDoesNotChangeResults) {
  const EnvRegistry registry = fake_registry(5);
  std::vector<std::vector<float>> runs;
  for (int threads : {1, 2, 3, 7}) {
    VectorEnv env(registry, "Fake-v0", config_of(7, threads, EnvOptions{{"terminate_after", "3"}}));
    EXPECT_EQ(env.num_threads(), threads);
    env.reset();
    std::vector<float> trace;
    std::vector<int64_t> actions(7);
    for (int t = 0; t < 50; ++t) {
      for (int i = 0; i < 7; ++i) actions[i] = (t + i) % 4;
      env.step(std::span<const int64_t>(actions));
      trace.insert(trace.end(), env.observations().begin(), env.observations().end());
      trace.insert(trace.end(), env.final_observations().begin(), env.final_observations().end());
    }
    EXPECT_EQ(env.total_episodes(), 7 * (50 / 3));
    runs.push_back(trace);
  }
  for (size_t r = 1; r < runs.size(); ++r) EXPECT_EQ(runs[r], runs[0]);
}

TEST(VectorEnvTest, MoreThreadsThanEnvsIsCapped) {
  const EnvRegistry registry = fake_registry(0);
  VectorEnv env(registry, "Fake-v0", config_of(2, 8));
  EXPECT_EQ(env.num_threads(), 2);
}

TEST(VectorEnvTest, RejectsBadActionsBeforeSteppingAnyEnv) {
  const EnvRegistry registry = fake_registry(0);
  VectorEnv env(registry, "Fake-v0", config_of(3));
  const int64_t ok[3] = {0, 1, 2};
  EXPECT_THROW(env.step(std::span<const int64_t>(ok)), std::logic_error);  // no reset yet
  env.reset();
  const int64_t out_of_range[3] = {0, 4, 1};
  try {
    env.step(std::span<const int64_t>(out_of_range));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("VectorEnv(Fake-v0).step: action[1] = 4 is outside Discrete(4)"));
  }
  EXPECT_EQ(env.total_steps(), 0);
  EXPECT_EQ(env.observations()[0], 0.f);
  const int64_t too_few[2] = {0, 1};
  EXPECT_THROW(env.step(std::span<const int64_t>(too_few)), std::invalid_argument);
  const float floats[3] = {0.f, 1.f, 2.f};
  try {
    env.step(std::span<const float>(floats));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("pass int64 indices"));
  }
}

TEST(VectorEnvTest, RejectsNonFiniteBoxActions) {
  class BoxFake : public testing::FakeEnv {
   public:
    const Space& action_space() const override { return space_; }
    Space space_ = Space::box({2}, -1.f, 1.f);
  };
  std::vector<std::unique_ptr<Env>> envs;
  envs.push_back(std::make_unique<BoxFake>());
  envs.push_back(std::make_unique<BoxFake>());
  EnvSpec spec;
  spec.id = "BoxFake";
  spec.observation_space = envs[0]->observation_space();
  spec.action_space = envs[0]->action_space();
  spec.info_keys = {"one", "action"};
  VectorEnv env(spec, std::move(envs), config_of(2));
  env.reset();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float bad[4] = {0.f, 0.f, 0.5f, nan};
  try {
    env.step(std::span<const float>(bad));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("action[1] element 1 is nan"));
  }
  const float wrong_size[3] = {0.f, 0.f, 0.f};
  EXPECT_THROW(env.step(std::span<const float>(wrong_size)), std::invalid_argument);
  const float fine[4] = {0.f, 5.f, -3.f, 0.f};  // out of bounds but finite: the env clips
  EXPECT_NO_THROW(env.step(std::span<const float>(fine)));
}

TEST(VectorEnvTest, AnEnvThatThrowsIsNamed) {
  const EnvRegistry registry = fake_registry(0);
  for (int threads : {1, 3}) {
    VectorEnv env(registry, "Fake-v0", config_of(3, threads, EnvOptions{{"throw_at_step", "2"}}));
    env.reset();
    const int64_t actions[3] = {0, 0, 0};
    env.step(std::span<const int64_t>(actions));
    try {
      env.step(std::span<const int64_t>(actions));
      FAIL();
    } catch (const std::runtime_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("VectorEnv(Fake-v0): env "));
      EXPECT_THAT(e.what(), HasSubstr("failed in step: fake env failure"));
    }
  }
}

EnvRegistry faulty_registry() {
  EnvRegistry registry;
  registry.add({.id = "Faulty-v0",
                .factory = [](const EnvOptions& o) -> std::unique_ptr<Env> {
                  return std::make_unique<testing::FaultyEnv>(o);
                },
                .default_options = testing::FaultyEnv::default_options(),
                .max_episode_steps = 100});
  return registry;
}

// With env_error_limit, an env that throws or returns NaN is reset and
// counted; its episode ends truncated from its last good observation, and
// nothing non-finite ever reaches the batch arrays.
TEST(VectorEnvTest, RecoversFromEnvsThatThrowOrReturnNaN) {
  const EnvRegistry registry = faulty_registry();
  for (int threads : {1, 2}) {
    VectorEnvConfig config = config_of(4, threads, EnvOptions{{"throw_every", "7"}, {"nan_every", "11"}});
    config.env_error_limit = 3;
    VectorEnv env(registry, "Faulty-v0", config);
    env.reset(1);
    const int64_t actions[4] = {0, 1, 0, 1};
    std::vector<float> before(4);
    int64_t failures_seen = 0;
    for (int step = 0; step < 300; ++step) {
      std::copy(env.observations().begin(), env.observations().end(), before.begin());
      env.step(std::span<const int64_t>(actions));
      for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(std::isfinite(env.observations()[i])) << step;
        ASSERT_TRUE(std::isfinite(env.final_observations()[i])) << step;
        // A failed step: cut, reward 0, bootstrapped from the last good obs.
        if (env.truncated()[i] && env.rewards()[i] == 0.f) {
          ++failures_seen;
          EXPECT_FALSE(env.terminated()[i]);
          EXPECT_EQ(env.final_observations()[i], before[i]);
          EXPECT_EQ(env.observations()[i], 0.f);  // reset
        }
      }
    }
    // 1200 env steps: every 7th throws and every 11th (not also 7th) is NaN.
    EXPECT_EQ(env.env_errors(), failures_seen);
    EXPECT_GT(env.env_errors(), 1200 / 7);
    EXPECT_THAT(env.last_env_error(), HasSubstr("VectorEnv(Faulty-v0): env "));
  }
}

TEST(VectorEnvTest, AnEnvThatKeepsFailingIsAClearErrorAfterTheLimit) {
  const EnvRegistry registry = faulty_registry();
  VectorEnvConfig config = config_of(2, 1, EnvOptions{{"fail_from", "5"}});
  config.env_error_limit = 3;
  VectorEnv env(registry, "Faulty-v0", config);
  env.reset(1);
  const int64_t actions[2] = {0, 0};
  try {
    for (int step = 0; step < 20; ++step) env.step(std::span<const int64_t>(actions));
    FAIL() << "expected the env to be given up on";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("failed in step: FaultyEnv: broken for good since step 5"));
    EXPECT_THAT(e.what(), HasSubstr("3 failures in a row"));
  }
  EXPECT_EQ(env.env_errors(), 2 * 2);  // two counted steps of both envs before the third
}

TEST(VectorEnvTest, RejectsInvalidConfig) {
  const EnvRegistry registry = fake_registry(0);
  EXPECT_THROW(VectorEnv(registry, "Fake-v0", config_of(0)), std::invalid_argument);
  EXPECT_THROW(VectorEnv(registry, "Fake-v0", config_of(2, 0)), std::invalid_argument);
  EXPECT_THROW(VectorEnv(registry, "Nope-v0", config_of(2)), std::invalid_argument);
}

TEST(VectorEnvTest, StepDoesNoHeapAllocation) {
  const EnvRegistry registry = fake_registry(5);
  for (int threads : {1, 2}) {
    VectorEnv env(registry, "Fake-v0", config_of(16, threads, EnvOptions{{"terminate_after", "3"}}));
    env.reset();
    std::vector<int64_t> actions(16, 1);
    env.step(std::span<const int64_t>(actions));  // warm up the workers
    g_allocations = 0;
    g_counting = true;
    for (int t = 0; t < 1000; ++t) env.step(std::span<const int64_t>(actions));
    g_counting = false;
    EXPECT_EQ(g_allocations.load(), 0) << threads << " threads";
    EXPECT_GT(env.total_episodes(), 16 * 300);
  }
}

}  // namespace
}  // namespace rl
