#include "envs/classic/classic.h"

#include <memory>

#include "envs/classic/acrobot.h"
#include "envs/classic/cartpole.h"
#include "envs/classic/mountain_car.h"
#include "envs/classic/pendulum.h"

namespace rl::envs {
namespace {

template <typename EnvT>
EnvFactory factory_of() {
  return [](const EnvOptions& options) -> std::unique_ptr<Env> {
    return std::make_unique<EnvT>(options);
  };
}

}  // namespace

void register_classic_envs(EnvRegistry& registry) {
  // Time limits and thresholds are Gymnasium's registrations.
  registry.add({.id = "CartPole-v1",
                .factory = factory_of<CartPole>(),
                .default_options = {{"sutton_barto_reward", "false"}},
                .max_episode_steps = 500,
                .reward_threshold = 475.0,
                .description = "balance a pole on a cart; Discrete(2)"});
  registry.add({.id = "Pendulum-v1",
                .factory = factory_of<Pendulum>(),
                .default_options = {{"g", "10.0"}},
                .max_episode_steps = 200,
                .reward_threshold = std::nullopt,
                .description = "swing up a pendulum; Box(1) torque in [-2, 2]"});
  registry.add({.id = "MountainCar-v0",
                .factory = factory_of<MountainCar>(),
                .default_options = {{"goal_velocity", "0"}},
                .max_episode_steps = 200,
                .reward_threshold = -110.0,
                .description = "drive up a hill; Discrete(3)"});
  registry.add({.id = "MountainCarContinuous-v0",
                .factory = factory_of<MountainCarContinuous>(),
                .default_options = {{"goal_velocity", "0"}},
                .max_episode_steps = 999,
                .reward_threshold = 90.0,
                .description = "drive up a hill; Box(1) force in [-1, 1]"});
  registry.add({.id = "Acrobot-v1",
                .factory = factory_of<Acrobot>(),
                .default_options = {},
                .max_episode_steps = 500,
                .reward_threshold = -100.0,
                .description = "swing a two-link arm up; Discrete(3)"});
}

}  // namespace rl::envs
