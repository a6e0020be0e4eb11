#include "rl/nn/fused_optim.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace rl {
namespace {

void check_sizes(const char* who, size_t state, size_t params, size_t grads) {
  if (params != state || grads != state) {
    throw std::invalid_argument(std::string(who) + ": " + std::to_string(params) + " parameters and " +
                                std::to_string(grads) + " gradients for an optimizer of " +
                                std::to_string(state));
  }
}

}  // namespace

FusedAdam::FusedAdam(int64_t size, AdamSettings settings)
    : settings_(settings), exp_avg_(size, 0.f), exp_avg_sq_(size, 0.f) {}

void FusedAdam::step(std::span<float> params, std::span<const float> grads) {
  check_sizes("FusedAdam::step", exp_avg_.size(), params.size(), grads.size());
  ++steps_;
  const double bias_correction1 = 1.0 - std::pow(settings_.beta1, double(steps_));
  const double bias_correction2 = 1.0 - std::pow(settings_.beta2, double(steps_));
  const float beta1 = float(settings_.beta1), beta2 = float(settings_.beta2);
  const float one_minus_beta1 = float(1.0 - settings_.beta1);
  const float one_minus_beta2 = float(1.0 - settings_.beta2);
  const float inv_sqrt_bc2 = float(1.0 / std::sqrt(bias_correction2));
  const float eps = float(settings_.eps);
  const float step_size = float(settings_.lr / bias_correction1);
  float* p = params.data();
  const float* g = grads.data();
  float* m = exp_avg_.data();
  float* v = exp_avg_sq_.data();
  const size_t n = params.size();
  for (size_t i = 0; i < n; ++i) {
    m[i] = m[i] * beta1 + one_minus_beta1 * g[i];
    v[i] = v[i] * beta2 + one_minus_beta2 * g[i] * g[i];
    const float denom = std::sqrt(v[i]) * inv_sqrt_bc2 + eps;
    p[i] -= step_size * m[i] / denom;
  }
}

FusedRmsProp::FusedRmsProp(int64_t size, RmsPropSettings settings)
    : settings_(settings), square_avg_(size, 0.f), momentum_buffer_(settings.momentum > 0 ? size : 0, 0.f) {}

void FusedRmsProp::step(std::span<float> params, std::span<const float> grads) {
  check_sizes("FusedRmsProp::step", square_avg_.size(), params.size(), grads.size());
  ++steps_;
  const float alpha = float(settings_.alpha), one_minus_alpha = float(1.0 - settings_.alpha);
  const float eps = float(settings_.eps), lr = float(settings_.lr);
  const float momentum = float(settings_.momentum);
  float* p = params.data();
  const float* g = grads.data();
  float* s = square_avg_.data();
  const size_t n = params.size();
  if (settings_.momentum > 0) {
    float* b = momentum_buffer_.data();
    for (size_t i = 0; i < n; ++i) {
      s[i] = s[i] * alpha + one_minus_alpha * g[i] * g[i];
      b[i] = b[i] * momentum + g[i] / (std::sqrt(s[i]) + eps);
      p[i] -= lr * b[i];
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      s[i] = s[i] * alpha + one_minus_alpha * g[i] * g[i];
      p[i] -= lr * (g[i] / (std::sqrt(s[i]) + eps));
    }
  }
}

double clip_grad_norm(std::span<float> grads, double max_norm) {
  double sum_sq = 0;
  for (float g : grads) sum_sq += double(g) * g;
  const double norm = std::sqrt(sum_sq);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    const float c = float(coef);
    for (float& g : grads) g *= c;
  }
  return norm;
}

}  // namespace rl
