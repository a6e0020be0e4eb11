#include "envs/classic/cartpole.h"

#include <cmath>
#include <limits>

namespace rl::envs {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

CartPole::CartPole(const EnvOptions& options)
    : observation_space_(Space::box(
          {4}, {-2 * kXThreshold, -kInf, -2 * kThetaThreshold, -kInf},
          {2 * kXThreshold, kInf, 2 * kThetaThreshold, kInf})),
      action_space_(Space::discrete(2)),
      sutton_barto_reward_(options.get_bool("sutton_barto_reward")) {}

void CartPole::write_obs(std::span<float> obs) const {
  obs[0] = static_cast<float>(state_.x);
  obs[1] = static_cast<float>(state_.x_dot);
  obs[2] = static_cast<float>(state_.theta);
  obs[3] = static_cast<float>(state_.theta_dot);
}

void CartPole::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  if (seed) rng_.reseed(*seed);
  state_.x = rng_.uniform(-0.05, 0.05);
  state_.x_dot = rng_.uniform(-0.05, 0.05);
  state_.theta = rng_.uniform(-0.05, 0.05);
  state_.theta_dot = rng_.uniform(-0.05, 0.05);
  write_obs(obs);
}

StepResult CartPole::step(const Action& action, std::span<float> obs, std::span<float>) {
  const double force = action.index == 1 ? kForceMag : -kForceMag;
  const double cos_theta = std::cos(state_.theta);
  const double sin_theta = std::sin(state_.theta);
  const double temp =
      (force + kPoleMassLength * state_.theta_dot * state_.theta_dot * sin_theta) / kTotalMass;
  const double theta_acc =
      (kGravity * sin_theta - cos_theta * temp) /
      (kHalfPoleLength * (4.0 / 3.0 - kPoleMass * cos_theta * cos_theta / kTotalMass));
  const double x_acc = temp - kPoleMassLength * theta_acc * cos_theta / kTotalMass;

  // Explicit Euler: every right-hand side uses the state before the step.
  state_.x += kTau * state_.x_dot;
  state_.x_dot += kTau * x_acc;
  state_.theta += kTau * state_.theta_dot;
  state_.theta_dot += kTau * theta_acc;
  write_obs(obs);

  const bool terminated = state_.x < -kXThreshold || state_.x > kXThreshold ||
                          state_.theta < -kThetaThreshold || state_.theta > kThetaThreshold;
  const double reward = sutton_barto_reward_ ? (terminated ? -1.0 : 0.0) : 1.0;
  return {reward, terminated, false};
}

}  // namespace rl::envs
