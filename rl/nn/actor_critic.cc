#include "rl/nn/actor_critic.h"

#include "rl/nn/conv_stack.h"

#include <cmath>
#include <numbers>

#include "rl/nn/distributions.h"
#include "rl/nn/model_plugin.h"

namespace rl {
namespace {

torch::nn::Sequential make_trunk(int64_t in, const PolicyConfig& config) {
  torch::nn::Sequential trunk;
  for (int units : config.hidden_sizes) {
    trunk->push_back(torch::nn::Linear(in, units));
    if (config.activation == "tanh") {
      trunk->push_back(torch::nn::Tanh());
    } else if (config.activation == "relu") {
      trunk->push_back(torch::nn::ReLU());
    } else {
      trunk->push_back(torch::nn::ELU());
    }
    in = units;
  }
  return trunk;
}

void orthogonal_init(torch::nn::Sequential& trunk, double gain) {
  for (auto& module : trunk->modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::Linear>()) {
      torch::nn::init::orthogonal_(linear->weight, gain);
      torch::nn::init::zeros_(linear->bias);
    }
  }
}

// The encoder a model plugin registered under config.encoder.
std::shared_ptr<EncoderImpl> make_plugin_encoder(const std::vector<int64_t>& shape, const PolicyConfig& config) {
  if (!config.model_plugin.empty()) load_model_plugin(config.model_plugin);
  const EncoderFactory* factory = model_registry().find(config.encoder);
  if (factory == nullptr) {
    std::string known;
    for (const std::string& name : model_registry().names()) known += (known.empty() ? "" : ", ") + name;
    throw std::invalid_argument("policy.encoder: '" + config.encoder + "' is not registered by the model plugin '" +
                                config.model_plugin + "' (it registers: " + (known.empty() ? "none" : known) + ")");
  }
  std::shared_ptr<EncoderImpl> encoder = (*factory)(shape, config);
  if (!encoder || encoder->out_size() <= 0) {
    throw std::invalid_argument("policy.encoder: the plugin's '" + config.encoder +
                                "' returned no module or one with out_size() 0");
  }
  return encoder;
}

void orthogonal_init(torch::nn::Linear& linear, double gain) {
  torch::nn::init::orthogonal_(linear->weight, gain);
  torch::nn::init::zeros_(linear->bias);
}

}  // namespace

ActorCriticImpl::ActorCriticImpl(int64_t obs_size, const Space& action_space,
                                 const PolicyConfig& config)
    : ActorCriticImpl(Space::box({obs_size}, -INFINITY, INFINITY), action_space, config) {}

ActorCriticImpl::ActorCriticImpl(const Space& observation_space, const Space& action_space,
                                 const PolicyConfig& config)
    : discrete_(action_space.is_discrete()),
      obs_size_(observation_space.flat_size()),
      action_space_(action_space),
      obs_shape_(observation_space.shape()),
      obs_scale_(resolved_obs_scale(config)) {
  config.validate();
  const int64_t obs_size = obs_size_;
  const int64_t out = discrete_ ? action_space.n() : action_space.flat_size();
  const bool recurrent = config.core != "none";
  // The module names are the keys of checkpoints and weight messages; the
  // value function's start with "v_" (IMPALA's actors go without them).
  int64_t features = 0;
  if (!PolicyConfig::builtin_encoder(config.encoder)) {
    encoder_ = register_module("encoder", make_plugin_encoder(obs_shape_, config));
    features = encoder_->out_size();
  } else if (config.encoder != "mlp") {
    encoder_ = register_module("encoder", make_cnn_encoder(obs_shape_, config));
    features = encoder_->out_size();
  } else if (config.shared_trunk || recurrent) {
    // A core needs one feature vector per step: the trunk is shared.
    pi_trunk_ = register_module("trunk", make_trunk(obs_size, config));
    v_trunk_ = pi_trunk_;
    features = config.hidden_sizes.back();
  } else {
    pi_trunk_ = register_module("pi_trunk", make_trunk(obs_size, config));
    v_trunk_ = register_module("v_trunk", make_trunk(obs_size, config));
    features = config.hidden_sizes.back();
  }
  if (recurrent) {
    action_width_ = out;
    sees_action_ = config.core_sees_action();
    sees_reward_ = config.core_sees_reward();
    input_size_ = config.core_input_size(out);
    core_ = register_module("core", torch::nn::LSTMCell(
                                        torch::nn::LSTMCellOptions(features + input_size_, config.lstm_size)));
    features = config.lstm_size;
  }
  pi_head_ = register_module("pi_head", torch::nn::Linear(features, out));
  v_head_ = register_module("v_head", torch::nn::Linear(features, 1));
  if (!discrete_) {
    log_std_ = register_parameter("log_std", torch::full({out}, config.log_std_init));
  }
  if (config.ortho_init) {
    torch::NoGradGuard no_grad;
    if (encoder_ && !PolicyConfig::builtin_encoder(config.encoder)) {
      // A plugin's encoder keeps the initialization its author gave it.
    } else if (encoder_) {
      for (auto& module : encoder_->modules(/*include_self=*/false)) {
        if (auto* conv = module->as<torch::nn::Conv2d>()) {
          torch::nn::init::orthogonal_(conv->weight, std::sqrt(2.0));
          torch::nn::init::zeros_(conv->bias);
        } else if (auto* linear = module->as<torch::nn::Linear>()) {
          torch::nn::init::orthogonal_(linear->weight, std::sqrt(2.0));
          torch::nn::init::zeros_(linear->bias);
        }
      }
    } else {
      orthogonal_init(pi_trunk_, std::sqrt(2.0));
      if (v_trunk_.ptr() != pi_trunk_.ptr()) orthogonal_init(v_trunk_, std::sqrt(2.0));
    }
    if (recurrent) {
      // Orthogonal weights, zero biases but the forget gate's at
      // policy.lstm_forget_bias, 1 by default (Sonnet's LSTM, which IMPALA
      // used; Jozefowicz et al. 2015): the cell starts out keeping what it
      // holds, so gradients reach far-back inputs.
      torch::nn::init::orthogonal_(core_->weight_ih, 1.0);
      torch::nn::init::orthogonal_(core_->weight_hh, 1.0);
      torch::nn::init::zeros_(core_->bias_ih);
      torch::nn::init::zeros_(core_->bias_hh);
      const int64_t h = config.lstm_size;  // gates i, f, g, o in libtorch's order
      core_->bias_ih.slice(0, h, 2 * h).fill_(config.lstm_forget_bias);
    }
    orthogonal_init(pi_head_, /*gain=*/0.01);
    orthogonal_init(v_head_, /*gain=*/1.0);
  }
}

torch::Tensor ActorCriticImpl::encode(const torch::Tensor& obs) {
  if (!encoder_) return pi_trunk_->forward(obs);  // the shared trunk
  std::vector<int64_t> shape{obs.size(0)};
  shape.insert(shape.end(), obs_shape_.begin(), obs_shape_.end());
  torch::Tensor x = obs.reshape(shape);
  if (obs_scale_ != 1.0) x = x * obs_scale_;
  return encoder_->forward(x);
}

PolicyOutput ActorCriticImpl::heads(const torch::Tensor& features) {
  return {pi_head_->forward(features), v_head_->forward(features).squeeze(-1)};
}

std::pair<torch::Tensor, torch::Tensor> ActorCriticImpl::core_step(const torch::Tensor& features,
                                                                   const torch::Tensor& state) {
  const int64_t h = core_->options.hidden_size();
  auto hc = std::make_tuple(state.slice(1, 0, h), state.slice(1, h, 2 * h));
  if (input_size_ == 0) {
    auto [hidden, cell] = core_->forward(features, hc);
    return {hidden, torch::cat({hidden, cell}, /*dim=*/1)};
  }
  // The previous step's action and reward (policy.core_inputs) ride at the
  // state's tail and join the features; the next state keeps that tail
  // until record_inputs() writes the step's own.
  const torch::Tensor tail = state.slice(1, 2 * h, 2 * h + input_size_);
  auto [hidden, cell] = core_->forward(torch::cat({features, tail}, /*dim=*/1), hc);
  return {hidden, torch::cat({hidden, cell, tail}, /*dim=*/1)};
}

torch::Tensor ActorCriticImpl::core_inputs_of(const torch::Tensor& actions, const torch::Tensor& rewards) const {
  const int64_t n = rewards.numel();
  std::vector<torch::Tensor> parts;
  if (sees_action_) {
    parts.push_back(discrete_ ? torch::one_hot(actions.reshape({n}).to(torch::kLong), action_width_).to(torch::kFloat)
                              : actions.reshape({n, action_width_}).to(torch::kFloat));
  }
  if (sees_reward_) parts.push_back(rewards.reshape({n, 1}).to(torch::kFloat).clamp(-1.0, 1.0));
  if (parts.empty()) return torch::zeros({n, 0}, rewards.options().dtype(torch::kFloat));
  return torch::cat(parts, /*dim=*/1);
}

void ActorCriticImpl::record_inputs(torch::Tensor& state, const torch::Tensor& actions,
                                    const torch::Tensor& rewards) const {
  if (input_size_ == 0) return;
  const int64_t h = core_->options.hidden_size();
  state.slice(1, 2 * h, 2 * h + input_size_).copy_(core_inputs_of(actions, rewards));
}

PolicyOutput ActorCriticImpl::step(const torch::Tensor& obs, torch::Tensor& state) {
  auto [hidden, next] = core_step(encode(obs), state);
  state = next;
  return heads(hidden);
}

SequenceOutput ActorCriticImpl::forward_sequence(const torch::Tensor& obs, const torch::Tensor& state0,
                                                 const torch::Tensor& starts, const torch::Tensor& inputs) {
  const int64_t L = starts.size(0), B = starts.size(1);
  TORCH_CHECK(input_size_ == 0 || (inputs.defined() && inputs.dim() == 3 && inputs.size(0) == L &&
                                   inputs.size(1) == B && inputs.size(2) == input_size_),
              "ActorCritic::forward_sequence: policy.core_inputs needs each step's inputs [", L, ", ", B, ", ",
              input_size_, "]");
  const int64_t h = core_->options.hidden_size();
  // The encoder runs once over all L*B rows; only the core walks the steps.
  const torch::Tensor features = encode(obs).reshape({L, B, -1});
  const torch::Tensor keep = (1.0 - starts.to(features.dtype())).unsqueeze(-1);  // [L, B, 1]
  torch::Tensor state = state0;
  std::vector<torch::Tensor> hidden, states;
  hidden.reserve(L);
  states.reserve(L);
  for (int64_t t = 0; t < L; ++t) {
    // The step's core inputs in the tail (the previous step's action and
    // reward), then zeroed where an episode starts (state * (1 - start), as
    // TorchBeast).
    if (input_size_ > 0) state = torch::cat({state.slice(1, 0, 2 * h), inputs[t]}, /*dim=*/1);
    auto [hid, next] = core_step(features[t], state * keep[t]);
    hidden.push_back(hid);
    states.push_back(next);
    state = next;
  }
  torch::Tensor after = torch::stack(states, /*dim=*/0);
  if (input_size_ > 0) {
    // After step t the tail holds step t's own action and reward, the
    // inputs of step t+1 (after the last step they are not known: zeros).
    const torch::Tensor next_inputs =
        torch::cat({inputs.slice(0, 1), torch::zeros_like(inputs.slice(0, 0, 1))}, /*dim=*/0);
    after = torch::cat({after.slice(2, 0, 2 * h), next_inputs}, /*dim=*/2);
  }
  return {heads(torch::cat(hidden, /*dim=*/0)), after};
}

torch::Tensor ActorCriticImpl::value_from(const torch::Tensor& obs, const torch::Tensor& state) {
  auto [hidden, next] = core_step(encode(obs), state);
  (void)next;
  return v_head_->forward(hidden).squeeze(-1);
}

PolicyOutput ActorCriticImpl::forward(const torch::Tensor& obs) {
  TORCH_CHECK(!recurrent(), "ActorCritic::forward: a recurrent model steps with its state (step, forward_sequence)");
  if (encoder_) return heads(encode(obs));
  const torch::Tensor pi_features = pi_trunk_->forward(obs);
  const torch::Tensor v_features =
      v_trunk_.ptr() == pi_trunk_.ptr() ? pi_features : v_trunk_->forward(obs);
  return {pi_head_->forward(pi_features), v_head_->forward(v_features).squeeze(-1)};
}

torch::Tensor ActorCriticImpl::value(const torch::Tensor& obs) {
  TORCH_CHECK(!recurrent(), "ActorCritic::value: a recurrent model needs its state (value_from)");
  if (encoder_) return v_head_->forward(encode(obs)).squeeze(-1);
  return v_head_->forward(v_trunk_->forward(obs)).squeeze(-1);
}

torch::Tensor ActorCriticImpl::log_prob(const PolicyOutput& out, const torch::Tensor& actions) const {
  if (discrete_) {
    const torch::Tensor log_probs = torch::log_softmax(out.params, /*dim=*/-1);
    return log_probs.gather(-1, actions.to(torch::kLong).unsqueeze(-1)).squeeze(-1);
  }
  // Sum over dimensions of -(a - mu)^2 / (2 sigma^2) - log sigma - log(2 pi) / 2.
  const torch::Tensor z = (actions - out.params) * torch::exp(-log_std_);
  return (-0.5 * z.pow(2) - log_std_ - 0.5 * std::log(2.0 * std::numbers::pi)).sum(-1);
}

torch::Tensor ActorCriticImpl::entropy(const PolicyOutput& out) const {
  if (discrete_) {
    const torch::Tensor log_probs = torch::log_softmax(out.params, /*dim=*/-1);
    return -(log_probs.exp() * log_probs).sum(-1);
  }
  const torch::Tensor per_dim = 0.5 + 0.5 * std::log(2.0 * std::numbers::pi) + log_std_;
  return per_dim.sum().expand({out.params.size(0)});
}

torch::Tensor ActorCriticImpl::mode(const PolicyOutput& out) const {
  return discrete_ ? out.params.argmax(-1) : out.params;
}

torch::Tensor ActorCriticImpl::sample(const PolicyOutput& out, Rng& rng) const {
  const torch::Tensor params = out.params.detach().to(torch::kCPU).contiguous();
  const int64_t rows = params.size(0);
  const int64_t width = params.size(1);
  const float* p = params.data_ptr<float>();
  if (discrete_) {
    torch::Tensor actions = torch::empty({rows}, torch::kLong);
    int64_t* a = actions.data_ptr<int64_t>();
    for (int64_t r = 0; r < rows; ++r) a[r] = dist::sample_categorical(p + r * width, width, rng);
    return actions;
  }
  const torch::Tensor std_dev = torch::exp(log_std_.detach()).to(torch::kCPU).contiguous();
  torch::Tensor actions = torch::empty({rows, width}, torch::kFloat);
  float* a = actions.data_ptr<float>();
  for (int64_t r = 0; r < rows; ++r) {
    dist::sample_gaussian(p + r * width, std_dev.data_ptr<float>(), width, rng, a + r * width);
  }
  return actions;
}

torch::Device resolve_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::kCPU;
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw std::invalid_argument("--device " + name +
                                  ": CUDA is not available (this libtorch is a CPU build or there "
                                  "is no GPU); use --device cpu or auto");
    }
    return torch::Device(name);
  }
  throw std::invalid_argument("--device '" + name + "' is not one of auto, cpu, cuda, cuda:N");
}

double ActorCriticImpl::forward_flops() const {
  double flops = encoder_ ? encoder_->conv_flops() : 0.0;
  // modules() holds a shared trunk once; every Linear, the encoder's FC included.
  for (const auto& module : modules(/*include_self=*/false)) {
    if (const auto* linear = module->as<torch::nn::Linear>()) flops += 2.0 * static_cast<double>(linear->weight.numel());
  }
  if (!core_.is_empty()) flops += 2.0 * static_cast<double>(core_->weight_ih.numel() + core_->weight_hh.numel());
  return flops;
}

}  // namespace rl
