#include "examples/custom_env/point_mass.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace point_mass {

PointMassEnv::PointMassEnv(const rl::EnvOptions& options)
    // Observation: position (2), velocity (2), goal (2).
    : observation_space_(rl::Space::box({6}, -std::numeric_limits<float>::infinity(),
                                        std::numeric_limits<float>::infinity())),
      action_space_(rl::Space::box({2}, -1.f, 1.f)),
      control_cost_(options.get_double("control_cost")) {}

void PointMassEnv::write_obs(std::span<float> obs) const {
  obs[0] = static_cast<float>(position_[0]);
  obs[1] = static_cast<float>(position_[1]);
  obs[2] = static_cast<float>(velocity_[0]);
  obs[3] = static_cast<float>(velocity_[1]);
  obs[4] = static_cast<float>(goal_[0]);
  obs[5] = static_cast<float>(goal_[1]);
}

double PointMassEnv::distance() const {
  return std::hypot(position_[0] - goal_[0], position_[1] - goal_[1]);
}

void PointMassEnv::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  if (seed) rng_.reseed(*seed);
  for (int d = 0; d < 2; ++d) {
    position_[d] = rng_.uniform(-0.8, 0.8);
    velocity_[d] = 0.0;
    goal_[d] = rng_.uniform(-0.8, 0.8);
  }
  write_obs(obs);
}

rl::StepResult PointMassEnv::step(const rl::Action& action, std::span<float> obs,
                                  std::span<float> info) {
  double force_squared = 0;
  for (int d = 0; d < 2; ++d) {
    const double force = std::clamp(static_cast<double>(action.values[d]), -1.0, 1.0);
    force_squared += force * force;
    velocity_[d] += (force / kMass - kFriction * velocity_[d]) * kDt;
    position_[d] += velocity_[d] * kDt;
    // Walls stop the puck.
    if (std::abs(position_[d]) > kArena) {
      position_[d] = std::copysign(kArena, position_[d]);
      velocity_[d] = 0.0;
    }
  }
  write_obs(obs);
  const double reward_distance = -distance();
  const double reward_ctrl = -control_cost_ * force_squared;
  info[0] = static_cast<float>(reward_distance);
  info[1] = static_cast<float>(reward_ctrl);
  const bool reached = distance() < kGoalRadius;
  return {reward_distance + reward_ctrl, reached, false};
}

void register_point_mass(rl::EnvRegistry& registry) {
  registry.add({.id = "PointMass-v0",
                .factory = [](const rl::EnvOptions& options) -> std::unique_ptr<rl::Env> {
                  return std::make_unique<PointMassEnv>(options);
                },
                .default_options = {{"control_cost", "0.01"}},
                .max_episode_steps = 200,
                .reward_threshold = -15.0,
                .description = "push a puck to a random goal; Box(2) force"});
}

}  // namespace point_mass
