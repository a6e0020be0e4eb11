// Registers FaultyEnv as "Faulty-v0" for the fault-injection tests, which
// load it into real training programs with --env-plugin.
#include "rl/env/plugin.h"
#include "tests/util/faulty_env.h"

RL_ENV_PLUGIN(registry) {
  registry.add({.id = "Faulty-v0",
                .factory = [](const rl::EnvOptions& options) -> std::unique_ptr<rl::Env> {
                  return std::make_unique<rl::testing::FaultyEnv>(options);
                },
                .default_options = rl::testing::FaultyEnv::default_options(),
                .max_episode_steps = 100,
                .description = "an env that throws or returns NaN on chosen steps"});
}
