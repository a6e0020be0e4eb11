// The convolution stacks as policy.* resolves them: the published layers
// unless policy.conv_* and policy.encoder_size say otherwise, and the scale
// of their observations. Shared by libtorch's encoders (encoders.cc) and the
// actors' forward without it (actor_forward.cc).
#pragma once

#include <vector>

#include "rl/nn/policy_config.h"

namespace rl {

struct ConvStackLayers {
  std::vector<int> channels, kernels, strides;
  int fc_size = 0;
};

// config.encoder must be minatar_cnn, nature_cnn or impala_cnn (for which
// the channels are each residual stack's, every convolution 3x3, stride 1,
// padding 1).
inline ConvStackLayers conv_stack_layers(const PolicyConfig& config) {
  if (config.encoder == "impala_cnn") {
    return {config.conv_channels.empty() ? std::vector<int>{16, 32, 32} : config.conv_channels, {3, 3, 3}, {1, 1, 1},
            config.encoder_size > 0 ? config.encoder_size : 256};
  }
  const bool minatar = config.encoder == "minatar_cnn";
  const auto pick = [](const std::vector<int>& given, std::vector<int> published) {
    return given.empty() ? published : given;
  };
  return {pick(config.conv_channels, minatar ? std::vector<int>{16} : std::vector<int>{32, 64, 64}),
          pick(config.conv_kernels, minatar ? std::vector<int>{3} : std::vector<int>{8, 4, 3}),
          pick(config.conv_strides, minatar ? std::vector<int>{1} : std::vector<int>{4, 2, 1}),
          config.encoder_size > 0 ? config.encoder_size : (minatar ? 128 : 512)};
}

// What policy.obs_scale resolves to for config.encoder: 1/255 for the pixel
// encoders (nature_cnn, impala_cnn), else 1.
inline double resolved_obs_scale(const PolicyConfig& config) {
  if (config.obs_scale > 0) return config.obs_scale;
  return config.encoder == "nature_cnn" || config.encoder == "impala_cnn" ? 1.0 / 255.0 : 1.0;
}

}  // namespace rl
