// Optimizers over one flat parameter buffer: one loop per step instead of a
// handful of tensor operations per parameter. They follow libtorch 1.13's
// Adam and RMSprop update rules operation for operation (tests compare them
// step by step), so a run can switch between the paths and checkpoints hold
// the same state either way.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rl {

struct AdamSettings {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

class FusedAdam {
 public:
  FusedAdam(int64_t size, AdamSettings settings);

  // m = b1 m + (1 - b1) g ;  v = b2 v + (1 - b2) g^2 ;
  // p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
  void step(std::span<float> params, std::span<const float> grads);

  void set_lr(double lr) { settings_.lr = lr; }
  const AdamSettings& settings() const { return settings_; }
  int64_t steps() const { return steps_; }
  std::vector<float>& exp_avg() { return exp_avg_; }
  std::vector<float>& exp_avg_sq() { return exp_avg_sq_; }
  void set_steps(int64_t steps) { steps_ = steps; }

 private:
  AdamSettings settings_;
  int64_t steps_ = 0;
  std::vector<float> exp_avg_, exp_avg_sq_;
};

struct RmsPropSettings {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, momentum = 0;
};

class FusedRmsProp {
 public:
  FusedRmsProp(int64_t size, RmsPropSettings settings);

  // s = a s + (1 - a) g^2 ;  u = g / (sqrt(s) + eps) ;
  // with momentum: b = mu b + u, p -= lr b ; without: p -= lr u
  void step(std::span<float> params, std::span<const float> grads);

  void set_lr(double lr) { settings_.lr = lr; }
  const RmsPropSettings& settings() const { return settings_; }
  int64_t steps() const { return steps_; }
  std::vector<float>& square_avg() { return square_avg_; }
  std::vector<float>& momentum_buffer() { return momentum_buffer_; }
  void set_steps(int64_t steps) { steps_ = steps; }

 private:
  RmsPropSettings settings_;
  int64_t steps_ = 0;
  std::vector<float> square_avg_, momentum_buffer_;
};

// Scales `grads` so that their global L2 norm is at most max_norm (like
// torch::nn::utils::clip_grad_norm_, with its 1e-6 in the denominator).
// Returns the norm before clipping.
double clip_grad_norm(std::span<float> grads, double max_norm);

}  // namespace rl
