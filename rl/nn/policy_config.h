// Configuration of the actor-critic network and of the normalizers. Plain
// structs (no torch) so that config handling compiles fast.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "rl/runtime/config.h"

namespace rl {

// A model is an encoder followed by the heads (docs/models.md). The mlp
// encoder is two trunks (policy and value) of hidden_sizes; the CNN
// encoders take [C, H, W] observations and are shared by both heads.
struct PolicyConfig {
  // mlp | minatar_cnn (conv 16 3x3/1, FC 128) | nature_cnn (32 8x8/4,
  // 64 4x4/2, 64 3x3/1, FC 512) | impala_cnn (3 ResNet stacks 16/32/32,
  // FC 256).
  // Or the name of an encoder that policy.model_plugin registers.
  std::string encoder = "mlp";
  // A model plugin (shared library, docs/custom-models.md) loaded before the
  // model is built, in the learner, the actors and rl_eval alike (the same
  // path on every host).
  std::string model_plugin;
  std::vector<int> conv_channels;         // CNN channels per layer (impala: per stack); empty: the encoder's
  std::vector<int> conv_kernels;          // kernel sizes (minatar, nature); empty: the encoder's
  std::vector<int> conv_strides;          // strides (minatar, nature); empty: the encoder's
  int encoder_size = 0;                   // units of the CNN's last FC layer; 0: the encoder's
  // Observations are multiplied by this before the encoder (uint8 pixels
  // by 1/255); 0: the encoder's (1/255 for nature and impala, 1 otherwise).
  double obs_scale = 0.0;
  std::vector<int> hidden_sizes{64, 64};  // units of each hidden layer (mlp)
  // none | lstm: a recurrent core between the encoder and the heads, its
  // state carried per env across steps and unrolls (docs/models.md). With a
  // core the mlp encoder is one trunk shared by both heads.
  std::string core = "none";
  int lstm_size = 256;                    // units of the LSTM core
  double lstm_forget_bias = 1.0;          // initial bias of the LSTM's forget gate (other biases start at 0)
  // What the core sees besides the encoder's features, as IMPALA's agent:
  // none | action (the previous action: one-hot, or the Box vector) |
  // reward (the previous reward clipped to [-1, 1]) | action_reward. Both
  // are 0 at an episode's first step.
  std::string core_inputs = "none";
  std::string activation = "tanh";        // tanh | relu | elu
  bool shared_trunk = false;              // one trunk for policy and value (default: two)
  bool ortho_init = true;                 // orthogonal init: gains sqrt(2) hidden, 0.01 policy, 1 value
  double log_std_init = 0.0;              // initial log std of the Gaussian policy (Box actions)
  // The MLP fast path (rl/nn/mlp.h) for actor inference and CPU learner
  // updates: auto (wherever it applies), on (required: an error where it
  // cannot run), off (libtorch everywhere, the reference path).
  std::string fast_path = "auto";

  void visit(ConfigFields& f) {
    f("encoder", encoder);
    f("model_plugin", model_plugin);
    f("conv_channels", conv_channels);
    f("conv_kernels", conv_kernels);
    f("conv_strides", conv_strides);
    f("encoder_size", encoder_size);
    f("obs_scale", obs_scale);
    f("hidden_sizes", hidden_sizes);
    f("core", core);
    f("lstm_size", lstm_size);
    f("lstm_forget_bias", lstm_forget_bias);
    f("core_inputs", core_inputs);
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
    if (!builtin_encoder(encoder) && model_plugin.empty()) {
      throw std::invalid_argument("policy.encoder: '" + encoder +
                                  "' is not one of mlp, minatar_cnn, nature_cnn, impala_cnn (an encoder of "
                                  "your own needs policy.model_plugin, --model-plugin)");
    }
    if (fast_path == "on" && encoder != "mlp") {
      throw std::invalid_argument("policy.fast_path=on: the fast path runs MLP policies only, not the " + encoder +
                                  " encoder; use policy.fast_path=auto (libtorch for this model)");
    }
    for (const auto* list : {&conv_channels, &conv_kernels, &conv_strides}) {
      for (int v : *list) {
        if (v <= 0) throw std::invalid_argument("policy.conv_*: every value must be positive, got " + std::to_string(v));
      }
    }
    if (encoder_size < 0) throw std::invalid_argument("policy.encoder_size: must be >= 0");
    if (core != "none" && core != "lstm") {
      throw std::invalid_argument("policy.core: '" + core + "' is not one of none, lstm");
    }
    if (core_inputs != "none" && core_inputs != "action" && core_inputs != "reward" && core_inputs != "action_reward") {
      throw std::invalid_argument("policy.core_inputs: '" + core_inputs +
                                  "' is not one of none, action, reward, action_reward");
    }
    if (core_inputs != "none" && core == "none") {
      throw std::invalid_argument("policy.core_inputs=" + core_inputs +
                                  " feeds the recurrent core, and policy.core is none (set policy.core=lstm)");
    }
    if (lstm_size <= 0) throw std::invalid_argument("policy.lstm_size must be positive, got " + std::to_string(lstm_size));
    if (fast_path == "on" && core != "none") {
      throw std::invalid_argument("policy.fast_path=on: the fast path runs feed-forward MLPs only, not an " + core +
                                  " core; use policy.fast_path=auto (libtorch for this model)");
    }
    if (obs_scale < 0) throw std::invalid_argument("policy.obs_scale: must be >= 0");
  }
  static bool builtin_encoder(const std::string& name) {
    return name == "mlp" || name == "minatar_cnn" || name == "nature_cnn" || name == "impala_cnn";
  }
  // Whether the MLP fast path (rl/nn/mlp.h) can run this model.
  bool fast_path_applies() const { return fast_path != "off" && encoder == "mlp" && core == "none"; }
  // Whether actors run this policy without libtorch: the MLP fast path, or
  // ActorForward (rl/nn/actor_forward.h: an MLP with an LSTM core, or a
  // built-in CNN with Discrete actions, checked where the action space is
  // known). Not a plugin's encoder.
  bool actor_fast_path_applies() const {
    return fast_path != "off" && (encoder == "mlp" || encoder == "minatar_cnn" || encoder == "nature_cnn" ||
                                  encoder == "impala_cnn");
  }
  bool core_sees_action() const { return core_inputs == "action" || core_inputs == "action_reward"; }
  bool core_sees_reward() const { return core_inputs == "reward" || core_inputs == "action_reward"; }
  // Floats of the previous step the core sees (policy.core_inputs), for
  // actions of `action_width` floats (a Discrete space's n: one-hot).
  int64_t core_input_size(int64_t action_width) const {
    return (core_sees_action() ? action_width : 0) + (core_sees_reward() ? 1 : 0);
  }
  // Floats of core state per env: h then c of the LSTM, then the core
  // inputs of the coming step; 0 without a core.
  int64_t core_state_size(int64_t action_width) const {
    return core == "lstm" ? 2 * static_cast<int64_t>(lstm_size) + core_input_size(action_width) : 0;
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
