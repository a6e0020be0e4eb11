// Convolutional encoders: [N, C, H, W] observations to [N, out_size()]
// features, shared by the policy and value heads of an ActorCritic.
//
//   minatar_cnn  conv 16 3x3/1 (valid), FC 128             (Young and Tian 2019)
//   nature_cnn   conv 32 8x8/4, 64 4x4/2, 64 3x3/1, FC 512  (Mnih et al. 2015)
//   impala_cnn   3 stacks of [conv 3x3, max-pool 3x3/2, 2 residual blocks],
//                16/32/32 channels, FC 256                  (Espeholt et al. 2018)
//
// Every layer is followed by ReLU. Channels, kernels, strides and the FC
// size come from PolicyConfig (empty or 0: the published values above).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "rl/nn/policy_config.h"

namespace rl {

class EncoderImpl : public torch::nn::Module {
 public:
  // x: [N, C, H, W] float, already scaled.
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  int64_t out_size() const { return out_size_; }
  // FLOPs of one observation through the convolutions (2 per multiply-add;
  // the FC layer is a Linear module, counted with the others).
  double conv_flops() const { return conv_flops_; }

 protected:
  int64_t out_size_ = 0;
  double conv_flops_ = 0;
};

// Builds config.encoder (a CNN) for observations of `shape` [C, H, W].
// Throws std::invalid_argument naming the field when the shape is not 3-D
// or the convolutions leave no pixels.
std::shared_ptr<EncoderImpl> make_cnn_encoder(const std::vector<int64_t>& shape, const PolicyConfig& config);


}  // namespace rl
