// The bridge between a libtorch module and the flat-buffer fast path
// (mlp.h, fused_optim.h): the module's parameters and gradients become views
// of two contiguous buffers, so the hand-written kernels update the very
// tensors that checkpoints save and weight messages carry.
#pragma once

#include <torch/torch.h>

#include <span>
#include <vector>

#include "rl/nn/fused_optim.h"
#include "rl/nn/mlp.h"

namespace rl {

class FlatParameters {
 public:
  // Re-points every parameter of `module` (CPU, float) and its gradient at
  // views of one parameter buffer and one gradient buffer, keeping the
  // values. Throws std::invalid_argument when the module's parameters do not
  // match `slots` (names, shapes, order). Call again after anything that
  // replaces a parameter's storage (torch::load does).
  void attach(torch::nn::Module& module, const std::vector<FlatSlot>& slots);

  bool attached() const { return params_.defined(); }
  std::span<float> params() { return {params_.data_ptr<float>(), size_t(params_.numel())}; }
  std::span<float> grads() { return {grads_.data_ptr<float>(), size_t(grads_.numel())}; }
  void zero_grad() { grads_.zero_(); }

 private:
  torch::Tensor params_, grads_;
};

// Copies the parameters of `module` (any device) into `flat`, laid out as
// `slots`. Throws std::invalid_argument naming a missing or misshapen one.
void copy_parameters(torch::nn::Module& module, const std::vector<FlatSlot>& slots,
                     std::span<float> flat);

// Moves optimizer state between the fused optimizers and libtorch's, whose
// serialization the checkpoints use. `params` are the optimizer's
// parameters in the order of `slots`.
void store_state(FusedAdam& fused, torch::optim::Adam& torch_optimizer,
                 const std::vector<FlatSlot>& slots);
void restore_state(FusedAdam& fused, torch::optim::Adam& torch_optimizer,
                   const std::vector<FlatSlot>& slots);
void store_state(FusedRmsProp& fused, torch::optim::RMSprop& torch_optimizer,
                 const std::vector<FlatSlot>& slots);
void restore_state(FusedRmsProp& fused, torch::optim::RMSprop& torch_optimizer,
                   const std::vector<FlatSlot>& slots);

}  // namespace rl
