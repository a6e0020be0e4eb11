// The MuJoCo control tasks: InvertedPendulum-v5, InvertedDoublePendulum-v5
// and Reacher-v5 (Gymnasium's definitions, docs/envs.md). Options are
// Gymnasium's constructor arguments.
#pragma once

#include "envs/mujoco/mujoco_env.h"

namespace rl::envs {

// Keep a pole upright on a cart: reward 1 per step while |angle| <= 0.2
// (0 on the terminating step). Options: reset_noise_scale.
class InvertedPendulum final : public MujocoEnv {
 public:
  explicit InvertedPendulum(const EnvOptions& options);
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;

 private:
  void reset_noise() override;
  void write_obs(std::span<float> obs) override;
  CameraView camera_view() const override { return CameraView{.lookat = {0, 0, 0.2}, .distance = 2.5, .elevation = 0}; }

  double noise_scale_;
};

// Keep two stacked poles upright: reward 10 while the pole tip is above
// z = 1, minus 0.01 x^2 + (z - 2)^2 of the tip and 1e-3 w1^2 + 5e-3 w2^2 of
// the hinge velocities. Options: healthy_reward, reset_noise_scale.
// Info terms: reward_survive, reward_distance, reward_velocity (the last
// two are Gymnasium's distance_penalty and velocity_penalty, negated).
class InvertedDoublePendulum final : public MujocoEnv {
 public:
  explicit InvertedDoublePendulum(const EnvOptions& options);
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;

 private:
  void reset_noise() override;
  void write_obs(std::span<float> obs) override;
  CameraView camera_view() const override { return CameraView{.lookat = {0, 0, 0.5}, .distance = 4, .elevation = 0}; }

  double healthy_reward_, noise_scale_;
  int tip_site_;
};

// Move a two-link arm's fingertip to a random target: reward
// -|fingertip - target| - |a|^2, 50 steps. Options: reward_dist_weight,
// reward_control_weight, reset_noise_scale.
class Reacher final : public MujocoEnv {
 public:
  explicit Reacher(const EnvOptions& options);
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;

 private:
  void reset_noise() override;
  void write_obs(std::span<float> obs) override;
  CameraView camera_view() const override { return CameraView{.lookat = {0, 0, 0}, .distance = 0.9, .elevation = -90}; }

  double dist_weight_, control_weight_, noise_scale_;
  int fingertip_body_, target_body_;
};

}  // namespace rl::envs
