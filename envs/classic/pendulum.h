// Pendulum-v1: swing a frictionless pendulum up and keep it upright
// (Gymnasium's definition).
#pragma once

#include "rl/env/env.h"
#include "rl/env/env_options.h"
#include "rl/env/rng.h"

namespace rl::envs {

class Pendulum final : public Env {
 public:
  // theta in rad (0 = upright, never wrapped in the state), theta_dot rad/s.
  struct State {
    double theta = 0, theta_dot = 0;
  };

  static constexpr double kMaxSpeed = 8.0;
  static constexpr double kMaxTorque = 2.0;
  static constexpr double kDt = 0.05;
  static constexpr double kMass = 1.0;
  static constexpr double kLength = 1.0;

  // Options: g (gravity, m/s^2, default 10.0).
  explicit Pendulum(const EnvOptions& options);

  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override { return {}; }
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;
  bool render(Frame& frame) override;  // envs/classic/render.cc

  const State& state() const { return state_; }
  void set_state(const State& state);

  // Angle wrapped into [-pi, pi) as Python's ((x + pi) % 2pi) - pi does.
  static double normalize_angle(double x);

 private:
  // Updates the cached sin/cos of theta (the next step's dynamics reuse the
  // sine: one trig call fewer per step) and writes the observation.
  void write_obs(std::span<float> obs);

  Space observation_space_;
  Space action_space_;
  double gravity_;
  State state_;
  double sin_theta_ = 0, cos_theta_ = 1;  // of state_.theta
  Rng rng_;
};

}  // namespace rl::envs
