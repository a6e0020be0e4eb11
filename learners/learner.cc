#include "learners/learner.h"

#include "learners/json_files.h"
#include "learners/learner_group.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>

namespace rl {
namespace fs = std::filesystem;

Learner::Learner(const EnvSpec& spec, const PolicyConfig& policy, const NormalizeConfig& normalize,
                 double gamma, torch::Device device, uint64_t seed)
    : spec_(spec),
      device_(device),
      model_(std::make_shared<ActorCriticImpl>(spec.obs_size(), spec.action_space, policy)),
      obs_normalizer_(spec.obs_size(), normalize.observations, normalize.clip_obs),
      reward_scaler_(normalize.rewards, gamma, normalize.clip_reward),
      rng_(derive_seed(seed, 0x1EA7)) {
  model_->to(device_);
  if (policy.fast_path == "on" && !device_.is_cpu()) {
    throw std::invalid_argument("policy.fast_path=on: the fast learner update runs on the CPU; use "
                                "--device cpu, or policy.fast_path=auto to use libtorch on " +
                                device_.str());
  }
  if (policy.fast_path != "off" && device_.is_cpu()) {
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

void Learner::scale_rewards(const std::vector<const Unroll*>& unrolls, const JoinedUnrolls& joined,
                            std::vector<float>& rewards) {
  const int64_t T = joined.num_steps, K = joined.num_streams;
  rewards = joined.rewards;
  if (!reward_scaler_.enabled()) return;
  std::vector<double> returns;
  for (size_t u = 0; u < unrolls.size(); ++u) {
    const Unroll& unroll = *unrolls[u];
    std::vector<uint8_t> done(T * unroll.num_envs);
    for (size_t j = 0; j < done.size(); ++j) done[j] = unroll.terminated[j] || unroll.truncated[j];
    const auto block = reward_scaler_.accumulate(unroll.rewards, done, T, unroll.num_envs,
                                                 joined.stream_offset[u]);
    returns.insert(returns.end(), block.begin(), block.end());
  }
  Moments batch = Moments::of(std::span<const double>(returns), T * K, 1);
  if (group_) batch = Moments::from_sums(group_->sum(batch.to_sums()));
  reward_scaler_.stats().update(batch);
  reward_scaler_.apply(rewards);
}

void Learner::reduce_gradients() {
  if (group_) group_->average_gradients(model_->parameters());
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
                             " floats and actions " + state.at("action_space").get<std::string>() +
                             "; this env has " + std::to_string(spec_.obs_size()) + " and " +
                             spec_.action_space.to_string());
  }
  try {
    torch::load(model_, (dir / "model.pt").string());
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

JoinedUnrolls join_unrolls(const std::vector<const Unroll*>& unrolls) {
  if (unrolls.empty()) throw std::invalid_argument("join_unrolls: no unrolls");
  JoinedUnrolls j;
  const Unroll& first = *unrolls.front();
  j.num_steps = first.num_steps;
  const int64_t T = j.num_steps;
  const int64_t d = first.obs_size;
  const int64_t a = first.action_size;
  for (const Unroll* u : unrolls) {
    u->check_consistent();
    if (u->num_steps != T || u->obs_size != d || u->discrete != first.discrete ||
        u->action_size != a) {
      throw std::invalid_argument("join_unrolls: unrolls of different shapes in one batch");
    }
    j.stream_offset.push_back(u->actor_id * u->num_envs);
    j.num_streams += u->num_envs;
  }
  const int64_t K = j.num_streams;
  j.obs.resize((T + 1) * K * d);
  j.rewards.resize(T * K);
  j.terminated.resize(T * K);
  j.truncated.resize(T * K);
  j.done.resize(T * K);
  j.log_probs.resize(T * K);
  j.values.resize(T * K);
  j.discrete_actions.resize(first.discrete ? T * K : 0);
  j.box_actions.resize(first.discrete ? 0 : T * K * a);
  int64_t col = 0;  // first stream of the current unroll
  for (const Unroll* u : unrolls) {
    const int64_t k = u->num_envs;
    for (int64_t t = 0; t <= T; ++t) {
      std::copy_n(u->obs.data() + t * k * d, k * d, j.obs.data() + (t * K + col) * d);
    }
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t i = 0; i < k; ++i) {
        const int64_t src = t * k + i, dst = t * K + col + i;
        j.rewards[dst] = u->rewards[src];
        j.terminated[dst] = u->terminated[src];
        j.truncated[dst] = u->truncated[src];
        j.done[dst] = u->terminated[src] || u->truncated[src];
        j.log_probs[dst] = u->behaviour_log_probs[src];
        j.values[dst] = u->values[src];
        if (first.discrete) {
          j.discrete_actions[dst] = u->discrete_actions[src];
        } else {
          std::copy_n(u->box_actions.data() + src * a, a, j.box_actions.data() + dst * a);
        }
      }
    }
    for (size_t m = 0; m < u->final_index.size(); ++m) {
      const int64_t t = u->final_index[m] / k, i = u->final_index[m] % k;
      j.final_index.push_back(static_cast<int32_t>(t * K + col + i));
    }
    j.final_obs.insert(j.final_obs.end(), u->final_obs.begin(), u->final_obs.end());
    col += k;
  }
  return j;
}

}  // namespace rl
