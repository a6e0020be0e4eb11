// A model plugin: an MLP encoder with layer normalization (Ba et al. 2016)
// after each hidden layer, registered as "layer_norm_mlp". Train with
//
//   train_ppo --env CartPole-v1 --model-plugin build/lib/liblayer_norm_mlp.so \
//     --set policy.encoder=layer_norm_mlp
//
// policy.hidden_sizes gives its layers; the heads (and a core, with
// policy.core) come after it as with every encoder. docs/custom-models.md
// walks through it.
#include <torch/torch.h>

#include "rl/nn/model_plugin.h"

namespace {

class LayerNormMlpImpl : public rl::EncoderImpl {
 public:
  LayerNormMlpImpl(const std::vector<int64_t>& obs_shape, const rl::PolicyConfig& config) {
    int64_t in = 1;
    for (int64_t d : obs_shape) in *= d;  // flattened: any observation shape
    for (int units : config.hidden_sizes) {
      layers_->push_back(torch::nn::Linear(in, units));
      layers_->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({units})));
      layers_->push_back(torch::nn::Tanh());
      in = units;
    }
    register_module("layers", layers_);
    out_size_ = in;
  }

  // x: [N, obs_shape...] floats; returns [N, out_size()].
  torch::Tensor forward(const torch::Tensor& x) override { return layers_->forward(x.flatten(1)); }

 private:
  torch::nn::Sequential layers_;
};

}  // namespace

RL_MODEL_PLUGIN(registry) {
  registry.add("layer_norm_mlp", [](const std::vector<int64_t>& obs_shape, const rl::PolicyConfig& config) {
    return std::make_shared<LayerNormMlpImpl>(obs_shape, config);
  });
}
