// MountainCar-v0 (discrete) and MountainCarContinuous-v0 (Moore 1990, as
// defined by Gymnasium): drive an underpowered car up a hill.
#pragma once

#include "rl/env/env.h"
#include "rl/env/env_options.h"
#include "rl/env/rng.h"

namespace rl::envs {

// Position (m) and velocity (m/step) of the car, shared by both variants.
struct MountainCarState {
  double position = 0, velocity = 0;
};

inline constexpr double kMountainCarMinPosition = -1.2;
inline constexpr double kMountainCarMaxPosition = 0.6;
inline constexpr double kMountainCarMaxSpeed = 0.07;
inline constexpr double kMountainCarGravity = 0.0025;

class MountainCar final : public Env {
 public:
  static constexpr double kForce = 0.001;
  static constexpr double kGoalPosition = 0.5;

  // Options: goal_velocity (default 0).
  explicit MountainCar(const EnvOptions& options);

  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override { return {}; }
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;
  bool render(Frame& frame) override;  // envs/classic/render.cc

  const MountainCarState& state() const { return state_; }
  void set_state(const MountainCarState& state) { state_ = state; }

 private:
  Space observation_space_;
  Space action_space_;
  double goal_velocity_;
  MountainCarState state_;
  Rng rng_;
};

class MountainCarContinuous final : public Env {
 public:
  static constexpr double kPower = 0.0015;
  static constexpr double kGoalPosition = 0.45;

  // Options: goal_velocity (default 0).
  explicit MountainCarContinuous(const EnvOptions& options);

  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override { return {}; }
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;
  bool render(Frame& frame) override;  // envs/classic/render.cc

  const MountainCarState& state() const { return state_; }
  void set_state(const MountainCarState& state) { state_ = state; }

 private:
  Space observation_space_;
  Space action_space_;
  double goal_velocity_;
  MountainCarState state_;
  Rng rng_;
};

}  // namespace rl::envs
