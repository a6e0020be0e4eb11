#include "envs/mujoco/locomotion.h"

#include <mujoco/mujoco.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace rl::envs {
namespace {

const std::vector<std::string> kRunnerInfo = {"reward_forward", "reward_ctrl", "x_position", "x_velocity"};
const std::vector<std::string> kWalkerInfo = {"reward_forward",         "reward_ctrl", "reward_survive",
                                              "x_position", "z_distance_from_origin", "x_velocity"};

const std::vector<std::string> kPlaneInfo = {"reward_forward", "reward_ctrl", "x_position", "y_position",
                                             "x_velocity", "y_velocity"};
const std::vector<std::string> kAntInfo = {"reward_forward", "reward_ctrl",  "reward_contact", "reward_survive",
                                           "x_position",     "y_position",   "x_velocity",     "y_velocity"};

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

// ---- Swimmer ------------------------------------------------------------------------

Swimmer::Swimmer(const EnvOptions& options)
    : MujocoEnv("swimmer.xml", /*frame_skip=*/4, /*obs_size=*/8, kPlaneInfo),
      forward_weight_(options.get_double("forward_reward_weight")),
      ctrl_weight_(options.get_double("ctrl_cost_weight")),
      noise_scale_(options.get_double("reset_noise_scale")) {}

void Swimmer::reset_noise() {
  add_uniform_noise(data()->qpos, model()->nq, noise_scale_);
  add_uniform_noise(data()->qvel, model()->nv, noise_scale_);
}

void Swimmer::write_obs(std::span<float> obs) {
  // qpos without the x and y sliders (3), then qvel (5).
  const mjData* d = data();
  const int nq = model()->nq;
  for (int i = 2; i < nq; ++i) obs[i - 2] = static_cast<float>(d->qpos[i]);
  for (int i = 0; i < model()->nv; ++i) obs[nq - 2 + i] = static_cast<float>(d->qvel[i]);
}

StepResult Swimmer::step(const Action& action, std::span<float> obs, std::span<float> info) {
  const double x_before = data()->qpos[0], y_before = data()->qpos[1];
  do_simulation(action.values);
  const double x_after = data()->qpos[0], y_after = data()->qpos[1];
  const double vx = (x_after - x_before) / dt(), vy = (y_after - y_before) / dt();
  const double forward = forward_weight_ * vx;
  const double ctrl = -ctrl_weight_ * squared_norm(action.values);
  write_obs(obs);
  const double values[] = {forward, ctrl, x_after, y_after, vx, vy};
  for (size_t k = 0; k < 6; ++k) info[k] = static_cast<float>(values[k]);
  return {forward + ctrl, false, false};
}

// ---- Ant ------------------------------------------------------------------------------

Ant::Ant(const EnvOptions& options)
    : MujocoEnv("ant.xml", /*frame_skip=*/5, /*obs_size=*/105, kAntInfo),
      forward_weight_(options.get_double("forward_reward_weight")),
      ctrl_weight_(options.get_double("ctrl_cost_weight")),
      contact_weight_(options.get_double("contact_cost_weight")),
      healthy_reward_(options.get_double("healthy_reward")),
      terminate_when_unhealthy_(options.get_bool("terminate_when_unhealthy")),
      healthy_z_min_(options.get_double("healthy_z_min")),
      healthy_z_max_(options.get_double("healthy_z_max")),
      contact_force_max_(options.get_double("contact_force_max")),
      noise_scale_(options.get_double("reset_noise_scale")) {
  if ((model()->nq - 2) + model()->nv + 6 * (model()->nbody - 1) != 105) {
    throw std::logic_error("ant.xml: the model does not give 105 observations");
  }
}

void Ant::reset_noise() {
  add_uniform_noise(data()->qpos, model()->nq, noise_scale_);
  add_normal_noise(data()->qvel, model()->nv, noise_scale_);
}

double Ant::clipped_force(int index) const {
  return std::clamp(data()->cfrc_ext[index], -contact_force_max_, contact_force_max_);
}

void Ant::write_obs(std::span<float> obs) {
  // qpos without the torso's x and y (13), qvel (14), then the clipped
  // external contact forces of every body but the world (13 x 6).
  const mjData* d = data();
  const int nq = model()->nq, nv = model()->nv;
  size_t k = 0;
  for (int i = 2; i < nq; ++i) obs[k++] = static_cast<float>(d->qpos[i]);
  for (int i = 0; i < nv; ++i) obs[k++] = static_cast<float>(d->qvel[i]);
  for (int i = 6; i < 6 * model()->nbody; ++i) obs[k++] = static_cast<float>(clipped_force(i));
}

bool Ant::healthy() const {
  const mjData* d = data();
  for (int i = 0; i < model()->nq; ++i) {
    if (!std::isfinite(d->qpos[i])) return false;
  }
  for (int i = 0; i < model()->nv; ++i) {
    if (!std::isfinite(d->qvel[i])) return false;
  }
  return d->qpos[2] >= healthy_z_min_ && d->qpos[2] <= healthy_z_max_;
}

StepResult Ant::step(const Action& action, std::span<float> obs, std::span<float> info) {
  // The torso's position as mj_step left it (body 1's xpos), before and after.
  const double x_before = data()->xpos[3], y_before = data()->xpos[4];
  do_simulation(action.values);
  const double x_after = data()->xpos[3], y_after = data()->xpos[4];
  const double vx = (x_after - x_before) / dt(), vy = (y_after - y_before) / dt();
  const bool is_healthy = healthy();
  double contact_sq = 0;
  for (int i = 0; i < 6 * model()->nbody; ++i) contact_sq += clipped_force(i) * clipped_force(i);
  const double forward = forward_weight_ * vx;
  const double ctrl = -ctrl_weight_ * squared_norm(action.values);
  const double contact = -contact_weight_ * contact_sq;
  const double survive = is_healthy ? healthy_reward_ : 0.0;
  write_obs(obs);
  const double values[] = {forward, ctrl, contact, survive, x_after, y_after, vx, vy};
  for (size_t k = 0; k < 8; ++k) info[k] = static_cast<float>(values[k]);
  return {forward + ctrl + contact + survive, terminate_when_unhealthy_ && !is_healthy, false};
}

// ---- Humanoid -------------------------------------------------------------------------

Humanoid::Humanoid(const EnvOptions& options)
    : MujocoEnv("humanoid.xml", /*frame_skip=*/5, /*obs_size=*/348, kAntInfo),
      forward_weight_(options.get_double("forward_reward_weight")),
      ctrl_weight_(options.get_double("ctrl_cost_weight")),
      contact_weight_(options.get_double("contact_cost_weight")),
      contact_max_(options.get_double("contact_cost_max")),
      healthy_reward_(options.get_double("healthy_reward")),
      terminate_when_unhealthy_(options.get_bool("terminate_when_unhealthy")),
      healthy_z_min_(options.get_double("healthy_z_min")),
      healthy_z_max_(options.get_double("healthy_z_max")),
      noise_scale_(options.get_double("reset_noise_scale")) {
  const mjModel* m = model();
  const int bodies = m->nbody - 1;
  if ((m->nq - 2) + m->nv + 10 * bodies + 6 * bodies + (m->nv - 6) + 6 * bodies != 348) {
    throw std::logic_error("humanoid.xml: the model does not give 348 observations");
  }
}

void Humanoid::reset_noise() {
  add_uniform_noise(data()->qpos, model()->nq, noise_scale_);
  add_uniform_noise(data()->qvel, model()->nv, noise_scale_);
}

void Humanoid::mass_center(double* xy) const {
  // The mass-weighted mean of the bodies' centres of mass (xipos).
  const mjModel* m = model();
  const mjData* d = data();
  double total = 0, x = 0, y = 0;
  for (int b = 0; b < m->nbody; ++b) {
    total += m->body_mass[b];
    x += m->body_mass[b] * d->xipos[3 * b];
    y += m->body_mass[b] * d->xipos[3 * b + 1];
  }
  xy[0] = x / total;
  xy[1] = y / total;
}

void Humanoid::write_obs(std::span<float> obs) {
  const mjModel* m = model();
  const mjData* d = data();
  size_t k = 0;
  for (int i = 2; i < m->nq; ++i) obs[k++] = static_cast<float>(d->qpos[i]);
  for (int i = 0; i < m->nv; ++i) obs[k++] = static_cast<float>(d->qvel[i]);
  for (int i = 10; i < 10 * m->nbody; ++i) obs[k++] = static_cast<float>(d->cinert[i]);
  for (int i = 6; i < 6 * m->nbody; ++i) obs[k++] = static_cast<float>(d->cvel[i]);
  for (int i = 6; i < m->nv; ++i) obs[k++] = static_cast<float>(d->qfrc_actuator[i]);
  for (int i = 6; i < 6 * m->nbody; ++i) obs[k++] = static_cast<float>(d->cfrc_ext[i]);
}

bool Humanoid::healthy() const {
  const double z = data()->qpos[2];
  return z > healthy_z_min_ && z < healthy_z_max_;
}

StepResult Humanoid::step(const Action& action, std::span<float> obs, std::span<float> info) {
  double before[2], after[2];
  mass_center(before);
  do_simulation(action.values);
  mass_center(after);
  const double vx = (after[0] - before[0]) / dt(), vy = (after[1] - before[1]) / dt();
  const bool is_healthy = healthy();
  double contact_sq = 0;
  for (int i = 0; i < 6 * model()->nbody; ++i) contact_sq += data()->cfrc_ext[i] * data()->cfrc_ext[i];
  const double forward = forward_weight_ * vx;
  const double ctrl = -ctrl_weight_ * squared_norm(action.values);
  const double contact = -std::min(contact_weight_ * contact_sq, contact_max_);
  const double survive = is_healthy ? healthy_reward_ : 0.0;
  write_obs(obs);
  // Positions are the torso's (qpos), velocities the mass centre's, as in Gymnasium's info.
  const double values[] = {forward, ctrl, contact, survive, data()->qpos[0], data()->qpos[1], vx, vy};
  for (size_t i = 0; i < 8; ++i) info[i] = static_cast<float>(values[i]);
  return {forward + ctrl + contact + survive, terminate_when_unhealthy_ && !is_healthy, false};
}

}  // namespace rl::envs
