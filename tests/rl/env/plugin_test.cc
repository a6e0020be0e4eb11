#include "rl/env/plugin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rl/env/vector_env.h"

namespace rl {
namespace {

using ::testing::HasSubstr;

TEST(PluginTest, LoadsARealSharedLibraryAndItsEnvsWork) {
  EnvRegistry registry;
  load_env_plugin(RL_TEST_PLUGIN_PATH, registry);
  ASSERT_TRUE(registry.contains("PluginFake-v0"));
  EXPECT_EQ(registry.find("PluginFake-v0").max_episode_steps, 10);

  VectorEnvConfig config;
  config.num_envs = 2;
  VectorEnv env(registry, "PluginFake-v0", config);
  env.reset();
  const int64_t actions[2] = {1, 2};
  for (int t = 0; t < 4; ++t) env.step(std::span<const int64_t>(actions));
  EXPECT_EQ(env.total_episodes(), 2);  // terminate_after defaults to 4 in the plugin
  EXPECT_EQ(env.episode_returns()[0], 4.0);
}

TEST(PluginTest, LoadingTwiceIsANoOp) {
  EnvRegistry registry;
  load_env_plugin(RL_TEST_PLUGIN_PATH, registry);
  EXPECT_NO_THROW(load_env_plugin(RL_TEST_PLUGIN_PATH, registry));
  EXPECT_EQ(registry.ids().size(), 1u);
  // Another registry gets its own registrations.
  EnvRegistry other;
  load_env_plugin(RL_TEST_PLUGIN_PATH, other);
  EXPECT_TRUE(other.contains("PluginFake-v0"));
}

TEST(PluginTest, MissingFileIsAClearError) {
  EnvRegistry registry;
  try {
    load_env_plugin("/nonexistent/libnothing.so", registry);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("env plugin '/nonexistent/libnothing.so': no such file"));
  }
}

TEST(PluginTest, LibraryWithoutTheEntryPointIsAClearError) {
  EnvRegistry registry;
  try {
    load_env_plugin(RL_TEST_NO_ENTRY_PLUGIN_PATH, registry);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("has no entry point 'rl_register_envs_v1'"));
  }
}

TEST(PluginTest, AFileThatIsNotALibraryIsAClearError) {
  EnvRegistry registry;
  try {
    load_env_plugin(RL_TEST_NOT_A_LIBRARY_PATH, registry);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot be loaded"));
  }
}

}  // namespace
}  // namespace rl
