#include "envs/box2d/box2d_suite.h"

#include <memory>

#include "envs/box2d/lunar_lander.h"

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
}

}  // namespace rl::envs
