// IMPALA hyperparameters (defaults: TorchBeast's monobeast).
#pragma once

#include <stdexcept>
#include <string>

#include "rl/runtime/config.h"

namespace rl {

struct ImpalaConfig {
  double gamma = 0.99;             // discount
  double rho_bar = 1.0;            // V-trace clip of importance weights in the targets
  double c_bar = 1.0;              // V-trace clip of the trace coefficients
  double pg_rho_bar = 1.0;         // clip of the importance weights of the policy gradient
  double vtrace_lambda = 1.0;      // trace decay lambda (IMPALA remark 2; 1 in TorchBeast)
  double baseline_cost = 0.5;      // weight of 0.5 * (v_s - V)^2
  double entropy_cost = 0.0006;    // weight of the entropy bonus
  bool anneal_entropy = false;     // anneal it linearly to 0 over the run (the mode ends close to the samples)
  std::string optimizer = "rmsprop";  // rmsprop | adam
  double learning_rate = 4.8e-4;   // at the start
  bool anneal_lr = true;           // anneal the learning rate linearly to 0 over the run
  double rmsprop_alpha = 0.99;     // RMSProp smoothing constant
  double rmsprop_eps = 0.01;       // RMSProp epsilon (PyTorch placement: g / (sqrt(v) + eps))
  double rmsprop_momentum = 0.0;   // RMSProp momentum
  double adam_eps = 1e-5;          // Adam epsilon
  double max_grad_norm = 40.0;     // global gradient-norm clip
  std::string reward_clip = "none";  // none | abs_one (clamp to [-1, 1] inside the loss)
  std::string loss_reduction = "sum";  // sum (IMPALA) | mean over time and batch
  int unrolls_per_batch = 1;       // unrolls (of k envs each) per learner update

  void visit(ConfigFields& f) {
    f("gamma", gamma);
    f("rho_bar", rho_bar);
    f("c_bar", c_bar);
    f("pg_rho_bar", pg_rho_bar);
    f("vtrace_lambda", vtrace_lambda);
    f("baseline_cost", baseline_cost);
    f("entropy_cost", entropy_cost);
    f("anneal_entropy", anneal_entropy);
    f("optimizer", optimizer);
    f("learning_rate", learning_rate);
    f("anneal_lr", anneal_lr);
    f("rmsprop_alpha", rmsprop_alpha);
    f("rmsprop_eps", rmsprop_eps);
    f("rmsprop_momentum", rmsprop_momentum);
    f("adam_eps", adam_eps);
    f("max_grad_norm", max_grad_norm);
    f("reward_clip", reward_clip);
    f("loss_reduction", loss_reduction);
    f("unrolls_per_batch", unrolls_per_batch);
  }

  void validate() const {
    if (gamma < 0 || gamma > 1) throw std::invalid_argument("impala.gamma must be in [0, 1], got " + std::to_string(gamma));
    if (!(rho_bar > 0) || !(c_bar > 0) || !(pg_rho_bar > 0)) {
      throw std::invalid_argument("impala.rho_bar, c_bar and pg_rho_bar must be positive");
    }
    if (vtrace_lambda < 0 || vtrace_lambda > 1) throw std::invalid_argument("impala.vtrace_lambda must be in [0, 1]");
    if (baseline_cost < 0 || entropy_cost < 0) throw std::invalid_argument("impala.baseline_cost and entropy_cost must be >= 0");
    if (optimizer != "rmsprop" && optimizer != "adam") {
      throw std::invalid_argument("impala.optimizer: '" + optimizer + "' is not one of rmsprop, adam");
    }
    if (!(learning_rate > 0)) throw std::invalid_argument("impala.learning_rate must be positive");
    if (!(max_grad_norm > 0)) throw std::invalid_argument("impala.max_grad_norm must be positive");
    if (reward_clip != "none" && reward_clip != "abs_one") {
      throw std::invalid_argument("impala.reward_clip: '" + reward_clip + "' is not one of none, abs_one");
    }
    if (loss_reduction != "sum" && loss_reduction != "mean") {
      throw std::invalid_argument("impala.loss_reduction: '" + loss_reduction + "' is not one of sum, mean");
    }
    if (unrolls_per_batch <= 0) throw std::invalid_argument("impala.unrolls_per_batch must be positive");
  }
};

}  // namespace rl
