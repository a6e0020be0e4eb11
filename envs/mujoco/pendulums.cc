#include "envs/mujoco/pendulums.h"

#include <mujoco/mujoco.h>

#include <cmath>

namespace rl::envs {

InvertedPendulum::InvertedPendulum(const EnvOptions& options)
    : MujocoEnv("inverted_pendulum.xml", /*frame_skip=*/2, /*obs_size=*/4, {"reward_survive"}),
      noise_scale_(options.get_double("reset_noise_scale")) {}

void InvertedPendulum::reset_noise() {
  add_uniform_noise(data()->qpos, model()->nq, noise_scale_);
  add_uniform_noise(data()->qvel, model()->nv, noise_scale_);
}

void InvertedPendulum::write_obs(std::span<float> obs) {
  const mjData* d = data();
  obs[0] = static_cast<float>(d->qpos[0]);
  obs[1] = static_cast<float>(d->qpos[1]);
  obs[2] = static_cast<float>(d->qvel[0]);
  obs[3] = static_cast<float>(d->qvel[1]);
}

StepResult InvertedPendulum::step(const Action& action, std::span<float> obs, std::span<float> info) {
  do_simulation(action.values);
  write_obs(obs);
  const mjData* d = data();
  bool finite = true;
  for (int i = 0; i < 2; ++i) finite = finite && std::isfinite(d->qpos[i]) && std::isfinite(d->qvel[i]);
  const bool terminated = !finite || std::abs(d->qpos[1]) > 0.2;
  const double reward = terminated ? 0.0 : 1.0;
  info[0] = static_cast<float>(reward);
  return {reward, terminated, false};
}

}  // namespace rl::envs
