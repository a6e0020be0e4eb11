#include "rl/nn/actor_critic.h"

#include <cmath>
#include <numbers>

#include "rl/nn/distributions.h"

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
  // The module names are the keys of checkpoints and weight messages; the
  // value function's start with "v_" (IMPALA's actors go without them).
  if (config.encoder != "mlp") {
    encoder_ = register_module("encoder", make_cnn_encoder(obs_shape_, config));
    pi_head_ = register_module("pi_head", torch::nn::Linear(encoder_->out_size(), out));
    v_head_ = register_module("v_head", torch::nn::Linear(encoder_->out_size(), 1));
    if (!discrete_) log_std_ = register_parameter("log_std", torch::full({out}, config.log_std_init));
    if (config.ortho_init) {
      torch::NoGradGuard no_grad;
      for (auto& module : encoder_->modules(/*include_self=*/false)) {
        if (auto* conv = module->as<torch::nn::Conv2d>()) {
          torch::nn::init::orthogonal_(conv->weight, std::sqrt(2.0));
          torch::nn::init::zeros_(conv->bias);
        } else if (auto* linear = module->as<torch::nn::Linear>()) {
          torch::nn::init::orthogonal_(linear->weight, std::sqrt(2.0));
          torch::nn::init::zeros_(linear->bias);
        }
      }
      orthogonal_init(pi_head_, /*gain=*/0.01);
      orthogonal_init(v_head_, /*gain=*/1.0);
    }
    return;
  }
  const int64_t last = config.hidden_sizes.back();
  if (config.shared_trunk) {
    pi_trunk_ = register_module("trunk", make_trunk(obs_size, config));
    v_trunk_ = pi_trunk_;
  } else {
    pi_trunk_ = register_module("pi_trunk", make_trunk(obs_size, config));
    v_trunk_ = register_module("v_trunk", make_trunk(obs_size, config));
  }
  pi_head_ = register_module("pi_head", torch::nn::Linear(last, out));
  v_head_ = register_module("v_head", torch::nn::Linear(last, 1));
  if (!discrete_) {
    log_std_ = register_parameter("log_std", torch::full({out}, config.log_std_init));
  }
  if (config.ortho_init) {
    torch::NoGradGuard no_grad;
    orthogonal_init(pi_trunk_, std::sqrt(2.0));
    if (!config.shared_trunk) orthogonal_init(v_trunk_, std::sqrt(2.0));
    orthogonal_init(pi_head_, /*gain=*/0.01);
    orthogonal_init(v_head_, /*gain=*/1.0);
  }
}

torch::Tensor ActorCriticImpl::encode(const torch::Tensor& obs) {
  std::vector<int64_t> shape{obs.size(0)};
  shape.insert(shape.end(), obs_shape_.begin(), obs_shape_.end());
  torch::Tensor x = obs.reshape(shape);
  if (obs_scale_ != 1.0) x = x * obs_scale_;
  return encoder_->forward(x);
}

PolicyOutput ActorCriticImpl::forward(const torch::Tensor& obs) {
  if (encoder_) {
    const torch::Tensor features = encode(obs);
    return {pi_head_->forward(features), v_head_->forward(features).squeeze(-1)};
  }
  const torch::Tensor pi_features = pi_trunk_->forward(obs);
  const torch::Tensor v_features =
      v_trunk_.ptr() == pi_trunk_.ptr() ? pi_features : v_trunk_->forward(obs);
  return {pi_head_->forward(pi_features), v_head_->forward(v_features).squeeze(-1)};
}

torch::Tensor ActorCriticImpl::value(const torch::Tensor& obs) {
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

}  // namespace rl
