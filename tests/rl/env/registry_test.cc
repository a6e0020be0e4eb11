#include "rl/env/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>

#include "rl/env/wrappers.h"
#include "tests/rl/env/fake_env.h"

namespace rl {
namespace {

using ::testing::HasSubstr;

EnvRegistration fake_registration(std::string id, int max_steps = 0) {
  return {.id = std::move(id),
          .factory = [](const EnvOptions& options) -> std::unique_ptr<Env> {
            return std::make_unique<testing::FakeEnv>(options.get_int("terminate_after"));
          },
          .default_options = {{"terminate_after", "0"}},
          .max_episode_steps = max_steps,
          .reward_threshold = 10.0,
          .description = "scripted"};
}

TEST(RegistryTest, UnknownIdListsTheKnownOnes) {
  EnvRegistry registry;
  registry.add(fake_registration("Fake-v0"));
  registry.add(fake_registration("Fake-v1"));
  try {
    registry.make_raw("Fkae-v0");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown env 'Fkae-v0'"));
    EXPECT_THAT(e.what(), HasSubstr("Fake-v0, Fake-v1"));
  }
}

TEST(RegistryTest, RejectsDuplicatesAndIncompleteRegistrations) {
  EnvRegistry registry;
  registry.add(fake_registration("Fake-v0"));
  EXPECT_THROW(registry.add(fake_registration("Fake-v0")), std::invalid_argument);
  EXPECT_THROW(registry.add(fake_registration("")), std::invalid_argument);
  EnvRegistration no_factory = fake_registration("NoFactory-v0");
  no_factory.factory = nullptr;
  EXPECT_THROW(registry.add(no_factory), std::invalid_argument);
  EXPECT_THROW(registry.add(fake_registration("Negative-v0", -1)), std::invalid_argument);
  EXPECT_EQ(registry.ids(), std::vector<std::string>{"Fake-v0"});
}

TEST(RegistryTest, OptionsAreCheckedByName) {
  EnvRegistry registry;
  registry.add(fake_registration("Fake-v0"));
  try {
    registry.make_raw("Fake-v0", EnvOptions{{"terminate_afterr", "3"}});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("no option 'terminate_afterr'"));
    EXPECT_THAT(e.what(), HasSubstr("terminate_after"));
  }
  try {
    registry.make_raw("Fake-v0", EnvOptions{{"terminate_after", "three"}});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'terminate_after' = 'three' is not an integer"));
  }
}

TEST(RegistryTest, SpecCombinesRegistrationAndEnv) {
  EnvRegistry registry;
  registry.add(fake_registration("Fake-v0", 7));
  const EnvSpec spec = registry.spec("Fake-v0", EnvOptions{{"terminate_after", "3"}});
  EXPECT_EQ(spec.id, "Fake-v0");
  EXPECT_EQ(spec.max_episode_steps, 7);
  EXPECT_EQ(spec.reward_threshold, 10.0);
  EXPECT_EQ(spec.info_keys, (std::vector<std::string>{"one", "action"}));
  EXPECT_EQ(spec.options.get_int("terminate_after"), 3);
  EXPECT_EQ(spec.obs_size(), 3);
  EXPECT_EQ(spec.action_size(), 1);
}

TEST(RegistryTest, ObservationSpaceMustBeABox) {
  class DiscreteObsEnv : public testing::FakeEnv {
   public:
    const Space& observation_space() const override { return space_; }
    Space space_ = Space::discrete(3);
  };
  EnvRegistry registry;
  registry.add({.id = "DiscreteObs-v0",
                .factory = [](const EnvOptions&) -> std::unique_ptr<Env> {
                  return std::make_unique<DiscreteObsEnv>();
                }});
  EXPECT_THROW(registry.spec("DiscreteObs-v0"), std::invalid_argument);
}

// A uint8 observation space is written in bytes: only a ByteEnv can, and
// actions are never uint8.
TEST(RegistryTest, Uint8ObservationsNeedAByteEnv) {
  class FloatEnvClaimingBytes : public testing::FakeEnv {
   public:
    const Space& observation_space() const override { return space_; }
    Space space_ = Space::box_u8({2, 3, 3}, 0, 255);
  };
  EnvRegistry registry;
  registry.add({.id = "Bytes-v0", .factory = [](const EnvOptions&) -> std::unique_ptr<Env> {
                  return std::make_unique<FloatEnvClaimingBytes>();
                }});
  try {
    registry.spec("Bytes-v0");
    ADD_FAILURE() << "a float env with a uint8 observation space was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("rl::ByteEnv"));
  }
  EXPECT_EQ(Space::box_u8({4, 10, 10}, 0, 1).to_string(), "Box(uint8, shape=[4, 10, 10], low=0, high=1)");
  EXPECT_EQ(element_size(Space::box_u8({1}, 0, 1).dtype()), 1);
  EXPECT_EQ(element_size(Space::box({1}, 0.f, 1.f).dtype()), 4);
}

TEST(MakeEnvTest, AppliesTheTimeLimitAsTruncation) {
  EnvRegistry registry;
  registry.add(fake_registration("Fake-v0", 3));
  std::unique_ptr<Env> env = make_env(registry, "Fake-v0");
  std::array<float, 3> obs{};
  std::array<float, 2> info{};
  env->reset(1, obs);
  EXPECT_FALSE(env->step(Action::discrete(0), obs, info).truncated);
  EXPECT_FALSE(env->step(Action::discrete(0), obs, info).truncated);
  const StepResult last = env->step(Action::discrete(0), obs, info);
  EXPECT_TRUE(last.truncated);
  EXPECT_FALSE(last.terminated);
}

TEST(MakeEnvTest, TerminationAndTruncationCanHappenTogether) {
  EnvRegistry registry;
  registry.add(fake_registration("Fake-v0", 2));
  std::unique_ptr<Env> env = make_env(registry, "Fake-v0", EnvOptions{{"terminate_after", "2"}});
  std::array<float, 3> obs{};
  std::array<float, 2> info{};
  env->reset(1, obs);
  env->step(Action::discrete(0), obs, info);
  const StepResult last = env->step(Action::discrete(0), obs, info);
  EXPECT_TRUE(last.truncated);
  EXPECT_TRUE(last.terminated);
}

TEST(MakeEnvTest, EnforcesResetFirstAndNoStepAfterTheEnd) {
  EnvRegistry registry;
  registry.add(fake_registration("Fake-v0", 1));
  std::unique_ptr<Env> env = make_env(registry, "Fake-v0");
  std::array<float, 3> obs{};
  std::array<float, 2> info{};
  EXPECT_THROW(env->step(Action::discrete(0), obs, info), std::logic_error);
  env->reset(1, obs);
  env->step(Action::discrete(0), obs, info);  // truncated by the limit of 1
  EXPECT_THROW(env->step(Action::discrete(0), obs, info), std::logic_error);
  env->reset(std::nullopt, obs);
  EXPECT_NO_THROW(env->step(Action::discrete(0), obs, info));
}

TEST(MakeEnvTest, ChecksActionsAndBuffers) {
  EnvRegistry registry;
  registry.add(fake_registration("Fake-v0"));
  std::unique_ptr<Env> env = make_env(registry, "Fake-v0");
  std::array<float, 3> obs{};
  std::array<float, 2> info{};
  std::array<float, 2> small{};
  env->reset(1, obs);
  try {
    env->step(Action::discrete(4), obs, info);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("Fake-v0.step: action = 4 is outside Discrete(4)"));
  }
  EXPECT_THROW(env->step(Action::discrete(0), small, info), std::invalid_argument);
  EXPECT_THROW(env->step(Action::discrete(0), obs, std::span<float>(info).first(1)),
               std::invalid_argument);
  EXPECT_THROW(env->reset(1, small), std::invalid_argument);
}

TEST(EnvOptionsTest, ParsesTypedValuesAndAssignments) {
  EnvOptions options{{"a", "1.5"}, {"b", "-3"}, {"c", "true"}, {"d", "no"}};
  EXPECT_EQ(options.get_double("a"), 1.5);
  EXPECT_EQ(options.get_int("b"), -3);
  EXPECT_TRUE(options.get_bool("c"));
  EXPECT_FALSE(options.get_bool("d"));
  EXPECT_THROW(options.get_int("a"), std::invalid_argument);
  EXPECT_THROW(options.get_bool("a"), std::invalid_argument);
  EXPECT_THROW(options.get_double("missing"), std::invalid_argument);
  EXPECT_EQ(EnvOptions::parse_assignment("g=9.8"), (std::pair<std::string, std::string>{"g", "9.8"}));
  EXPECT_THROW(EnvOptions::parse_assignment("g9.8"), std::invalid_argument);
  EXPECT_THROW(EnvOptions::parse_assignment("=1"), std::invalid_argument);
  EXPECT_EQ(options.merged(EnvOptions{{"a", "2"}}).get_double("a"), 2.0);
}

}  // namespace
}  // namespace rl
