// PPO hyperparameters (defaults: CleanRL's ppo.py).
#pragma once

#include <stdexcept>
#include <string>

#include "rl/runtime/config.h"

namespace rl {

struct PpoConfig {
  double gamma = 0.99;           // discount
  double gae_lambda = 0.95;      // GAE lambda
  double learning_rate = 2.5e-4; // Adam learning rate at the start
  bool anneal_lr = true;         // anneal the learning rate linearly to 0 over the run
  double adam_eps = 1e-5;        // Adam epsilon
  int update_epochs = 4;         // passes over each batch
  int num_minibatches = 4;       // minibatches per pass (disjoint, shuffled)
  double clip_coef = 0.2;        // surrogate clip epsilon
  bool anneal_clip = false;      // anneal the clip epsilon linearly to 0 (rl-zoo's lin_0.2)
  bool clip_vloss = true;        // clip the value loss around the collection-time value
  // The ratio's clip range: symmetric [1-e, 1+e] (PPO's paper, CleanRL, SB3)
  // or reciprocal [1/(1+e), 1+e] (Sample Factory's APPO).
  std::string ratio_clip = "symmetric";
  double value_clip = 0.0;       // absolute clip of V - V_old (0: the surrogate's epsilon)
  double ent_coef = 0.01;        // entropy bonus weight
  // Anneal the entropy bonus linearly to 0 over the run, so that the
  // policy's mode (deterministic evaluation) ends close to its samples.
  bool anneal_ent = false;
  double vf_coef = 0.5;          // value loss weight (on 0.5 * squared error)
  double max_grad_norm = 0.5;    // global gradient-norm clip
  bool norm_adv = true;          // normalize advantages per minibatch
  double target_kl = 0.0;        // stop the epochs once approx KL exceeds this (0: off)

  void visit(ConfigFields& f) {
    f("gamma", gamma);
    f("gae_lambda", gae_lambda);
    f("learning_rate", learning_rate);
    f("anneal_lr", anneal_lr);
    f("adam_eps", adam_eps);
    f("update_epochs", update_epochs);
    f("num_minibatches", num_minibatches);
    f("clip_coef", clip_coef);
    f("anneal_clip", anneal_clip);
    f("clip_vloss", clip_vloss);
    f("ratio_clip", ratio_clip);
    f("value_clip", value_clip);
    f("ent_coef", ent_coef);
    f("anneal_ent", anneal_ent);
    f("vf_coef", vf_coef);
    f("max_grad_norm", max_grad_norm);
    f("norm_adv", norm_adv);
    f("target_kl", target_kl);
  }

  void validate() const {
    auto in_unit = [](double v) { return v >= 0.0 && v <= 1.0; };
    if (!in_unit(gamma)) throw std::invalid_argument("ppo.gamma must be in [0, 1], got " + std::to_string(gamma));
    if (!in_unit(gae_lambda)) throw std::invalid_argument("ppo.gae_lambda must be in [0, 1], got " + std::to_string(gae_lambda));
    if (!(learning_rate > 0)) throw std::invalid_argument("ppo.learning_rate must be positive, got " + std::to_string(learning_rate));
    if (!(adam_eps > 0)) throw std::invalid_argument("ppo.adam_eps must be positive");
    if (update_epochs <= 0) throw std::invalid_argument("ppo.update_epochs must be positive, got " + std::to_string(update_epochs));
    if (num_minibatches <= 0) throw std::invalid_argument("ppo.num_minibatches must be positive, got " + std::to_string(num_minibatches));
    if (!(clip_coef > 0)) throw std::invalid_argument("ppo.clip_coef must be positive, got " + std::to_string(clip_coef));
    if (ratio_clip != "symmetric" && ratio_clip != "reciprocal") {
      throw std::invalid_argument("ppo.ratio_clip: '" + ratio_clip + "' is not one of symmetric, reciprocal");
    }
    if (value_clip < 0) throw std::invalid_argument("ppo.value_clip must be >= 0 (0: the same as clip_coef)");
    if (ent_coef < 0 || vf_coef < 0) throw std::invalid_argument("ppo.ent_coef and ppo.vf_coef must be >= 0");
    if (!(max_grad_norm > 0)) throw std::invalid_argument("ppo.max_grad_norm must be positive");
    if (target_kl < 0) throw std::invalid_argument("ppo.target_kl must be >= 0 (0 turns it off)");
  }
};

// Where the surrogate clips the ratio and the value loss clips V - V_old,
// for the (possibly annealed) epsilon `clip_coef`.
struct ClipRange {
  double low, high;  // the ratio's clip range
  double value;      // |V - V_old| bound
  static ClipRange of(const PpoConfig& c, double clip_coef) {
    const double low = c.ratio_clip == "reciprocal" ? 1.0 / (1.0 + clip_coef) : 1.0 - clip_coef;
    return {low, 1.0 + clip_coef, c.value_clip > 0 ? c.value_clip : clip_coef};
  }
};

}  // namespace rl
