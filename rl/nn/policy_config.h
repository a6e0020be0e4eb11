// Configuration of the actor-critic network and of the normalizers. Plain
// structs (no torch) so that config handling compiles fast.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "rl/runtime/config.h"

namespace rl {

struct PolicyConfig {
  std::vector<int> hidden_sizes{64, 64};  // units of each hidden layer
  std::string activation = "tanh";        // tanh | relu | elu
  bool shared_trunk = false;              // one trunk for policy and value (default: two)
  bool ortho_init = true;                 // orthogonal init: gains sqrt(2) hidden, 0.01 policy, 1 value
  double log_std_init = 0.0;              // initial log std of the Gaussian policy (Box actions)
  // The MLP fast path (rl/nn/mlp.h) for actor inference and CPU learner
  // updates: auto (wherever it applies), on (required: an error where it
  // cannot run), off (libtorch everywhere, the reference path).
  std::string fast_path = "auto";

  void visit(ConfigFields& f) {
    f("hidden_sizes", hidden_sizes);
    f("activation", activation);
    f("shared_trunk", shared_trunk);
    f("ortho_init", ortho_init);
    f("log_std_init", log_std_init);
    f("fast_path", fast_path);
  }
  void validate() const {
    if (hidden_sizes.empty()) throw std::invalid_argument("policy.hidden_sizes: needs at least one layer");
    for (int h : hidden_sizes) {
      if (h <= 0) throw std::invalid_argument("policy.hidden_sizes: every size must be positive, got " + std::to_string(h));
    }
    if (activation != "tanh" && activation != "relu" && activation != "elu") {
      throw std::invalid_argument("policy.activation: '" + activation + "' is not one of tanh, relu, elu");
    }
    if (fast_path != "auto" && fast_path != "on" && fast_path != "off") {
      throw std::invalid_argument("policy.fast_path: '" + fast_path + "' is not one of auto, on, off");
    }
  }
};

struct NormalizeConfig {
  bool observations = false;  // running mean/std normalization of observations
  double clip_obs = 10.0;     // clip of normalized observations
  bool rewards = false;       // scale rewards by the std of a running discounted return
  double clip_reward = 10.0;  // clip of scaled rewards

  void visit(ConfigFields& f) {
    f("observations", observations);
    f("clip_obs", clip_obs);
    f("rewards", rewards);
    f("clip_reward", clip_reward);
  }
  void validate() const {
    if (!(clip_obs > 0)) throw std::invalid_argument("normalize.clip_obs must be positive");
    if (!(clip_reward > 0)) throw std::invalid_argument("normalize.clip_reward must be positive");
  }
};

}  // namespace rl
