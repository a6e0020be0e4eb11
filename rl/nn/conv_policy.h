// The plain CNN policies (policy.encoder minatar_cnn and nature_cnn: valid
// convolutions with ReLU, one FC layer with ReLU, linear policy and value
// heads) as a forward pass over one flat float buffer, without libtorch:
// what actors need to act, so that rl_actor runs them too. The flat buffer
// holds the parameters under the names and in the shapes of the libtorch
// module's named_parameters(); tests hold the two forwards equal.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rl/env/space.h"
#include "rl/nn/mlp.h"
#include "rl/nn/policy_config.h"

namespace rl {

struct ConvSpec {
  int64_t channels = 0, height = 0, width = 0;  // observations [C, H, W]
  std::vector<int> conv_channels, kernels, strides;
  int fc_size = 0;
  float obs_scale = 1.f;  // observations are multiplied by it first
  int64_t head_size = 0;  // logits (Discrete actions only)

  // Whether `config` is a policy this forward runs: minatar_cnn or
  // nature_cnn, no core, Discrete actions, policy.fast_path not off.
  static bool applies(const PolicyConfig& config, const Space& observation_space, const Space& action_space);
  static ConvSpec of(const Space& observation_space, const Space& action_space, const PolicyConfig& config);
};

class ConvActorCritic {
 public:
  explicit ConvActorCritic(ConvSpec spec);

  const ConvSpec& spec() const { return spec_; }
  const std::vector<FlatSlot>& slots() const { return slots_; }
  int64_t num_parameters() const { return num_parameters_; }

  // Forward pass of `rows` observations [rows, C * H * W] (unscaled). Without
  // `with_values` values() reads 0.
  void forward(std::span<const float> params, std::span<const float> obs, int64_t rows, bool with_values = true);
  std::span<const float> head() const { return {head_.data(), size_t(rows_ * spec_.head_size)}; }
  std::span<const float> values() const { return {values_.data(), size_t(rows_)}; }

 private:
  struct ConvLayer {
    int64_t in = 0, out = 0, kernel = 0, stride = 0;
    int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
    int64_t weight = 0, bias = 0;  // offsets into the flat buffer
  };
  int64_t add_slot(const std::string& name, std::vector<int64_t> shape);

  ConvSpec spec_;
  std::vector<ConvLayer> convs_;
  int64_t flat_ = 0;  // features after the convolutions
  int64_t fc_weight_ = 0, fc_bias_ = 0, pi_weight_ = 0, pi_bias_ = 0, v_weight_ = 0, v_bias_ = 0;
  std::vector<FlatSlot> slots_;
  int64_t num_parameters_ = 0;
  int64_t rows_ = 0;
  // Workspaces: the scaled input, im2col columns, a layer's output as rows
  // x pixels x channels and as rows x channels x pixels, the FC features,
  // the heads.
  std::vector<float> input_, columns_, pixels_, planes_, features_, head_, values_;
};

}  // namespace rl
