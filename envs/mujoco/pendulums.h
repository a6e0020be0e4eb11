// The MuJoCo pendulums: InvertedPendulum-v5 (Gymnasium's definition,
// docs/envs.md). Options are Gymnasium's constructor arguments.
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

  double noise_scale_;
};

}  // namespace rl::envs
