// CartPole-v1 (Barto, Sutton and Anderson 1983, as defined by Gymnasium).
#pragma once

#include "rl/env/env.h"
#include "rl/env/env_options.h"
#include "rl/env/rng.h"

namespace rl::envs {

class CartPole final : public Env {
 public:
  // Cart position (m), cart velocity (m/s), pole angle (rad, 0 = upright),
  // pole angular velocity (rad/s).
  struct State {
    double x = 0, x_dot = 0, theta = 0, theta_dot = 0;
  };

  // Physical constants (SI) and limits.
  static constexpr double kGravity = 9.8;
  static constexpr double kCartMass = 1.0;
  static constexpr double kPoleMass = 0.1;
  static constexpr double kTotalMass = kCartMass + kPoleMass;
  static constexpr double kHalfPoleLength = 0.5;
  static constexpr double kPoleMassLength = kPoleMass * kHalfPoleLength;
  static constexpr double kForceMag = 10.0;
  static constexpr double kTau = 0.02;  // seconds per step
  static constexpr double kThetaThreshold = 12.0 * 2.0 * 3.14159265358979323846 / 360.0;
  static constexpr double kXThreshold = 2.4;

  // Options: sutton_barto_reward (bool): 0 per step and -1 on termination
  // instead of +1 per step.
  explicit CartPole(const EnvOptions& options);

  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override { return {}; }
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;
  bool render(Frame& frame) override;  // envs/classic/render.cc

  const State& state() const { return state_; }
  void set_state(const State& state) { state_ = state; }

 private:
  void write_obs(std::span<float> obs) const;

  Space observation_space_;
  Space action_space_;
  bool sutton_barto_reward_;
  State state_;
  Rng rng_;
};

}  // namespace rl::envs
