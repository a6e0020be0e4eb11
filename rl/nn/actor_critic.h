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
  // Floats of state per stream: [h, c] of the LSTM, then the core inputs
  // of the coming step (policy.core_inputs: the previous action and
  // reward); 0 without a core.
  int64_t state_size() const { return recurrent() ? 2 * core_->options.hidden_size() + input_size_ : 0; }
  // Floats of core inputs per step (0 unless policy.core_inputs).
  int64_t core_input_size() const { return input_size_; }
  // One step of N streams from `state` [N, S]; returns the output and
  // replaces `state` by the next one. With policy.core_inputs the caller
  // then writes the step's action and reward in it (record_inputs).
  PolicyOutput step(const torch::Tensor& obs, torch::Tensor& state);
  // Writes actions [N] (int64) or [N, d] and rewards [N] (raw; clipped
  // here) as the core inputs of the next step into `state` [N, S].
  void record_inputs(torch::Tensor& state, const torch::Tensor& actions, const torch::Tensor& rewards) const;
  // The core inputs [N, core_input_size()] of actions and raw rewards.
  torch::Tensor core_inputs_of(const torch::Tensor& actions, const torch::Tensor& rewards) const;
  // L steps of B streams: obs [L*B, obs_size] time-major, state0 [B, S] the
  // state before step 0, starts [L, B] 1 where an episode starts at that
  // step (the state is zeroed first; the caller resolves step 0 into
  // state0). With policy.core_inputs, `inputs` [L, B, core_input_size()]
  // holds each step's inputs (row 0: state0's tail; row t: step t-1's
  // action and reward); states_after[t] then carries row t+1 in its tail.
  SequenceOutput forward_sequence(const torch::Tensor& obs, const torch::Tensor& state0,
                                  const torch::Tensor& starts, const torch::Tensor& inputs = {});
  // Values [N] of observations each seen from its own state [N, S].
  torch::Tensor value_from(const torch::Tensor& obs, const torch::Tensor& state);

  // Log-probability [N] of actions: int64 [N] (Discrete) or float [N, d] (Box).
  torch::Tensor log_prob(const PolicyOutput& out, const torch::Tensor& actions) const;
  torch::Tensor entropy(const PolicyOutput& out) const;  // [N]
  // The most likely action: argmax (int64 [N]) or the mean ([N, d]).
  torch::Tensor mode(const PolicyOutput& out) const;
  // Samples one action per row on the CPU with `rng` (deterministic for a seed).
  torch::Tensor sample(const PolicyOutput& out, Rng& rng) const;

  // FLOPs of one sample's forward (policy and value): 2 per multiply-add of
  // the convolutions, FC layers and LSTM step. A backward costs about twice it.
  double forward_flops() const;

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
  int64_t action_width_ = 0;                 // one-hot size (Discrete) or action floats (Box)
  bool sees_action_ = false, sees_reward_ = false;  // policy.core_inputs
  int64_t input_size_ = 0;                   // floats of core inputs per step
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
