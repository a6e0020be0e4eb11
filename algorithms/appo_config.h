// APPO hyperparameters: asynchronous PPO on V-trace targets, as Sample
// Factory runs it (defaults: its cfg.py and docs: the
// clipped surrogate on pi/mu with the range [1/(1+e), 1+e], e = 0.1, an
// absolute value clip of 1.0, Adam at 1e-4, gradient clip 4, entropy 0.003,
// one epoch of one minibatch per batch).
#pragma once

#include <stdexcept>
#include <string>

#include "algorithms/ppo_config.h"
#include "algorithms/returns.h"
#include "rl/runtime/config.h"

namespace rl {

struct AppoConfig {
  double gamma = 0.99;           // discount
  double rho_bar = 1.0;          // V-trace clip of importance weights in the targets
  double c_bar = 1.0;            // V-trace clip of the trace coefficients
  double pg_rho_bar = 1.0;       // clip of the importance weight inside the advantages
  double vtrace_lambda = 1.0;    // trace decay (1: Sample Factory)
  double learning_rate = 1e-4;   // Adam learning rate at the start
  bool anneal_lr = false;        // anneal it linearly to 0 over the run
  double adam_eps = 1e-6;        // Adam epsilon
  int update_epochs = 1;         // passes over each batch
  int num_minibatches = 1;       // minibatches per pass (disjoint, shuffled)
  double clip_coef = 0.1;        // surrogate clip epsilon
  bool anneal_clip = false;      // anneal it linearly to 0
  std::string ratio_clip = "reciprocal";  // reciprocal [1/(1+e), 1+e] | symmetric [1-e, 1+e]
  bool clip_vloss = true;        // clip the value loss around the value at the start of the update
  double value_clip = 1.0;       // absolute bound of V - V_old (0: clip_coef)
  double ent_coef = 0.003;       // entropy bonus weight
  bool anneal_ent = false;       // anneal it linearly to 0 (the mode ends close to the samples)
  double vf_coef = 1.0;          // weight of 0.5 * squared error (Sample Factory's 0.5 on the plain error)
  double max_grad_norm = 4.0;    // global gradient-norm clip
  bool norm_adv = true;          // normalize advantages per minibatch
  double target_kl = 0.0;        // stop the epochs once approx KL exceeds this (0: off)
  std::string reward_clip = "none";  // none | abs_one
  int unrolls_per_batch = 1;     // unrolls (of k envs each) per learner update

  void visit(ConfigFields& f) {
    f("gamma", gamma);
    f("rho_bar", rho_bar);
    f("c_bar", c_bar);
    f("pg_rho_bar", pg_rho_bar);
    f("vtrace_lambda", vtrace_lambda);
    f("learning_rate", learning_rate);
    f("anneal_lr", anneal_lr);
    f("adam_eps", adam_eps);
    f("update_epochs", update_epochs);
    f("num_minibatches", num_minibatches);
    f("clip_coef", clip_coef);
    f("anneal_clip", anneal_clip);
    f("ratio_clip", ratio_clip);
    f("clip_vloss", clip_vloss);
    f("value_clip", value_clip);
    f("ent_coef", ent_coef);
    f("anneal_ent", anneal_ent);
    f("vf_coef", vf_coef);
    f("max_grad_norm", max_grad_norm);
    f("norm_adv", norm_adv);
    f("target_kl", target_kl);
    f("reward_clip", reward_clip);
    f("unrolls_per_batch", unrolls_per_batch);
  }

  // The settings of the PPO update that runs on the V-trace targets.
  PpoConfig update_config() const {
    PpoConfig c;
    c.gamma = gamma;
    c.learning_rate = learning_rate;
    c.anneal_lr = anneal_lr;
    c.adam_eps = adam_eps;
    c.update_epochs = update_epochs;
    c.num_minibatches = num_minibatches;
    c.clip_coef = clip_coef;
    c.anneal_clip = anneal_clip;
    c.ratio_clip = ratio_clip;
    c.clip_vloss = clip_vloss;
    c.value_clip = value_clip;
    c.ent_coef = ent_coef;
    c.anneal_ent = anneal_ent;
    c.vf_coef = vf_coef;
    c.max_grad_norm = max_grad_norm;
    c.norm_adv = norm_adv;
    c.target_kl = target_kl;
    return c;
  }
  VtraceParams vtrace_params() const { return {rho_bar, c_bar, pg_rho_bar, vtrace_lambda}; }

  void validate() const {
    if (gamma < 0 || gamma > 1) throw std::invalid_argument("appo.gamma must be in [0, 1], got " + std::to_string(gamma));
    if (!(rho_bar > 0) || !(c_bar > 0) || !(pg_rho_bar > 0)) {
      throw std::invalid_argument("appo.rho_bar, c_bar and pg_rho_bar must be positive");
    }
    if (vtrace_lambda < 0 || vtrace_lambda > 1) throw std::invalid_argument("appo.vtrace_lambda must be in [0, 1]");
    if (reward_clip != "none" && reward_clip != "abs_one") {
      throw std::invalid_argument("appo.reward_clip: '" + reward_clip + "' is not one of none, abs_one");
    }
    if (unrolls_per_batch <= 0) throw std::invalid_argument("appo.unrolls_per_batch must be positive");
    try {
      update_config().validate();
    } catch (const std::invalid_argument& e) {
      // The PPO checks name ppo.*; the user wrote appo.*.
      std::string message = e.what();
      for (size_t at = message.find("ppo."); at != std::string::npos; at = message.find("ppo.", at + 5)) {
        message.insert(at, "a");
      }
      throw std::invalid_argument(message);
    }
  }
};

}  // namespace rl
