#include "envs/classic/acrobot.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace rl::envs {
namespace {

constexpr double kPi = std::numbers::pi;

// Into [-pi, pi] by whole turns, as Gymnasium's wrap() does.
double wrap_angle(double x) {
  while (x > kPi) x -= 2 * kPi;
  while (x < -kPi) x += 2 * kPi;
  return x;
}

std::array<double, 4> axpy(const std::array<double, 4>& y, double a, const std::array<double, 4>& x) {
  return {y[0] + a * x[0], y[1] + a * x[1], y[2] + a * x[2], y[3] + a * x[3]};
}

}  // namespace

Acrobot::Acrobot(const EnvOptions&)
    : observation_space_(Space::box({6},
                                    {-1.f, -1.f, -1.f, -1.f, static_cast<float>(-kMaxVel1),
                                     static_cast<float>(-kMaxVel2)},
                                    {1.f, 1.f, 1.f, 1.f, static_cast<float>(kMaxVel1),
                                     static_cast<float>(kMaxVel2)})),
      action_space_(Space::discrete(3)) {}

std::array<double, 4> Acrobot::derivatives(const std::array<double, 4>& s, double torque) {
  constexpr double m1 = kLinkMass1, m2 = kLinkMass2, l1 = kLinkLength1;
  constexpr double lc1 = kLinkCom1, lc2 = kLinkCom2, I1 = kLinkMoi, I2 = kLinkMoi, g = kGravity;
  const double theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3];
  const double d1 =
      m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * std::cos(theta2)) + I1 + I2;
  const double d2 = m2 * (lc2 * lc2 + l1 * lc2 * std::cos(theta2)) + I2;
  const double phi2 = m2 * lc2 * g * std::cos(theta1 + theta2 - kPi / 2);
  const double phi1 = -m2 * l1 * lc2 * dtheta2 * dtheta2 * std::sin(theta2) -
                      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * std::sin(theta2) +
                      (m1 * lc1 + m2 * l1) * g * std::cos(theta1 - kPi / 2) + phi2;
  const double ddtheta2 =
      (torque + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1 * dtheta1 * std::sin(theta2) - phi2) /
      (m2 * lc2 * lc2 + I2 - d2 * d2 / d1);
  const double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  return {dtheta1, dtheta2, ddtheta1, ddtheta2};
}

void Acrobot::write_obs(std::span<float> obs) const {
  obs[0] = static_cast<float>(std::cos(state_.theta1));
  obs[1] = static_cast<float>(std::sin(state_.theta1));
  obs[2] = static_cast<float>(std::cos(state_.theta2));
  obs[3] = static_cast<float>(std::sin(state_.theta2));
  obs[4] = static_cast<float>(state_.dtheta1);
  obs[5] = static_cast<float>(state_.dtheta2);
}

void Acrobot::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  if (seed) rng_.reseed(*seed);
  state_.theta1 = rng_.uniform(-0.1, 0.1);
  state_.theta2 = rng_.uniform(-0.1, 0.1);
  state_.dtheta1 = rng_.uniform(-0.1, 0.1);
  state_.dtheta2 = rng_.uniform(-0.1, 0.1);
  write_obs(obs);
}

StepResult Acrobot::step(const Action& action, std::span<float> obs, std::span<float>) {
  const double torque = static_cast<double>(action.index - 1);  // {-1, 0, +1}
  // One classic RK4 step of length dt with the torque held constant.
  const std::array<double, 4> y0{state_.theta1, state_.theta2, state_.dtheta1, state_.dtheta2};
  const auto k1 = derivatives(y0, torque);
  const auto k2 = derivatives(axpy(y0, kDt / 2, k1), torque);
  const auto k3 = derivatives(axpy(y0, kDt / 2, k2), torque);
  const auto k4 = derivatives(axpy(y0, kDt, k3), torque);
  std::array<double, 4> y;
  for (int i = 0; i < 4; ++i) y[i] = y0[i] + kDt / 6.0 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);

  state_.theta1 = wrap_angle(y[0]);
  state_.theta2 = wrap_angle(y[1]);
  state_.dtheta1 = std::clamp(y[2], -kMaxVel1, kMaxVel1);
  state_.dtheta2 = std::clamp(y[3], -kMaxVel2, kMaxVel2);
  write_obs(obs);

  // The tip is more than one link length above the pivot.
  const bool terminated = -std::cos(state_.theta1) - std::cos(state_.theta2 + state_.theta1) > 1.0;
  return {terminated ? 0.0 : -1.0, terminated, false};
}

}  // namespace rl::envs
