#include "envs/mujoco/mujoco_suite.h"

#include <memory>

#include "envs/mujoco/locomotion.h"
#include "envs/mujoco/pendulums.h"

namespace rl::envs {
namespace {

template <typename EnvT>
EnvFactory factory_of() {
  return [](const EnvOptions& options) -> std::unique_ptr<Env> { return std::make_unique<EnvT>(options); };
}

}  // namespace

void register_mujoco_envs(EnvRegistry& registry) {
  // Time limits, thresholds and option defaults are Gymnasium's (v5).
  registry.add({.id = "HalfCheetah-v5",
                .factory = factory_of<HalfCheetah>(),
                .default_options = {{"forward_reward_weight", "1.0"},
                                    {"ctrl_cost_weight", "0.1"},
                                    {"reset_noise_scale", "0.1"}},
                .max_episode_steps = 1000,
                .reward_threshold = 4800.0,
                .description = "planar cheetah runs forward; Box(6) torques in [-1, 1]"});
  const EnvOptions walker_options = {{"forward_reward_weight", "1.0"},
                                     {"ctrl_cost_weight", "0.001"},
                                     {"healthy_reward", "1.0"},
                                     {"terminate_when_unhealthy", "true"},
                                     {"reset_noise_scale", "0.005"}};
  registry.add({.id = "Hopper-v5",
                .factory = factory_of<Hopper>(),
                .default_options = walker_options,
                .max_episode_steps = 1000,
                .reward_threshold = 3800.0,
                .description = "planar one-legged hopper hops forward; Box(3) torques in [-1, 1]"});
  registry.add({.id = "Walker2d-v5",
                .factory = factory_of<Walker2d>(),
                .default_options = walker_options,
                .max_episode_steps = 1000,
                .reward_threshold = std::nullopt,
                .description = "planar biped walks forward; Box(6) torques in [-1, 1]"});
  registry.add({.id = "Swimmer-v5",
                .factory = factory_of<Swimmer>(),
                .default_options = {{"forward_reward_weight", "1.0"},
                                    {"ctrl_cost_weight", "0.0001"},
                                    {"reset_noise_scale", "0.1"}},
                .max_episode_steps = 1000,
                .reward_threshold = 360.0,
                .description = "three-link swimmer in a viscous fluid; Box(2) torques in [-1, 1]"});
  registry.add({.id = "Ant-v5",
                .factory = factory_of<Ant>(),
                .default_options = {{"forward_reward_weight", "1.0"},
                                    {"ctrl_cost_weight", "0.5"},
                                    {"contact_cost_weight", "0.0005"},
                                    {"healthy_reward", "1.0"},
                                    {"terminate_when_unhealthy", "true"},
                                    {"healthy_z_min", "0.2"},
                                    {"healthy_z_max", "1.0"},
                                    {"contact_force_max", "1.0"},
                                    {"reset_noise_scale", "0.1"}},
                .max_episode_steps = 1000,
                .reward_threshold = 6000.0,
                .description = "quadruped runs forward; Box(8) torques in [-1, 1]"});
  registry.add({.id = "Humanoid-v5",
                .factory = factory_of<Humanoid>(),
                .default_options = {{"forward_reward_weight", "1.25"},
                                    {"ctrl_cost_weight", "0.1"},
                                    {"contact_cost_weight", "5e-7"},
                                    {"contact_cost_max", "10.0"},
                                    {"healthy_reward", "5.0"},
                                    {"terminate_when_unhealthy", "true"},
                                    {"healthy_z_min", "1.0"},
                                    {"healthy_z_max", "2.0"},
                                    {"reset_noise_scale", "0.01"}},
                .max_episode_steps = 1000,
                .reward_threshold = std::nullopt,
                .description = "3D humanoid runs forward; Box(17) torques in [-0.4, 0.4]"});
  registry.add({.id = "InvertedPendulum-v5",
                .factory = factory_of<InvertedPendulum>(),
                .default_options = {{"reset_noise_scale", "0.01"}},
                .max_episode_steps = 1000,
                .reward_threshold = 950.0,
                .description = "balance a pole on a cart; Box(1) force in [-3, 3]"});
  registry.add({.id = "InvertedDoublePendulum-v5",
                .factory = factory_of<InvertedDoublePendulum>(),
                .default_options = {{"healthy_reward", "10.0"}, {"reset_noise_scale", "0.1"}},
                .max_episode_steps = 1000,
                .reward_threshold = 9100.0,
                .description = "balance two stacked poles on a cart; Box(1) force in [-1, 1]"});
  registry.add({.id = "Reacher-v5",
                .factory = factory_of<Reacher>(),
                .default_options = {{"reward_dist_weight", "1.0"},
                                    {"reward_control_weight", "1.0"},
                                    {"reset_noise_scale", "0.1"}},
                .max_episode_steps = 50,
                .reward_threshold = -3.75,
                .description = "move a two-link arm's fingertip to a target; Box(2) torques in [-1, 1]"});
}

}  // namespace rl::envs
