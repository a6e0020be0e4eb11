// PointMass-v0: a worked example of a user env, outside the framework.
//
// A puck on a square table, pushed by a 2D force, must reach a goal drawn at
// random each episode. It uses only the public env interface (rl::env),
// so it builds against an installed rl package without libtorch.
#pragma once

#include <array>
#include <string>

#include "rl/env/env.h"
#include "rl/env/env_options.h"
#include "rl/env/registry.h"
#include "rl/env/rng.h"

namespace point_mass {

class PointMassEnv final : public rl::Env {
 public:
  static constexpr double kDt = 0.05;       // seconds per step
  static constexpr double kMass = 1.0;      // kg
  static constexpr double kFriction = 0.5;  // velocity damping, 1/s
  static constexpr double kArena = 1.0;     // the table is [-1, 1]^2 m
  static constexpr double kGoalRadius = 0.05;

  // Options: control_cost (weight of |force|^2 in the reward).
  explicit PointMassEnv(const rl::EnvOptions& options);

  const rl::Space& observation_space() const override { return observation_space_; }
  const rl::Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override { return info_keys_; }
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  rl::StepResult step(const rl::Action& action, std::span<float> obs,
                      std::span<float> info) override;

 private:
  void write_obs(std::span<float> obs) const;
  double distance() const;

  rl::Space observation_space_;
  rl::Space action_space_;
  std::array<std::string, 2> info_keys_{"reward_distance", "reward_ctrl"};
  double control_cost_;
  std::array<double, 2> position_{}, velocity_{}, goal_{};
  rl::Rng rng_;
};

// Registers "PointMass-v0" (200 steps, solved at -15).
void register_point_mass(rl::EnvRegistry& registry);

}  // namespace point_mass
