// The MuJoCo locomotion envs: HalfCheetah-v5, Hopper-v5, Walker2d-v5,
// Swimmer-v5, Ant-v5, Humanoid-v5 (Gymnasium's definitions, docs/envs.md). Their options are Gymnasium's
// constructor arguments of the same names.
#pragma once

#include "envs/mujoco/mujoco_env.h"

namespace rl::envs {

// Reward 1.0 * x velocity - 0.1 * |a|^2; never terminates.
// Options: forward_reward_weight, ctrl_cost_weight, reset_noise_scale.
class HalfCheetah final : public MujocoEnv {
 public:
  explicit HalfCheetah(const EnvOptions& options);
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;

 private:
  void reset_noise() override;
  void write_obs(std::span<float> obs) override;

  double forward_weight_, ctrl_weight_, noise_scale_;
};

// Hopper and Walker2d: reward x velocity + healthy_reward while healthy -
// ctrl_cost_weight * |a|^2; the episode terminates once unhealthy (torso
// height or pitch out of range). Options: forward_reward_weight,
// ctrl_cost_weight, healthy_reward, terminate_when_unhealthy,
// reset_noise_scale.
class PlanarWalker : public MujocoEnv {
 public:
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;
  virtual bool healthy() const = 0;

 protected:
  PlanarWalker(const std::string& asset, int64_t obs_size, const EnvOptions& options);

 private:
  void reset_noise() override;
  void write_obs(std::span<float> obs) override;

  double forward_weight_, ctrl_weight_, healthy_reward_, noise_scale_;
  bool terminate_when_unhealthy_;
  double initial_height_;
};

// Healthy: every qpos[2:] and qvel entry in (-100, 100), torso height > 0.7,
// pitch in (-0.2, 0.2).
class Hopper final : public PlanarWalker {
 public:
  explicit Hopper(const EnvOptions& options);
  bool healthy() const override;
};

// Healthy: torso height in (0.8, 2.0), pitch in (-1, 1).
class Walker2d final : public PlanarWalker {
 public:
  explicit Walker2d(const EnvOptions& options);
  bool healthy() const override;
};

// Reward 1.0 * x velocity - 1e-4 * |a|^2 in a viscous medium; never
// terminates. Options: forward_reward_weight, ctrl_cost_weight,
// reset_noise_scale.
class Swimmer final : public MujocoEnv {
 public:
  explicit Swimmer(const EnvOptions& options);
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;

 private:
  void reset_noise() override;
  void write_obs(std::span<float> obs) override;
  CameraView camera_view() const override { return CameraView{.track_body = 1, .distance = 3, .elevation = -60}; }

  double forward_weight_, ctrl_weight_, noise_scale_;
};

// A quadruped on a free joint. Reward x velocity of the torso + 1 while
// healthy - 0.5 |a|^2 - 5e-4 * sum of the squared external contact forces
// (each clipped to [-1, 1]); terminates once the torso height leaves
// [0.2, 1.0] or the state is not finite. Observations include the clipped
// contact forces of the 13 bodies (105 floats). Options:
// forward_reward_weight, ctrl_cost_weight, contact_cost_weight,
// healthy_reward, terminate_when_unhealthy, healthy_z_min, healthy_z_max,
// contact_force_max, reset_noise_scale.
class Ant final : public MujocoEnv {
 public:
  explicit Ant(const EnvOptions& options);
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;
  bool healthy() const;

 private:
  void reset_noise() override;
  void write_obs(std::span<float> obs) override;
  CameraView camera_view() const override { return CameraView{.track_body = 1, .distance = 6, .elevation = -30}; }
  double clipped_force(int index) const;  // cfrc_ext entry, clipped

  double forward_weight_, ctrl_weight_, contact_weight_, healthy_reward_;
  bool terminate_when_unhealthy_;
  double healthy_z_min_, healthy_z_max_, contact_force_max_, noise_scale_;
};

// A 3D humanoid. Reward 1.25 * x velocity of the centre of mass + 5 while
// healthy - 0.1 |a|^2 - min(5e-7 * sum of the squared external contact
// forces, 10); terminates once the torso height leaves (1, 2). Observations
// (348): qpos without x and y, qvel, cinert, cvel, qfrc_actuator of the
// actuated joints and cfrc_ext, every body but the world. Options:
// forward_reward_weight, ctrl_cost_weight, contact_cost_weight,
// contact_cost_max, healthy_reward, terminate_when_unhealthy,
// healthy_z_min, healthy_z_max, reset_noise_scale.
class Humanoid final : public MujocoEnv {
 public:
  explicit Humanoid(const EnvOptions& options);
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;
  bool healthy() const;

 private:
  void reset_noise() override;
  void write_obs(std::span<float> obs) override;
  CameraView camera_view() const override { return CameraView{.track_body = 1, .distance = 5}; }
  void mass_center(double* xy) const;

  double forward_weight_, ctrl_weight_, contact_weight_, contact_max_, healthy_reward_;
  bool terminate_when_unhealthy_;
  double healthy_z_min_, healthy_z_max_, noise_scale_;
};

}  // namespace rl::envs
