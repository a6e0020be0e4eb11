// Acrobot-v1 (Sutton 1996; dynamics of Sutton and Barto's book, as defined by
// Gymnasium): swing the tip of a two-link pendulum above a line.
#pragma once

#include <array>

#include "rl/env/env.h"
#include "rl/env/env_options.h"
#include "rl/env/rng.h"

namespace rl::envs {

class Acrobot final : public Env {
 public:
  // theta1 (rad, 0 = link 1 hangs down), theta2 (rad, relative to link 1),
  // and their angular velocities.
  struct State {
    double theta1 = 0, theta2 = 0, dtheta1 = 0, dtheta2 = 0;
  };

  static constexpr double kDt = 0.2;
  static constexpr double kLinkLength1 = 1.0;
  static constexpr double kLinkMass1 = 1.0;
  static constexpr double kLinkMass2 = 1.0;
  static constexpr double kLinkCom1 = 0.5;  // centre of mass along link 1
  static constexpr double kLinkCom2 = 0.5;
  static constexpr double kLinkMoi = 1.0;   // moment of inertia of each link
  static constexpr double kGravity = 9.8;
  static constexpr double kMaxVel1 = 4.0 * 3.14159265358979323846;
  static constexpr double kMaxVel2 = 9.0 * 3.14159265358979323846;

  explicit Acrobot(const EnvOptions& options);

  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override { return {}; }
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;
  bool render(Frame& frame) override;  // envs/classic/render.cc

  const State& state() const { return state_; }
  void set_state(const State& state) { state_ = state; }

  // d(state)/dt under `torque` on the middle joint ("book" dynamics).
  static std::array<double, 4> derivatives(const std::array<double, 4>& s, double torque);

 private:
  void write_obs(std::span<float> obs) const;

  Space observation_space_;
  Space action_space_;
  State state_;
  Rng rng_;
};

}  // namespace rl::envs
