#include "learners/learner.h"

#include "learners/json_files.h"
#include "learners/learner_group.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace rl {
namespace fs = std::filesystem;

Learner::Learner(const EnvSpec& spec, const PolicyConfig& policy, const NormalizeConfig& normalize,
                 double gamma, torch::Device device, uint64_t seed)
    : spec_(spec),
      device_(device),
      model_(std::make_shared<ActorCriticImpl>(spec.observation_space, spec.action_space, policy)),
      obs_normalizer_(spec.obs_size(), normalize.observations, normalize.clip_obs),
      reward_scaler_(normalize.rewards, gamma, normalize.clip_reward),
      rng_(derive_seed(seed, 0x1EA7)) {
  if (normalize.observations && spec.observation_space.is_uint8()) {
    throw std::invalid_argument("normalize.observations: running normalization applies to float observations; " +
                                spec.id + "'s are uint8 (scale them with policy.obs_scale instead)");
  }
  model_->to(device_);
  // A learner's batches keep one shape: cuDNN times its convolution
  // algorithms once per shape and keeps the fastest.
  if (device_.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
  if (policy.fast_path == "on" && !device_.is_cpu()) {
    throw std::invalid_argument("policy.fast_path=on: the fast learner update runs on the CPU; use "
                                "--device cpu, or policy.fast_path=auto to use libtorch on " +
                                device_.str());
  }
  if (policy.fast_path_applies() && device_.is_cpu()) {
    fast_net_ = std::make_unique<MlpActorCritic>(MlpSpec::of(spec.obs_size(), spec.action_space, policy));
    flat_.attach(*model_, fast_net_->slots());
  }
}

void Learner::normalize_host(std::span<const float> raw, std::vector<float>& out) const {
  out.resize(raw.size());
  obs_normalizer_.normalize(raw, out);
}

std::vector<float> Learner::values_of(std::span<const float> normalized, int64_t rows) {
  std::vector<float> values(rows);
  if (rows == 0) return values;
  if (fast_net_) {
    fast_net_->forward(flat_.params(), normalized, rows);
    std::copy_n(fast_net_->values().begin(), rows, values.begin());
    return values;
  }
  torch::NoGradGuard no_grad;
  torch::Tensor input = torch::from_blob(const_cast<float*>(normalized.data()),
                                         {rows, spec_.obs_size()}, torch::kFloat);
  input = device_.is_cuda() ? input.pin_memory().to(device_, /*non_blocking=*/true) : input;
  const torch::Tensor v = model_->value(input).to(torch::kCPU).contiguous();
  std::copy_n(v.data_ptr<float>(), rows, values.begin());
  return values;
}

Learner::~Learner() = default;

torch::Tensor Learner::normalized(std::span<const float> raw, int64_t rows) {
  torch::Tensor out = torch::empty({rows, spec_.obs_size()}, torch::kFloat);
  obs_normalizer_.normalize(raw, std::span<float>(out.data_ptr<float>(), raw.size()));
  if (device_.is_cuda()) return out.pin_memory().to(device_, /*non_blocking=*/true);
  return out;
}

void Learner::join_group(LearnerGroup* group) {
  group_ = group;
  if (group_) group_->broadcast(model_->parameters());
}

void Learner::update_obs_stats(std::span<const float> raw, int64_t rows) {
  if (!obs_normalizer_.enabled()) return;
  Moments batch = Moments::of(raw, rows, spec_.obs_size());
  if (group_) batch = Moments::from_sums(group_->sum(batch.to_sums()));
  obs_normalizer_.stats().update(batch);
}

void Learner::scale_rewards(const Batch& batch, std::vector<float>& rewards) {
  rewards.assign(batch.rewards.begin(), batch.rewards.end());
  if (!reward_scaler_.enabled()) return;
  reward_scaler_.accumulate_columns(batch.rewards, batch.done, batch.num_steps, batch.stream, scaled_returns_);
  Moments moments = Moments::of(std::span<const double>(scaled_returns_), batch.env_steps(), 1);
  if (group_) moments = Moments::from_sums(group_->sum(moments.to_sums()));
  reward_scaler_.stats().update(moments);
  reward_scaler_.apply(rewards);
}

void Learner::prepare_time_major(const Batch& joined, double gamma, bool clip_rewards, TimeMajorInputs& out) {
  const int64_t N = joined.env_steps();
  const int64_t m = static_cast<int64_t>(joined.final_index.size());
  scale_rewards(joined, out.rewards);
  // The clip applies to the env's rewards, before the truncation bootstrap
  // joins them: a bootstrap value is not a reward.
  if (clip_rewards) {
    for (float& r : out.rewards) r = std::clamp(r, -1.f, 1.f);
  }
  normalize_host(joined.obs, out.obs);
  if (m > 0) {
    // A truncated step bootstraps from its final observation's value through
    // the reward, and its discount is 0 like every episode end.
    normalize_host(joined.final_obs, out.finals);
    const std::vector<float> finals =
        model_->recurrent() ? replay_core(joined, out.obs, out.finals).final_values : values_of(out.finals, m);
    for (int64_t j = 0; j < m; ++j) out.rewards[joined.final_index[j]] += static_cast<float>(gamma) * finals[j];
  }
  out.discounts.resize(N);
  for (int64_t j = 0; j < N; ++j) out.discounts[j] = joined.done[j] ? 0.f : static_cast<float>(gamma);
  update_obs_stats(std::span<const float>(joined.obs).first(N * spec_.obs_size()), N);
}

torch::Tensor Learner::sequence_starts(const Batch& batch) const {
  const int64_t T = batch.num_steps, K = batch.num_streams;
  std::vector<float> starts((T + 1) * K, 0.f);
  for (int64_t j = 0; j < T * K; ++j) starts[K + j] = batch.done[j];
  return upload(starts, {T + 1, K});
}

torch::Tensor Learner::core_state(const Batch& batch) const {
  if (static_cast<int64_t>(batch.core_state.size()) != batch.num_streams * model_->state_size()) {
    throw std::invalid_argument("batch: core state of " + std::to_string(batch.core_state.size()) +
                                " floats, the model needs " + std::to_string(model_->state_size()) + " per stream");
  }
  return upload(batch.core_state, {batch.num_streams, model_->state_size()});
}

torch::Tensor Learner::core_inputs(const Batch& batch) const {
  const int64_t P = model_->core_input_size();
  if (P == 0) return {};
  const int64_t T = batch.num_steps, K = batch.num_streams, S = model_->state_size();
  const torch::Tensor first = core_state(batch).slice(1, S - P, S).unsqueeze(0);  // [1, K, P]
  const torch::Tensor actions = spec_.action_space.is_discrete()
                                    ? upload(batch.discrete_actions, {T * K})
                                    : upload(batch.box_actions, {T * K, spec_.action_size()});
  const torch::Tensor later = model_->core_inputs_of(actions, upload(batch.rewards, {T * K})).reshape({T, K, P});
  return torch::cat({first, later}, /*dim=*/0);
}

Learner::CoreReplay Learner::replay_core(const Batch& batch, std::span<const float> normalized_obs,
                                         std::span<const float> normalized_finals) {
  torch::NoGradGuard no_grad;
  const int64_t T = batch.num_steps, K = batch.num_streams, d = spec_.obs_size();
  const int64_t m = static_cast<int64_t>(batch.final_index.size());
  const std::vector<float> obs(normalized_obs.begin(), normalized_obs.begin() + (T + 1) * K * d);
  const SequenceOutput replay = model_->forward_sequence(upload(obs, {(T + 1) * K, d}), core_state(batch),
                                                         sequence_starts(batch), core_inputs(batch));
  CoreReplay out;
  const torch::Tensor values = replay.out.value.to(torch::kCPU).contiguous();
  out.values.assign(values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
  if (m > 0) {
    // Final observation j ended stream i's episode at step t: its value is
    // seen from the state after step t, before the reset.
    std::vector<int64_t> rows(m);
    for (int64_t j = 0; j < m; ++j) rows[j] = batch.final_index[j];
    const torch::Tensor index = upload(rows, {m});
    const torch::Tensor states = replay.states_after.reshape({(T + 1) * K, -1}).index_select(0, index);
    const std::vector<float> finals(normalized_finals.begin(), normalized_finals.begin() + m * d);
    const torch::Tensor v = model_->value_from(upload(finals, {m, d}), states).to(torch::kCPU).contiguous();
    out.final_values.assign(v.data_ptr<float>(), v.data_ptr<float>() + m);
  }
  return out;
}

std::pair<double, double> Learner::policy_lag(const Batch& batch) const {
  double sum = 0, largest = 0;
  for (const Batch::Source& source : batch.sources) {
    const double lag = static_cast<double>(version_ - source.policy_version);
    sum += lag;
    largest = std::max(largest, lag);
  }
  return {batch.sources.empty() ? 0.0 : sum / static_cast<double>(batch.sources.size()), largest};
}

wire::WeightsPayload Learner::snapshot() {
  torch::NoGradGuard no_grad;
  wire::WeightsPayload w;
  w.version = version_;
  const bool values = actors_need_values();
  for (const auto& item : model_->named_parameters(/*recurse=*/true)) {
    // The value function's modules: v_trunk (separate networks) and v_head.
    if (!values && item.key().rfind("v_", 0) == 0) continue;
    const torch::Tensor cpu = item.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
    w.parameters.push_back({item.key(), cpu.sizes().vec(),
                            std::vector<float>(cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel())});
  }
  const RunningMeanStd& obs = obs_normalizer_.stats();
  w.obs_mean = obs.mean();
  w.obs_var = obs.var();
  w.obs_count = obs.count();
  return w;
}

void Learner::reduce_gradients() {
  if (group_) group_->average_gradients(model_->parameters());
}

std::function<double(double)> Learner::group_mean() {
  if (!group_) return {};
  return [group = group_](double value) { return group->sum({value})[0] / group->world_size(); };
}

void Learner::save(const fs::path& dir) {
  store_optimizer_state();
  torch::save(model_, (dir / "model.pt").string());
  torch::serialize::OutputArchive archive;
  optimizer().save(archive);
  archive.save_to((dir / "optimizer.pt").string());

  const auto& obs = obs_normalizer_.stats();
  const auto& ret = reward_scaler_.stats();
  nlohmann::ordered_json state = {
      {"obs_size", spec_.obs_size()},
      {"obs_dtype", element_type_name(spec_.observation_space.dtype())},
      {"obs_shape", spec_.observation_space.shape()},
      {"action_space", spec_.action_space.to_string()},
      {"version", version_},
      {"updates", updates_},
      {"obs_stats", {{"mean", obs.mean()}, {"var", obs.var()}, {"count", obs.count()}}},
      {"return_stats", {{"mean", ret.mean()}, {"var", ret.var()}, {"count", ret.count()}}},
      {"stream_returns", reward_scaler_.stream_returns()},
      {"rng", rng_.state()}};
  write_text(dir / "learner.json", state.dump(2) + "\n");
}

void Learner::load(const fs::path& dir) {
  const nlohmann::json state = read_json(dir / "learner.json");
  if (state.at("obs_size").get<int64_t>() != spec_.obs_size() ||
      state.at("action_space").get<std::string>() != spec_.action_space.to_string()) {
    throw std::runtime_error("checkpoint " + dir.string() + " is for observations of " +
                             std::to_string(state.at("obs_size").get<int64_t>()) +
                             " elements and actions " + state.at("action_space").get<std::string>() +
                             "; this env has " + std::to_string(spec_.obs_size()) + " and " +
                             spec_.action_space.to_string());
  }
  try {
    // Mapped onto this learner's device whatever device wrote it: a GPU's
    // checkpoint resumes on the CPU (even in a CPU build) and the reverse.
    torch::load(model_, (dir / "model.pt").string(), device_);
    model_->to(device_);
    // torch::load replaced the parameters' storage: point them at flat buffers again.
    if (fast_net_) flat_.attach(*model_, fast_net_->slots());
    torch::serialize::InputArchive archive;
    archive.load_from((dir / "optimizer.pt").string(), device_);
    optimizer().load(archive);
    restore_optimizer_state();
  } catch (const c10::Error& e) {
    throw std::runtime_error("checkpoint " + dir.string() +
                             ": model.pt or optimizer.pt does not load (another network "
                             "configuration, or a corrupt file): " + e.what_without_backtrace());
  }
  version_ = state.at("version").get<int64_t>();
  updates_ = state.at("updates").get<int64_t>();
  const auto& o = state.at("obs_stats");
  obs_normalizer_.stats().set(o.at("mean"), o.at("var"), o.at("count"));
  const auto& r = state.at("return_stats");
  reward_scaler_.stats().set(r.at("mean"), r.at("var"), r.at("count"));
  reward_scaler_.set_stream_returns(state.at("stream_returns").get<std::vector<double>>());
  rng_.set_state(state.at("rng").get<std::array<uint64_t, 4>>());
}

}  // namespace rl
