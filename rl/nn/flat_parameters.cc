#include "rl/nn/flat_parameters.h"

#include "rl/nn/torch_compat.h"

#include <stdexcept>
#include <string>

namespace rl {
namespace {

std::string shape_string(c10::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// The module's parameters in slot order, checked against the slots.
std::vector<torch::Tensor> matching_parameters(torch::nn::Module& module,
                                               const std::vector<FlatSlot>& slots) {
  const auto named = module.named_parameters(/*recurse=*/true);
  if (named.size() != slots.size()) {
    throw std::invalid_argument("flat parameters: the module has " + std::to_string(named.size()) +
                                " parameters, the MLP layout " + std::to_string(slots.size()));
  }
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < slots.size(); ++i) {
    const auto& item = named[i];
    if (item.key() != slots[i].name || !item.value().sizes().equals(slots[i].shape)) {
      throw std::invalid_argument("flat parameters: parameter " + std::to_string(i) + " is '" +
                                  item.key() + "' " + shape_string(item.value().sizes()) +
                                  ", the MLP layout expects '" + slots[i].name + "' " +
                                  shape_string(slots[i].shape));
    }
    out.push_back(item.value());
  }
  return out;
}

torch::Tensor slot_view(const torch::Tensor& flat, const FlatSlot& slot) {
  return flat.narrow(0, slot.offset, slot.size).view(slot.shape);
}

torch::Tensor state_tensor(std::vector<float>& buffer, const FlatSlot& slot) {
  return torch::from_blob(buffer.data() + slot.offset, slot.shape, torch::kFloat).clone();
}

void read_state(std::vector<float>& buffer, const FlatSlot& slot, const torch::Tensor& t) {
  if (!t.defined()) return;
  const torch::Tensor cpu = t.to(torch::kCPU, torch::kFloat).contiguous();
  if (cpu.numel() != slot.size) {
    throw std::runtime_error("optimizer state of '" + slot.name + "' has " + std::to_string(cpu.numel()) +
                             " values, expected " + std::to_string(slot.size));
  }
  std::copy_n(cpu.data_ptr<float>(), slot.size, buffer.data() + slot.offset);
}

auto state_key(const torch::Tensor& p) { return torch_compat::optimizer_state_key(p); }

const std::vector<torch::Tensor>& optimizer_parameters(torch::optim::Optimizer& optimizer,
                                                       const std::vector<FlatSlot>& slots) {
  const auto& params = optimizer.param_groups().at(0).params();
  if (optimizer.param_groups().size() != 1 || params.size() != slots.size()) {
    throw std::invalid_argument("optimizer state: the optimizer's parameters do not match the MLP layout");
  }
  return params;
}

}  // namespace

void FlatParameters::attach(torch::nn::Module& module, const std::vector<FlatSlot>& slots) {
  std::vector<torch::Tensor> params = matching_parameters(module, slots);
  int64_t total = 0;
  for (const auto& slot : slots) total = std::max(total, slot.offset + slot.size);
  for (const auto& p : params) {
    if (!p.device().is_cpu() || p.scalar_type() != torch::kFloat) {
      throw std::invalid_argument("flat parameters: the fast path needs float parameters on the CPU");
    }
  }
  torch::Tensor flat_params = torch::empty({total}, torch::kFloat);
  torch::Tensor flat_grads = torch::zeros({total}, torch::kFloat);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < slots.size(); ++i) {
    torch::Tensor view = slot_view(flat_params, slots[i]);
    view.copy_(params[i]);
    params[i].set_data(view);
    params[i].mutable_grad() = slot_view(flat_grads, slots[i]);
  }
  params_ = flat_params;
  grads_ = flat_grads;
}

void copy_parameters(torch::nn::Module& module, const std::vector<FlatSlot>& slots,
                     std::span<float> flat) {
  const std::vector<torch::Tensor> params = matching_parameters(module, slots);
  for (size_t i = 0; i < slots.size(); ++i) {
    const torch::Tensor cpu = params[i].detach().to(torch::kCPU, torch::kFloat).contiguous();
    std::copy_n(cpu.data_ptr<float>(), slots[i].size, flat.data() + slots[i].offset);
  }
}

void store_state(FusedAdam& fused, torch::optim::Adam& optimizer, const std::vector<FlatSlot>& slots) {
  const auto& params = optimizer_parameters(optimizer, slots);
  for (size_t i = 0; i < slots.size(); ++i) {
    auto state = std::make_unique<torch::optim::AdamParamState>();
    state->step(fused.steps());
    state->exp_avg(state_tensor(fused.exp_avg(), slots[i]));
    state->exp_avg_sq(state_tensor(fused.exp_avg_sq(), slots[i]));
    optimizer.state()[state_key(params[i])] = std::move(state);
  }
}

void restore_state(FusedAdam& fused, torch::optim::Adam& optimizer, const std::vector<FlatSlot>& slots) {
  const auto& params = optimizer_parameters(optimizer, slots);
  int64_t steps = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    auto it = optimizer.state().find(state_key(params[i]));
    if (it == optimizer.state().end()) continue;  // never stepped
    auto& state = static_cast<torch::optim::AdamParamState&>(*it->second);
    steps = state.step();
    read_state(fused.exp_avg(), slots[i], state.exp_avg());
    read_state(fused.exp_avg_sq(), slots[i], state.exp_avg_sq());
  }
  fused.set_steps(steps);
}

void store_state(FusedRmsProp& fused, torch::optim::RMSprop& optimizer,
                 const std::vector<FlatSlot>& slots) {
  const auto& params = optimizer_parameters(optimizer, slots);
  for (size_t i = 0; i < slots.size(); ++i) {
    auto state = std::make_unique<torch::optim::RMSpropParamState>();
    state->step(fused.steps());
    state->square_avg(state_tensor(fused.square_avg(), slots[i]));
    if (!fused.momentum_buffer().empty()) {
      state->momentum_buffer(state_tensor(fused.momentum_buffer(), slots[i]));
    }
    optimizer.state()[state_key(params[i])] = std::move(state);
  }
}

void restore_state(FusedRmsProp& fused, torch::optim::RMSprop& optimizer,
                   const std::vector<FlatSlot>& slots) {
  const auto& params = optimizer_parameters(optimizer, slots);
  int64_t steps = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    auto it = optimizer.state().find(state_key(params[i]));
    if (it == optimizer.state().end()) continue;
    auto& state = static_cast<torch::optim::RMSpropParamState&>(*it->second);
    steps = state.step();
    read_state(fused.square_avg(), slots[i], state.square_avg());
    if (!fused.momentum_buffer().empty()) read_state(fused.momentum_buffer(), slots[i], state.momentum_buffer());
  }
  fused.set_steps(steps);
}

}  // namespace rl
