#include "envs/box2d/box2d_suite.h"

#include <memory>

#include "envs/box2d/bipedal_walker.h"
#include "envs/box2d/lunar_lander.h"
#include "rl/env/wrappers.h"

namespace rl::envs {

void register_box2d_envs(EnvRegistry& registry) {
  auto lander = [](const EnvOptions& options) -> std::unique_ptr<Env> {
    return std::make_unique<LunarLander>(options);
  };
  EnvOptions options = {{"continuous", "false"},
                        {"gravity", "-10.0"},
                        {"enable_wind", "false"},
                        {"wind_power", "15.0"},
                        {"turbulence_power", "1.5"}};
  registry.add({.id = "LunarLander-v3",
                .factory = lander,
                .default_options = options,
                .max_episode_steps = 1000,
                .reward_threshold = 200.0,
                .description = "land a rocket on the pad; Discrete(4) engines"});
  options.set("continuous", "true");
  registry.add({.id = "LunarLanderContinuous-v3",
                .factory = lander,
                .default_options = options,
                .max_episode_steps = 1000,
                .reward_threshold = 200.0,
                .description = "land a rocket on the pad; Box(2) main and lateral throttle in [-1, 1]"});
  // rl-baselines3-zoo's velocity masking (x and y velocity, angular
  // velocity): partially observable, for recurrent policies.
  options.set("continuous", "false");
  registry.add({.id = "LunarLanderNoVel-v3",
                .factory = [](const EnvOptions& options) -> std::unique_ptr<Env> {
                  return std::make_unique<MaskedObservation>(std::make_unique<LunarLander>(options),
                                                             std::vector<int>{2, 3, 5});
                },
                .default_options = options,
                .max_episode_steps = 1000,
                .reward_threshold = 200.0,
                .description = "LunarLander-v3 with its velocities zeroed (entries 2, 3, 5); Discrete(4)"});
  auto walker = [](const EnvOptions& options) -> std::unique_ptr<Env> {
    return std::make_unique<BipedalWalker>(options);
  };
  registry.add({.id = "BipedalWalker-v3",
                .factory = walker,
                .default_options = {{"hardcore", "false"}},
                .max_episode_steps = 1600,
                .reward_threshold = 300.0,
                .description = "two-legged walker on gentle terrain; Box(4) hip and knee torques in [-1, 1]"});
  registry.add({.id = "BipedalWalkerHardcore-v3",
                .factory = walker,
                .default_options = {{"hardcore", "true"}},
                .max_episode_steps = 2000,
                .reward_threshold = 300.0,
                .description = "two-legged walker over stumps, stairs and pits; Box(4) torques in [-1, 1]"});
}

}  // namespace rl::envs
