#include "envs/classic/pendulum.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace rl::envs {

Pendulum::Pendulum(const EnvOptions& options)
    : observation_space_(Space::box({3}, {-1.f, -1.f, -8.f}, {1.f, 1.f, 8.f})),
      action_space_(Space::box({1}, -2.f, 2.f)),
      gravity_(options.get_double("g")) {}

double Pendulum::normalize_angle(double x) {
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  const double shifted = x + std::numbers::pi;
  return shifted - kTwoPi * std::floor(shifted / kTwoPi) - std::numbers::pi;
}

void Pendulum::set_state(const State& state) {
  state_ = state;
  sin_theta_ = std::sin(state_.theta);
  cos_theta_ = std::cos(state_.theta);
}

void Pendulum::write_obs(std::span<float> obs) {
  sin_theta_ = std::sin(state_.theta);
  cos_theta_ = std::cos(state_.theta);
  obs[0] = static_cast<float>(cos_theta_);
  obs[1] = static_cast<float>(sin_theta_);
  obs[2] = static_cast<float>(state_.theta_dot);
}

void Pendulum::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  if (seed) rng_.reseed(*seed);
  state_.theta = rng_.uniform(-std::numbers::pi, std::numbers::pi);
  state_.theta_dot = rng_.uniform(-1.0, 1.0);
  write_obs(obs);
}

StepResult Pendulum::step(const Action& action, std::span<float> obs, std::span<float>) {
  const double u = std::clamp(static_cast<double>(action.values[0]), -kMaxTorque, kMaxTorque);
  const double theta = state_.theta;
  const double theta_dot = state_.theta_dot;
  // The cost is of the state before the update.
  const double angle = normalize_angle(theta);
  const double cost = angle * angle + 0.1 * theta_dot * theta_dot + 0.001 * u * u;

  // Semi-implicit Euler: the new velocity moves the angle.
  double new_theta_dot =
      theta_dot + (3.0 * gravity_ / (2.0 * kLength) * sin_theta_ +
                   3.0 / (kMass * kLength * kLength) * u) *
                      kDt;
  new_theta_dot = std::clamp(new_theta_dot, -kMaxSpeed, kMaxSpeed);
  state_.theta = theta + new_theta_dot * kDt;
  state_.theta_dot = new_theta_dot;
  write_obs(obs);
  return {-cost, false, false};
}

}  // namespace rl::envs
