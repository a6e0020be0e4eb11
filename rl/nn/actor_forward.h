// An actor's forward pass without libtorch for the models the MLP fast path
// (mlp.h) does not cover: the CNN encoders (minatar_cnn, nature_cnn: valid
// convolutions with ReLU; impala_cnn: residual stacks of 3x3 convolutions
// and max-pools; then one FC layer with ReLU) or the shared MLP trunk, then
// optionally the LSTM core (policy.core lstm, with
// policy.core_inputs), then linear policy and value heads. What actors need
// to act, so that rl_actor runs these models too; learners keep libtorch.
// The flat buffer holds the parameters under the names, in the order and in
// the shapes of the libtorch module's named_parameters(); tests hold the two
// forwards equal.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rl/env/space.h"
#include "rl/nn/mlp.h"
#include "rl/nn/policy_config.h"

namespace rl {

struct ActorForwardSpec {
  // The encoder: convolutions over [C, H, W] (conv_channels not empty), or
  // the MLP trunk `hidden_sizes` over obs_size floats.
  int64_t channels = 0, height = 0, width = 0;
  std::vector<int> conv_channels, kernels, strides;
  bool residual = false;  // impala_cnn: per channel count, conv 3x3 (pad 1), max-pool 3x3/2, 2 residual blocks
  int fc_size = 0;
  float obs_scale = 1.f;  // CNN observations are multiplied by it first
  int64_t obs_size = 0;
  std::vector<int> hidden_sizes;
  Activation activation = Activation::kTanh;
  // The core: an LSTM of lstm_size units (0: none) fed the features and
  // core_inputs floats of the previous step (its action, its reward).
  int64_t lstm_size = 0;
  bool sees_action = false, sees_reward = false;
  int64_t core_inputs = 0;
  bool discrete = true;
  int64_t head_size = 0;  // logits (Discrete) or means (Box)

  // Whether this forward runs `config` (and the MLP fast path does not): a
  // CNN encoder (Discrete actions), or an MLP with an LSTM core;
  // policy.fast_path not off.
  static bool applies(const PolicyConfig& config, const Space& observation_space, const Space& action_space);
  static ActorForwardSpec of(const Space& observation_space, const Space& action_space, const PolicyConfig& config);
  // Floats of core state per row: h, c, then the coming step's inputs.
  int64_t state_size() const { return lstm_size > 0 ? 2 * lstm_size + core_inputs : 0; }
};

class ActorForward {
 public:
  explicit ActorForward(ActorForwardSpec spec);

  const ActorForwardSpec& spec() const { return spec_; }
  const std::vector<FlatSlot>& slots() const { return slots_; }
  int64_t num_parameters() const { return num_parameters_; }
  int64_t log_std_offset() const { return log_std_; }  // Box actions; -1 otherwise

  // Forward pass of `rows` observations [rows, obs floats] (unscaled). With a
  // core, `state` [rows, state_size()] is read and advanced in place (its
  // input tail kept: record_inputs() writes the step's own). Without
  // `with_values` values() reads 0.
  void forward(std::span<const float> params, std::span<const float> obs, int64_t rows, std::span<float> state,
               bool with_values = true);
  std::span<const float> head() const { return {head_.data(), size_t(rows_ * spec_.head_size)}; }
  std::span<const float> values() const { return {values_.data(), size_t(rows_)}; }

  // Writes the inputs of the coming step into each row's state tail: the
  // action taken (one-hot for Discrete) and the reward clipped to [-1, 1].
  void record_inputs(std::span<float> state, std::span<const int64_t> discrete_actions,
                     std::span<const float> box_actions, std::span<const float> rewards) const;

 private:
  struct ConvLayer {
    int64_t in = 0, out = 0, kernel = 0, stride = 0, pad = 0;
    int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
    int64_t weight = 0, bias = 0;  // offsets into the flat buffer
  };
  // impala_cnn's stack: conv, max-pool 3x3/2 (pad 1), then two residual
  // blocks x + conv1(relu(conv0(relu(x)))) at the pooled size.
  struct ResidualStack {
    ConvLayer conv;
    ConvLayer blocks[2][2];
    int64_t pooled_h = 0, pooled_w = 0;
  };
  struct Linear {
    int64_t in = 0, out = 0, weight = 0, bias = 0;
  };
  int64_t add_slot(const std::string& name, std::vector<int64_t> shape);
  ConvLayer add_conv(const std::string& name, int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad,
                     int64_t h, int64_t w);
  // out [rows, l.out, out_h, out_w] = conv(x) + bias (then ReLU when `relu`).
  void convolve(std::span<const float> params, const ConvLayer& l, const float* x, int64_t rows,
                std::vector<float>& out, bool relu);
  const float* residual_stacks(std::span<const float> params, int64_t rows);
  Linear add_linear(const std::string& name, int64_t in, int64_t out);
  // y[rows, out] = x W^T + b
  void linear(std::span<const float> params, const Linear& l, const float* x, int64_t rows, std::vector<float>& y) const;
  const float* encode(std::span<const float> params, std::span<const float> obs, int64_t rows);
  const float* core(std::span<const float> params, const float* features, int64_t rows, std::span<float> state);

  ActorForwardSpec spec_;
  std::vector<ConvLayer> convs_;
  std::vector<ResidualStack> stacks_;
  Linear fc_;
  std::vector<Linear> trunk_;
  int64_t features_size_ = 0;
  int64_t weight_ih_ = 0, weight_hh_ = 0, bias_ih_ = 0, bias_hh_ = 0;
  Linear pi_, v_;
  int64_t log_std_ = -1;
  std::vector<FlatSlot> slots_;
  int64_t num_parameters_ = 0;
  int64_t rows_ = 0;
  // Workspaces.
  std::vector<float> input_, columns_, pixels_, planes_, features_, core_in_, gates_, hidden_, head_, values_;
  std::vector<float> block_in_, block_mid_, block_out_;  // impala_cnn's residual blocks
};

}  // namespace rl
