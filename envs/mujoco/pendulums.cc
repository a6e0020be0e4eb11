#include "envs/mujoco/pendulums.h"

#include <mujoco/mujoco.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

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

// ---- InvertedDoublePendulum ------------------------------------------------------

InvertedDoublePendulum::InvertedDoublePendulum(const EnvOptions& options)
    : MujocoEnv("inverted_double_pendulum.xml", /*frame_skip=*/5, /*obs_size=*/9,
                {"reward_survive", "reward_distance", "reward_velocity"}),
      healthy_reward_(options.get_double("healthy_reward")),
      noise_scale_(options.get_double("reset_noise_scale")),
      tip_site_(mj_name2id(model(), mjOBJ_SITE, "tip")) {
  if (tip_site_ < 0) throw std::logic_error("inverted_double_pendulum.xml has no site 'tip'");
}

void InvertedDoublePendulum::reset_noise() {
  add_uniform_noise(data()->qpos, model()->nq, noise_scale_);
  add_normal_noise(data()->qvel, model()->nv, noise_scale_);
}

void InvertedDoublePendulum::write_obs(std::span<float> obs) {
  const mjData* d = data();
  obs[0] = static_cast<float>(d->qpos[0]);
  obs[1] = static_cast<float>(std::sin(d->qpos[1]));
  obs[2] = static_cast<float>(std::sin(d->qpos[2]));
  obs[3] = static_cast<float>(std::cos(d->qpos[1]));
  obs[4] = static_cast<float>(std::cos(d->qpos[2]));
  for (int i = 0; i < 3; ++i) obs[5 + i] = static_cast<float>(std::clamp(d->qvel[i], -10.0, 10.0));
  obs[8] = static_cast<float>(std::clamp(d->qfrc_constraint[0], -10.0, 10.0));  // the slider's
}

StepResult InvertedDoublePendulum::step(const Action& action, std::span<float> obs, std::span<float> info) {
  do_simulation(action.values);
  write_obs(obs);
  const mjData* d = data();
  const double x = d->site_xpos[3 * tip_site_], z = d->site_xpos[3 * tip_site_ + 2];
  const bool terminated = z <= 1.0;
  const double distance = -(0.01 * x * x + (z - 2) * (z - 2));
  const double velocity = -(1e-3 * d->qvel[1] * d->qvel[1] + 5e-3 * d->qvel[2] * d->qvel[2]);
  const double survive = terminated ? 0.0 : healthy_reward_;
  info[0] = static_cast<float>(survive);
  info[1] = static_cast<float>(distance);
  info[2] = static_cast<float>(velocity);
  return {survive + distance + velocity, terminated, false};
}

// ---- Reacher ---------------------------------------------------------------------

Reacher::Reacher(const EnvOptions& options)
    : MujocoEnv("reacher.xml", /*frame_skip=*/2, /*obs_size=*/10, {"reward_dist", "reward_ctrl"}),
      dist_weight_(options.get_double("reward_dist_weight")),
      control_weight_(options.get_double("reward_control_weight")),
      noise_scale_(options.get_double("reset_noise_scale")),
      fingertip_body_(mj_name2id(model(), mjOBJ_BODY, "fingertip")),
      target_body_(mj_name2id(model(), mjOBJ_BODY, "target")) {
  if (fingertip_body_ < 0 || target_body_ < 0) throw std::logic_error("reacher.xml lacks fingertip or target");
}

void Reacher::reset_noise() {
  // The arm's joints get noise; the target is placed uniformly in the disc
  // of radius 0.2 (rejection sampling of the square) and stands still.
  mjData* d = data();
  add_uniform_noise(d->qpos, model()->nq, noise_scale_);
  double gx, gy;
  do {
    gx = rng_.uniform(-0.2, 0.2);
    gy = rng_.uniform(-0.2, 0.2);
  } while (std::sqrt(gx * gx + gy * gy) >= 0.2);
  d->qpos[2] = gx;
  d->qpos[3] = gy;
  add_uniform_noise(d->qvel, 2, 0.005);
  d->qvel[2] = d->qvel[3] = 0;
}

void Reacher::write_obs(std::span<float> obs) {
  const mjData* d = data();
  obs[0] = static_cast<float>(std::cos(d->qpos[0]));
  obs[1] = static_cast<float>(std::cos(d->qpos[1]));
  obs[2] = static_cast<float>(std::sin(d->qpos[0]));
  obs[3] = static_cast<float>(std::sin(d->qpos[1]));
  obs[4] = static_cast<float>(d->qpos[2]);
  obs[5] = static_cast<float>(d->qpos[3]);
  obs[6] = static_cast<float>(d->qvel[0]);
  obs[7] = static_cast<float>(d->qvel[1]);
  for (int k = 0; k < 2; ++k) {
    obs[8 + k] = static_cast<float>(d->xpos[3 * fingertip_body_ + k] - d->xpos[3 * target_body_ + k]);
  }
}

StepResult Reacher::step(const Action& action, std::span<float> obs, std::span<float> info) {
  do_simulation(action.values);
  const mjData* d = data();
  double dist_sq = 0;
  for (int k = 0; k < 3; ++k) {
    const double v = d->xpos[3 * fingertip_body_ + k] - d->xpos[3 * target_body_ + k];
    dist_sq += v * v;
  }
  const double dist = -dist_weight_ * std::sqrt(dist_sq);
  const double ctrl = -control_weight_ * squared_norm(action.values);
  write_obs(obs);
  info[0] = static_cast<float>(dist);
  info[1] = static_cast<float>(ctrl);
  return {dist + ctrl, false, false};
}

}  // namespace rl::envs
