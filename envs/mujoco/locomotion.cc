#include "envs/mujoco/locomotion.h"

#include <mujoco/mujoco.h>

#include <algorithm>
#include <stdexcept>

namespace rl::envs {
namespace {

const std::vector<std::string> kRunnerInfo = {"reward_forward", "reward_ctrl", "x_position", "x_velocity"};
const std::vector<std::string> kWalkerInfo = {"reward_forward",         "reward_ctrl", "reward_survive",
                                              "x_position", "z_distance_from_origin", "x_velocity"};

}  // namespace

// ---- HalfCheetah ---------------------------------------------------------------

HalfCheetah::HalfCheetah(const EnvOptions& options)
    : MujocoEnv("half_cheetah.xml", /*frame_skip=*/5, /*obs_size=*/17, kRunnerInfo),
      forward_weight_(options.get_double("forward_reward_weight")),
      ctrl_weight_(options.get_double("ctrl_cost_weight")),
      noise_scale_(options.get_double("reset_noise_scale")) {}

void HalfCheetah::reset_noise() {
  add_uniform_noise(data()->qpos, model()->nq, noise_scale_);
  add_normal_noise(data()->qvel, model()->nv, noise_scale_);
}

void HalfCheetah::write_obs(std::span<float> obs) {
  // qpos without the root's x (8), then qvel (9).
  const mjData* d = data();
  for (int i = 1; i < model()->nq; ++i) obs[i - 1] = static_cast<float>(d->qpos[i]);
  for (int i = 0; i < model()->nv; ++i) obs[model()->nq - 1 + i] = static_cast<float>(d->qvel[i]);
}

StepResult HalfCheetah::step(const Action& action, std::span<float> obs, std::span<float> info) {
  const double x_before = data()->qpos[0];
  do_simulation(action.values);
  const double x_after = data()->qpos[0];
  const double x_velocity = (x_after - x_before) / dt();
  const double forward = forward_weight_ * x_velocity;
  const double ctrl = -ctrl_weight_ * squared_norm(action.values);
  write_obs(obs);
  info[0] = static_cast<float>(forward);
  info[1] = static_cast<float>(ctrl);
  info[2] = static_cast<float>(x_after);
  info[3] = static_cast<float>(x_velocity);
  return {forward + ctrl, false, false};
}

// ---- Hopper and Walker2d ---------------------------------------------------------

PlanarWalker::PlanarWalker(const std::string& asset, int64_t obs_size, const EnvOptions& options)
    : MujocoEnv(asset, /*frame_skip=*/4, obs_size, kWalkerInfo),
      forward_weight_(options.get_double("forward_reward_weight")),
      ctrl_weight_(options.get_double("ctrl_cost_weight")),
      healthy_reward_(options.get_double("healthy_reward")),
      noise_scale_(options.get_double("reset_noise_scale")),
      terminate_when_unhealthy_(options.get_bool("terminate_when_unhealthy")),
      initial_height_(model()->qpos0[1]) {
  if (model()->nq - 1 + model()->nv != obs_size) {
    throw std::logic_error(asset + ": the model's nq and nv do not give " + std::to_string(obs_size) +
                           " observations");
  }
}

void PlanarWalker::reset_noise() {
  add_uniform_noise(data()->qpos, model()->nq, noise_scale_);
  add_uniform_noise(data()->qvel, model()->nv, noise_scale_);
}

void PlanarWalker::write_obs(std::span<float> obs) {
  // qpos without the root's x, then qvel clipped to [-10, 10].
  const mjData* d = data();
  const int nq = model()->nq;
  for (int i = 1; i < nq; ++i) obs[i - 1] = static_cast<float>(d->qpos[i]);
  for (int i = 0; i < model()->nv; ++i) obs[nq - 1 + i] = static_cast<float>(std::clamp(d->qvel[i], -10.0, 10.0));
}

StepResult PlanarWalker::step(const Action& action, std::span<float> obs, std::span<float> info) {
  const double x_before = data()->qpos[0];
  do_simulation(action.values);
  const double x_after = data()->qpos[0];
  const double x_velocity = (x_after - x_before) / dt();
  const bool is_healthy = healthy();
  const double forward = forward_weight_ * x_velocity;
  const double survive = is_healthy ? healthy_reward_ : 0.0;  // v5: paid only while healthy
  const double ctrl = -ctrl_weight_ * squared_norm(action.values);
  write_obs(obs);
  info[0] = static_cast<float>(forward);
  info[1] = static_cast<float>(ctrl);
  info[2] = static_cast<float>(survive);
  info[3] = static_cast<float>(x_after);
  info[4] = static_cast<float>(data()->qpos[1] - initial_height_);
  info[5] = static_cast<float>(x_velocity);
  return {forward + survive + ctrl, terminate_when_unhealthy_ && !is_healthy, false};
}

Hopper::Hopper(const EnvOptions& options) : PlanarWalker("hopper.xml", 11, options) {}

bool Hopper::healthy() const {
  const mjModel* m = model();
  const mjData* d = data();
  // The state vector (qpos, qvel) without the first two entries.
  for (int i = 2; i < m->nq; ++i) {
    if (!(d->qpos[i] > -100.0 && d->qpos[i] < 100.0)) return false;
  }
  for (int i = 0; i < m->nv; ++i) {
    if (!(d->qvel[i] > -100.0 && d->qvel[i] < 100.0)) return false;
  }
  const double z = d->qpos[1], angle = d->qpos[2];
  return z > 0.7 && angle > -0.2 && angle < 0.2;
}

Walker2d::Walker2d(const EnvOptions& options) : PlanarWalker("walker2d.xml", 17, options) {}

bool Walker2d::healthy() const {
  const mjData* d = data();
  const double z = d->qpos[1], angle = d->qpos[2];
  return z > 0.8 && z < 2.0 && angle > -1.0 && angle < 1.0;
}

}  // namespace rl::envs
