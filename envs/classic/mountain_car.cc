#include "envs/classic/mountain_car.h"

#include <algorithm>
#include <cmath>

namespace rl::envs {
namespace {

Space mountain_car_observation_space() {
  return Space::box({2},
                    {static_cast<float>(kMountainCarMinPosition),
                     static_cast<float>(-kMountainCarMaxSpeed)},
                    {static_cast<float>(kMountainCarMaxPosition),
                     static_cast<float>(kMountainCarMaxSpeed)});
}

// The dynamics both variants share, given the engine's velocity change:
// gravity along the slope (height 0.45 sin(3x) + 0.55), speed and position
// limits, and an inelastic wall on the left only.
void advance(MountainCarState& state, double engine) {
  state.velocity += engine - kMountainCarGravity * std::cos(3.0 * state.position);
  state.velocity = std::clamp(state.velocity, -kMountainCarMaxSpeed, kMountainCarMaxSpeed);
  state.position += state.velocity;
  state.position = std::clamp(state.position, kMountainCarMinPosition, kMountainCarMaxPosition);
  if (state.position == kMountainCarMinPosition && state.velocity < 0) state.velocity = 0;
}

void reset_state(MountainCarState& state, Rng& rng, std::optional<uint64_t> seed,
                 std::span<float> obs) {
  if (seed) rng.reseed(*seed);
  state.position = rng.uniform(-0.6, -0.4);
  state.velocity = 0.0;
  obs[0] = static_cast<float>(state.position);
  obs[1] = static_cast<float>(state.velocity);
}

}  // namespace

MountainCar::MountainCar(const EnvOptions& options)
    : observation_space_(mountain_car_observation_space()),
      action_space_(Space::discrete(3)),
      goal_velocity_(options.get_double("goal_velocity")) {}

void MountainCar::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  reset_state(state_, rng_, seed, obs);
}

StepResult MountainCar::step(const Action& action, std::span<float> obs, std::span<float>) {
  advance(state_, static_cast<double>(action.index - 1) * kForce);
  obs[0] = static_cast<float>(state_.position);
  obs[1] = static_cast<float>(state_.velocity);
  const bool terminated = state_.position >= kGoalPosition && state_.velocity >= goal_velocity_;
  return {-1.0, terminated, false};
}

MountainCarContinuous::MountainCarContinuous(const EnvOptions& options)
    : observation_space_(mountain_car_observation_space()),
      action_space_(Space::box({1}, -1.f, 1.f)),
      goal_velocity_(options.get_double("goal_velocity")) {}

void MountainCarContinuous::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  reset_state(state_, rng_, seed, obs);
}

StepResult MountainCarContinuous::step(const Action& action, std::span<float> obs,
                                       std::span<float>) {
  const double raw = action.values[0];
  advance(state_, std::clamp(raw, -1.0, 1.0) * kPower);
  // Gymnasium keeps this env's state as float32 between steps.
  state_.position = static_cast<float>(state_.position);
  state_.velocity = static_cast<float>(state_.velocity);
  obs[0] = static_cast<float>(state_.position);
  obs[1] = static_cast<float>(state_.velocity);
  const bool terminated = state_.position >= kGoalPosition && state_.velocity >= goal_velocity_;
  // The control cost uses the unclipped action.
  const double reward = (terminated ? 100.0 : 0.0) - 0.1 * raw * raw;
  return {reward, terminated, false};
}

}  // namespace rl::envs
