// Built twice: with libtorch (rl_actors: the training programs, rl_eval),
// and without (rl_actors_lite, RL_ACTOR_NO_TORCH: the rl_actor program),
// where only the fast path exists and a model off it is refused at once.
#include "actors/policy_actor.h"

#ifndef RL_ACTOR_NO_TORCH
#include <torch/torch.h>

#include "rl/nn/actor_critic.h"
#include "rl/nn/flat_parameters.h"
#endif

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "rl/nn/distributions.h"

namespace rl {

namespace {

// The path without libtorch for `policy`, if any: the MLP fast path, or
// ActorForward (CNN encoders, LSTM cores).
void make_flat_path(const EnvSpec& spec, const PolicyConfig& policy, std::unique_ptr<MlpActorCritic>& fast,
                    std::unique_ptr<ActorForward>& forward) {
  if (policy.fast_path_applies()) {
    fast = std::make_unique<MlpActorCritic>(MlpSpec::of(spec.obs_size(), spec.action_space, policy));
  } else if (ActorForwardSpec::applies(policy, spec.observation_space, spec.action_space)) {
    forward = std::make_unique<ActorForward>(ActorForwardSpec::of(spec.observation_space, spec.action_space, policy));
  }
}

}  // namespace

const std::vector<FlatSlot>& PolicyActor::flat_slots() const { return fast_ ? fast_->slots() : forward_->slots(); }

#ifdef RL_ACTOR_NO_TORCH

PolicyActor::PolicyActor(const EnvSpec& spec, const PolicyConfig& policy,
                         const NormalizeConfig& normalize, uint64_t seed, const std::string& device)
    : spec_(spec), normalizer_(spec.obs_size(), normalize.observations, normalize.clip_obs), rng_(seed) {
  if (device != "cpu") {
    throw std::invalid_argument("this actor program has no libtorch: it runs policies on the CPU, not on " + device);
  }
  make_flat_path(spec, policy, fast_, forward_);
  if (!fast()) {
    throw std::invalid_argument(
        "this actor program has no libtorch: it runs MLP policies (with or without an LSTM core), and "
        "minatar_cnn, nature_cnn or impala_cnn ones with Discrete actions; this run's policy (" +
        (policy.fast_path == "off" ? std::string("policy.fast_path off") : "policy.encoder " + policy.encoder) +
        (policy.core != "none" ? " with a core" : "") + ") needs the training program's actors (train_<algorithm> --role actor)");
  }
  state_size_ = forward_ ? forward_->spec().state_size() : 0;
  // Zeros until the first weights come: an actor acts only after it has them.
  flat_weights_.assign(flat_slots().empty() ? 0 : flat_slots().back().offset + flat_slots().back().size, 0.f);
  for (size_t i = 0; i < flat_slots().size(); ++i) slot_of_[flat_slots()[i].name] = i;
  row_scratch_.resize(fast_ ? fast_->spec().head_size : forward_->spec().head_size);
}

#else

PolicyActor::PolicyActor(const EnvSpec& spec, const PolicyConfig& policy,
                         const NormalizeConfig& normalize, uint64_t seed, const std::string& device)
    : spec_(spec),
      device_(device),
      model_(std::make_shared<ActorCriticImpl>(spec.observation_space, spec.action_space, policy)),
      normalizer_(spec.obs_size(), normalize.observations, normalize.clip_obs),
      rng_(seed) {
  model_->eval();
  for (auto& p : model_->parameters()) p.set_requires_grad(false);
  state_size_ = model_->state_size();
  if (device_ != "cpu") {
    model_->to(torch::Device(device_));  // throws naming a device this build or machine lacks
    return;                              // libtorch's path, on the device
  }
  // MLPs run on the fast path, plain CNNs on their own forward, unless
  // policy.fast_path is off; everything else on libtorch.
  make_flat_path(spec, policy, fast_, forward_);
  if (fast()) {
    flat_weights_.resize(flat_slots().back().offset + flat_slots().back().size);
    copy_parameters(*model_, flat_slots(), flat_weights_);
    for (size_t i = 0; i < flat_slots().size(); ++i) slot_of_[flat_slots()[i].name] = i;
    row_scratch_.resize(fast_ ? fast_->spec().head_size : forward_->spec().head_size);
  }
}

#endif  // RL_ACTOR_NO_TORCH

PolicyActor::~PolicyActor() = default;

#ifndef RL_ACTOR_NO_TORCH
ActorCriticImpl& PolicyActor::model() { return *model_; }

void PolicyActor::load(ActorCriticImpl& model, const RunningMeanStd& obs_stats, int64_t version) {
  torch::NoGradGuard no_grad;
  const auto source = model.named_parameters(/*recurse=*/true);
  auto target = model_->named_parameters(/*recurse=*/true);
  if (source.size() != target.size()) {
    throw std::invalid_argument("PolicyActor::load: the model has " + std::to_string(source.size()) +
                                " parameters, the actor's has " + std::to_string(target.size()));
  }
  for (const auto& item : source) {
    torch::Tensor* dst = target.find(item.key());
    if (!dst || !dst->sizes().equals(item.value().sizes())) {
      throw std::invalid_argument("PolicyActor::load: parameter '" + item.key() +
                                  "' is missing or has another shape");
    }
    dst->copy_(item.value().detach().to(torch::kCPU));
  }
  if (fast()) copy_parameters(*model_, flat_slots(), flat_weights_);
  normalizer_.stats() = obs_stats;
  version_ = version;
  has_values_ = true;
}
#endif  // RL_ACTOR_NO_TORCH

void PolicyActor::load(const wire::WeightsPayload& weights) {
  auto is_value = [](const std::string& name) { return name.rfind("v_", 0) == 0; };
  size_t values_received = 0;
  for (const auto& p : weights.parameters) values_received += is_value(p.name);
  // Everything, or everything but the value function.
  size_t total = 0, values_expected = 0;
  if (fast()) {
    total = flat_slots().size();
    for (const FlatSlot& slot : flat_slots()) values_expected += is_value(slot.name);
  } else {
#ifndef RL_ACTOR_NO_TORCH
    total = model_->named_parameters(/*recurse=*/true).size();
    for (const auto& item : model_->named_parameters(/*recurse=*/true)) values_expected += is_value(item.key());
#endif
  }
  const size_t policy_expected = total - values_expected;
  if (weights.parameters.size() != total && !(values_received == 0 && weights.parameters.size() == policy_expected)) {
    throw std::invalid_argument("weights: " + std::to_string(weights.parameters.size()) +
                                " parameters received, the actor's network has " + std::to_string(total) + " (" +
                                std::to_string(policy_expected) + " without the value function)");
  }
  auto missing = [](const std::string& name) {
    return std::invalid_argument("weights: parameter '" + name +
                                 "' is missing from the actor's network or has another shape");
  };
  if (fast()) {
    // Straight into the flat buffer: no libtorch on an actor's hot path (a
    // load per unroll). The libtorch module is left as it was.
    std::vector<bool> seen(flat_slots().size(), false);
    for (const auto& p : weights.parameters) {
      auto it = slot_of_.find(p.name);
      if (it == slot_of_.end()) throw missing(p.name);
      const FlatSlot& slot = flat_slots()[it->second];
      if (slot.shape != p.shape || static_cast<int64_t>(p.values.size()) != slot.size || seen[it->second]) {
        throw missing(p.name);
      }
      seen[it->second] = true;
    }
    for (const auto& p : weights.parameters) {
      const FlatSlot& slot = flat_slots()[slot_of_.at(p.name)];
      std::copy(p.values.begin(), p.values.end(), flat_weights_.begin() + slot.offset);
    }
  } else {
#ifndef RL_ACTOR_NO_TORCH
    torch::NoGradGuard no_grad;
    auto target = model_->named_parameters(/*recurse=*/true);
    for (const auto& p : weights.parameters) {
      torch::Tensor* dst = target.find(p.name);
      if (!dst || !dst->sizes().equals(p.shape)) throw missing(p.name);
    }
    for (const auto& p : weights.parameters) {
      target.find(p.name)->copy_(torch::from_blob(const_cast<float*>(p.values.data()), p.shape, torch::kFloat));
    }
#endif
  }
  normalizer_.stats().set(weights.obs_mean, weights.obs_var, weights.obs_count);
  version_ = weights.version;
  epoch_ = weights.epoch;
  has_values_ = values_received == values_expected;
}

void PolicyActor::act_on_state(std::span<const float> obs, std::span<float> state, std::span<int64_t> discrete,
                               std::span<float> box, std::span<float> log_probs, std::span<float> values) {
  state_.assign(state.begin(), state.end());
  act(obs, /*deterministic=*/false, discrete, box, log_probs, values);
  std::copy(state_.begin(), state_.end(), state.begin());
}

void PolicyActor::record_on_state(std::span<float> state, std::span<const int64_t> discrete,
                                  std::span<const float> box, std::span<const float> rewards) {
  state_.assign(state.begin(), state.end());
  last_discrete_.assign(discrete.begin(), discrete.end());
  last_box_.assign(box.begin(), box.end());
  stepped(rewards);
  std::copy(state_.begin(), state_.end(), state.begin());
}

void PolicyActor::act(std::span<const float> obs, bool deterministic, std::span<int64_t> discrete,
                      std::span<float> box, std::span<float> log_probs, std::span<float> values) {
  const int64_t obs_size = spec_.obs_size();
  const int64_t rows = static_cast<int64_t>(obs.size()) / obs_size;
  // Raw observations go in as they are unless normalized (frames: a copy
  // of 113 kB a row saved).
  input_ = obs;
  if (normalizer_.enabled()) {
    normalized_.resize(obs.size());
    normalizer_.normalize(obs, normalized_);
    input_ = normalized_;
  }
  if (fast_) {
    act_fast(rows, deterministic, discrete, box, log_probs, values);
    return;
  }
  if (forward_) {
    act_forward(rows, deterministic, discrete, box, log_probs, values);
    return;
  }
#ifndef RL_ACTOR_NO_TORCH

  c10::InferenceMode inference;
  const torch::Device device(device_);
  const torch::Tensor input =
      torch::from_blob(const_cast<float*>(input_.data()), {rows, obs_size}, torch::kFloat).to(device);
  PolicyOutput out;
  if (recurrent()) {
    if (static_cast<int64_t>(state_.size()) != rows * state_size_) state_.assign(rows * state_size_, 0.f);
    torch::Tensor state = torch::from_blob(state_.data(), {rows, state_size_}, torch::kFloat).to(device);
    out = model_->step(input, state);
    const torch::Tensor back = state.to(torch::kCPU).contiguous();
    std::copy_n(back.data_ptr<float>(), state_.size(), state_.begin());
  } else {
    out = model_->forward(input);
  }
  // Sampling draws from the actor's stream on the CPU (sample() copies the
  // logits there); the log-probabilities are the device's.
  const torch::Tensor actions = (deterministic ? model_->mode(out) : model_->sample(out, rng_)).to(torch::kCPU);
  const torch::Tensor lp = model_->log_prob(out, actions.to(device)).to(torch::kCPU).contiguous();
  std::copy_n(lp.data_ptr<float>(), rows, log_probs.begin());
  if (has_values_) {
    const torch::Tensor v = out.value.to(torch::kCPU).contiguous();
    std::copy_n(v.data_ptr<float>(), rows, values.begin());
  } else {
    std::fill_n(values.begin(), rows, 0.f);
  }
  if (model_->discrete()) {
    const torch::Tensor a = actions.to(torch::kLong).contiguous();
    std::copy_n(a.data_ptr<int64_t>(), rows, discrete.begin());
  } else {
    const torch::Tensor a = actions.contiguous();
    std::copy_n(a.data_ptr<float>(), a.numel(), box.begin());
  }
  if (model_->core_input_size() > 0) {  // the core's next inputs (stepped)
    last_discrete_.assign(discrete.begin(), discrete.begin() + (model_->discrete() ? rows : 0));
    last_box_.assign(box.begin(), box.begin() + (model_->discrete() ? 0 : actions.numel()));
  }
#endif  // RL_ACTOR_NO_TORCH
}

void PolicyActor::episodes_started(std::span<const uint8_t> starts) {
  if (!recurrent()) return;
  const int64_t rows = static_cast<int64_t>(starts.size());
  if (static_cast<int64_t>(state_.size()) != rows * state_size_) state_.assign(rows * state_size_, 0.f);
  for (int64_t r = 0; r < rows; ++r) {
    if (starts[r]) std::fill_n(state_.begin() + r * state_size_, state_size_, 0.f);
  }
}

std::span<const float> PolicyActor::core_state() const { return state_; }

void PolicyActor::stepped(std::span<const float> rewards) {
  if (!recurrent()) return;
  const int64_t rows = static_cast<int64_t>(rewards.size());
  const bool discrete = spec_.action_space.is_discrete();
  const int64_t taken = discrete ? static_cast<int64_t>(last_discrete_.size())
                                 : static_cast<int64_t>(last_box_.size()) / std::max<int64_t>(1, spec_.action_size());
  if (forward_) {
    if (forward_->spec().core_inputs == 0) return;
    if (taken != rows) {
      throw std::logic_error("PolicyActor::stepped: " + std::to_string(rows) + " rewards for the actions of another batch");
    }
    forward_->record_inputs(state_, last_discrete_, last_box_, rewards);
    return;
  }
#ifndef RL_ACTOR_NO_TORCH
  if (model_->core_input_size() == 0) return;
  if (taken != rows) {
    throw std::logic_error("PolicyActor::stepped: " + std::to_string(rows) + " rewards for the actions of another batch");
  }
  c10::InferenceMode inference;
  torch::Tensor state = torch::from_blob(state_.data(), {rows, state_size_}, torch::kFloat);
  const torch::Tensor actions = discrete ? torch::from_blob(last_discrete_.data(), {rows}, torch::kLong)
                                         : torch::from_blob(last_box_.data(), {rows, spec_.action_size()}, torch::kFloat);
  model_->record_inputs(state, actions, torch::from_blob(const_cast<float*>(rewards.data()), {rows}, torch::kFloat));
#endif
}

void PolicyActor::value(std::span<const float> obs, std::span<float> values) {
  const int64_t obs_size = spec_.obs_size();
  const int64_t rows = static_cast<int64_t>(obs.size()) / obs_size;
  if (rows == 0) return;
  normalized_.resize(obs.size());
  normalizer_.normalize(obs, normalized_);
  if (fast_) {
    fast_->forward(flat_weights_, normalized_, rows);
    std::copy_n(fast_->values().begin(), rows, values.begin());
    return;
  }
  if (forward_ && !recurrent()) {
    forward_->forward(flat_weights_, normalized_, rows, {});
    std::copy_n(forward_->values().begin(), rows, values.begin());
    return;
  }
#ifndef RL_ACTOR_NO_TORCH
  c10::InferenceMode inference;
  const torch::Tensor input = torch::from_blob(normalized_.data(), {rows, obs_size}, torch::kFloat).to(torch::Device(device_));
  const torch::Tensor v = model_->value(input).to(torch::kCPU).contiguous();
  std::copy_n(v.data_ptr<float>(), rows, values.begin());
#endif
}

void PolicyActor::act_fast(int64_t rows, bool deterministic, std::span<int64_t> discrete,
                           std::span<float> box, std::span<float> log_probs, std::span<float> values) {
  fast_->forward(flat_weights_, input_, rows, has_values_);
  const int64_t width = fast_->spec().head_size;
  const float* head = fast_->head().data();
  std::copy_n(fast_->values().begin(), rows, values.begin());
  if (fast_->spec().discrete) {
    sample_discrete(head, rows, width, deterministic, discrete, log_probs);
    return;
  }
  sample_gaussian(head, rows, width, flat_weights_.data() + fast_->log_std_offset(), deterministic, box, log_probs);
}

void PolicyActor::act_forward(int64_t rows, bool deterministic, std::span<int64_t> discrete, std::span<float> box,
                              std::span<float> log_probs, std::span<float> values) {
  if (recurrent() && static_cast<int64_t>(state_.size()) != rows * state_size_) state_.assign(rows * state_size_, 0.f);
  forward_->forward(flat_weights_, input_, rows, state_, has_values_);
  std::copy_n(forward_->values().begin(), rows, values.begin());
  const int64_t width = forward_->spec().head_size;
  if (forward_->spec().discrete) {
    sample_discrete(forward_->head().data(), rows, width, deterministic, discrete, log_probs);
  } else {
    sample_gaussian(forward_->head().data(), rows, width, flat_weights_.data() + forward_->log_std_offset(),
                    deterministic, box, log_probs);
  }
  if (forward_->spec().core_inputs > 0) {  // the core's next inputs (stepped)
    last_discrete_.assign(discrete.begin(), discrete.begin() + (forward_->spec().discrete ? rows : 0));
    last_box_.assign(box.begin(), box.begin() + (forward_->spec().discrete ? 0 : rows * width));
  }
}

void PolicyActor::sample_gaussian(const float* head, int64_t rows, int64_t width, const float* log_std,
                                  bool deterministic, std::span<float> box, std::span<float> log_probs) {
  std_dev_.resize(width);
  for (int64_t j = 0; j < width; ++j) std_dev_[j] = std::exp(log_std[j]);
  for (int64_t r = 0; r < rows; ++r) {
    const float* mean = head + r * width;
    float* action = box.data() + r * width;
    if (deterministic) {
      std::copy_n(mean, width, action);
    } else {
      dist::sample_gaussian(mean, std_dev_.data(), width, rng_, action);
    }
    log_probs[r] = dist::gaussian_log_prob(action, mean, log_std, width);
  }
}

void PolicyActor::sample_discrete(const float* head, int64_t rows, int64_t width, bool deterministic,
                                  std::span<int64_t> discrete, std::span<float> log_probs) {
  // The same draws in the same order as ActorCriticImpl::sample.
  float* log_softmax = row_scratch_.data();
  for (int64_t r = 0; r < rows; ++r) {
    const float* logits = head + r * width;
    const int64_t a = deterministic ? dist::argmax(logits, width) : dist::sample_categorical(logits, width, rng_);
    dist::log_softmax(logits, width, log_softmax);
    discrete[r] = a;
    log_probs[r] = log_softmax[a];
  }
}

ActorBatchPolicy::ActorBatchPolicy(PolicyActor& actor, const Space& action_space, bool deterministic)
    : actor_(actor), action_space_(action_space), deterministic_(deterministic) {}

void ActorBatchPolicy::act(std::span<const float> obs, std::span<int64_t> discrete,
                           std::span<float> box) {
  const size_t rows = discrete.empty() ? box.size() / action_space_.flat_size() : discrete.size();
  log_probs_.resize(rows);
  values_.resize(rows);
  actor_.act(obs, deterministic_, discrete, box, log_probs_, values_);
  if (!box.empty()) clip_to_space(action_space_, box);
}

void clip_to_space(const Space& space, std::span<float> actions) {
  const auto low = space.low();
  const auto high = space.high();
  const size_t width = low.size();
  for (size_t i = 0; i < actions.size(); ++i) {
    actions[i] = std::clamp(actions[i], low[i % width], high[i % width]);
  }
}

}  // namespace rl
