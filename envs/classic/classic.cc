#include "envs/classic/classic.h"

#include <memory>

#include "envs/classic/acrobot.h"
#include "envs/classic/cartpole.h"
#include "envs/classic/mountain_car.h"
#include "envs/classic/memory_cue.h"
#include "envs/classic/pendulum.h"
#include "rl/env/wrappers.h"

namespace rl::envs {
namespace {

template <typename EnvT>
EnvFactory factory_of() {
  return [](const EnvOptions& options) -> std::unique_ptr<Env> {
    return std::make_unique<EnvT>(options);
  };
}

// rl-baselines3-zoo's velocity masking: the entries are zeroed, the
// observation keeps its size.
template <typename EnvT>
EnvFactory masked_factory_of(std::vector<int> masked) {
  return [masked](const EnvOptions& options) -> std::unique_ptr<Env> {
    return std::make_unique<MaskedObservation>(std::make_unique<EnvT>(options), masked);
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
  registry.add({.id = "CartPoleNoVel-v1",
                .factory = masked_factory_of<CartPole>({1, 3}),
                .default_options = {{"sutton_barto_reward", "false"}},
                .max_episode_steps = 500,
                .reward_threshold = 475.0,
                .description = "CartPole-v1 with its velocities zeroed (entries 1, 3): needs memory; Discrete(2)"});
  registry.add({.id = "PendulumNoVel-v1",
                .factory = masked_factory_of<Pendulum>({2}),
                .default_options = {{"g", "10.0"}},
                .max_episode_steps = 200,
                .reward_threshold = std::nullopt,
                .description = "Pendulum-v1 with its angular velocity zeroed (entry 2): needs memory; Box(1)"});
  registry.add({.id = "MemoryCue-v0",
                .factory = factory_of<MemoryCue>(),
                .default_options = {{"length", "10"}, {"min_length", "0"}},
                .max_episode_steps = 0,
                .reward_threshold = 1.0,
                .description = "a cue at the first step, reward 1 for naming it at step `length`; Discrete(2)"});
  registry.add({.id = "Acrobot-v1",
                .factory = factory_of<Acrobot>(),
                .default_options = {},
                .max_episode_steps = 500,
                .reward_threshold = -100.0,
                .description = "swing a two-link arm up; Discrete(3)"});
}

}  // namespace rl::envs
