// A real env plugin for plugin_test: registers the scripted FakeEnv.
#include "rl/env/plugin.h"
#include "tests/rl/env/fake_env.h"

RL_ENV_PLUGIN(registry) {
  registry.add({.id = "PluginFake-v0",
                .factory = [](const rl::EnvOptions& options) -> std::unique_ptr<rl::Env> {
                  return std::make_unique<rl::testing::FakeEnv>(options.get_int("terminate_after"));
                },
                .default_options = {{"terminate_after", "4"}},
                .max_episode_steps = 10,
                .reward_threshold = 4.0,
                .description = "scripted env from a plugin"});
}
