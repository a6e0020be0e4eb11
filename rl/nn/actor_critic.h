// The actor-critic network and its action distributions (Categorical for
// Discrete action spaces, diagonal Gaussian with a state-independent
// learned log-std for Box spaces). The encoder is an MLP (two trunks, one
// per head) or a CNN shared by both heads (rl/nn/encoders.h).
#pragma once

#include <torch/torch.h>

#include "rl/env/rng.h"
#include "rl/env/space.h"
#include "rl/nn/encoders.h"
#include "rl/nn/policy_config.h"

namespace rl {

// What one forward pass gives: the distribution's parameters and the value.
struct PolicyOutput {
  torch::Tensor params;  // [N, n] logits (Discrete) or [N, d] means (Box)
  torch::Tensor value;   // [N]
};

// A recurrent forward over L steps of B streams.
struct SequenceOutput {
  PolicyOutput out;            // [L*B, ...] time-major
  torch::Tensor states_after;  // [L, B, S] the core state after each step (before any reset)
};

class ActorCriticImpl : public torch::nn::Module {
 public:
  ActorCriticImpl(const Space& observation_space, const Space& action_space, const PolicyConfig& config);
  // An MLP over flat observations of obs_size floats.
  ActorCriticImpl(int64_t obs_size, const Space& action_space, const PolicyConfig& config);

  // obs: [N, obs_size] normalized observations (a CNN reshapes each row to
  // the observation space's [C, H, W] and scales it first). Feed-forward
  // models only: a recurrent one needs its state (step, forward_sequence).
  PolicyOutput forward(const torch::Tensor& obs);
  torch::Tensor value(const torch::Tensor& obs);  // [N]

  // ---- The recurrent core (policy.core) ----
  bool recurrent() const { return !core_.is_empty(); }
  // Floats of state per stream: [h, c] of the LSTM (0 without a core).
  int64_t state_size() const { return recurrent() ? 2 * core_->options.hidden_size() : 0; }
  // One step of N streams from `state` [N, S]; returns the output and
  // replaces `state` by the next one.
  PolicyOutput step(const torch::Tensor& obs, torch::Tensor& state);
  // L steps of B streams: obs [L*B, obs_size] time-major, state0 [B, S] the
  // state before step 0, starts [L, B] 1 where an episode starts at that
  // step (the state is zeroed first; the caller resolves step 0 into state0).
  SequenceOutput forward_sequence(const torch::Tensor& obs, const torch::Tensor& state0,
                                  const torch::Tensor& starts);
  // Values [N] of observations each seen from its own state [N, S].
  torch::Tensor value_from(const torch::Tensor& obs, const torch::Tensor& state);

  // Log-probability [N] of actions: int64 [N] (Discrete) or float [N, d] (Box).
  torch::Tensor log_prob(const PolicyOutput& out, const torch::Tensor& actions) const;
  torch::Tensor entropy(const PolicyOutput& out) const;  // [N]
  // The most likely action: argmax (int64 [N]) or the mean ([N, d]).
  torch::Tensor mode(const PolicyOutput& out) const;
  // Samples one action per row on the CPU with `rng` (deterministic for a seed).
  torch::Tensor sample(const PolicyOutput& out, Rng& rng) const;

  bool discrete() const { return discrete_; }
  int64_t obs_size() const { return obs_size_; }
  const Space& action_space() const { return action_space_; }
  const torch::Tensor& log_std() const { return log_std_; }

 private:
  torch::Tensor encode(const torch::Tensor& obs);  // encoder features [N, out] (CNN, or the shared trunk)
  // One LSTM step: features [N, F], state [N, 2H] -> (h [N, H], next state).
  std::pair<torch::Tensor, torch::Tensor> core_step(const torch::Tensor& features, const torch::Tensor& state);
  PolicyOutput heads(const torch::Tensor& features);

  bool discrete_;
  int64_t obs_size_;
  Space action_space_;
  std::vector<int64_t> obs_shape_;
  double obs_scale_ = 1.0;
  std::shared_ptr<EncoderImpl> encoder_;     // CNN encoders; null for the mlp
  torch::nn::Sequential pi_trunk_{nullptr};  // mlp only
  torch::nn::Sequential v_trunk_{nullptr};  // same module as pi_trunk_ when shared
  torch::nn::LSTMCell core_{nullptr};        // policy.core lstm
  torch::nn::Linear pi_head_{nullptr};
  torch::nn::Linear v_head_{nullptr};
  torch::Tensor log_std_;  // [d] (Box only)
};
TORCH_MODULE(ActorCritic);

// Resolves --device: "cpu", "cuda", "cuda:N", or "auto" (CUDA when
// available). Throws std::invalid_argument for CUDA on a build or machine
// without it, naming what was asked.
torch::Device resolve_device(const std::string& name);

}  // namespace rl
