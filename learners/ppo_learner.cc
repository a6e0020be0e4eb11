#include "learners/ppo_learner.h"

#include "algorithms/ppo.h"
#include "algorithms/returns.h"

namespace rl {

PpoLearner::PpoLearner(const EnvSpec& spec, const PolicyConfig& policy,
                       const NormalizeConfig& normalize, const PpoConfig& config,
                       torch::Device device, uint64_t seed)
    : Learner(spec, policy, normalize, config.gamma, device, seed),
      config_(config),
      optimizer_(model_->parameters(),
                 torch::optim::AdamOptions(config.learning_rate).eps(config.adam_eps)) {
  if (fast_path()) {
    fused_adam_ = std::make_unique<FusedAdam>(
        fast_net_->num_parameters(),
        AdamSettings{.lr = config.learning_rate, .beta1 = 0.9, .beta2 = 0.999, .eps = config.adam_eps});
    fast_updater_ = std::make_unique<FastPpoUpdater>(fast_net_->spec());
  }
}

void PpoLearner::store_optimizer_state() {
  if (fused_adam_) store_state(*fused_adam_, optimizer_, fast_net_->slots());
}

void PpoLearner::restore_optimizer_state() {
  if (fused_adam_) restore_state(*fused_adam_, optimizer_, fast_net_->slots());
}

MetricRow PpoLearner::update(const Batch& joined, double progress) {
  const int64_t T = joined.num_steps, K = joined.num_streams, N = T * K;
  const int64_t d = spec_.obs_size();
  const int64_t m = static_cast<int64_t>(joined.final_index.size());

  // Observations normalized with the statistics the actors used (this
  // learner's current ones: PPO is synchronous), so that the first ratios
  // of the update are exactly 1.
  normalize_host(joined.obs, obs_);
  normalize_host(joined.final_obs, finals_normalized_);
  std::vector<float> bootstrap, final_values;
  if (model_->recurrent()) {
    // The core replayed from the actors' states: row T's values bootstrap.
    CoreReplay replay = replay_core(joined, obs_, finals_normalized_);
    bootstrap.assign(replay.values.begin() + N, replay.values.end());
    final_values = std::move(replay.final_values);
  } else {
    bootstrap = values_of(std::span<const float>(obs_).subspan(N * d), K);
    final_values = values_of(finals_normalized_, m);
  }

  scale_rewards(joined, rewards_);
  std::vector<float>& rewards = rewards_;
  next_values_.resize(N);
  advantages_.resize(N);
  returns_.resize(N);
  std::vector<float>& next_values = next_values_;
  std::vector<float>& advantages = advantages_;
  std::vector<float>& returns = returns_;
  successor_values(joined.values, bootstrap, joined.final_index, final_values, joined.terminated,
                   joined.truncated, T, K, next_values);
  gae(rewards, joined.values, next_values, joined.terminated, joined.truncated, T, K, config_.gamma,
      config_.gae_lambda, advantages, returns);

  // The statistics move on only after the batch is normalized.
  update_obs_stats(std::span<const float>(joined.obs).first(N * d), N);

  const double remaining = std::max(0.0, 1.0 - progress);
  const double lr = config_.learning_rate * (config_.anneal_lr ? remaining : 1.0);
  const double clip = std::max(config_.clip_coef * (config_.anneal_clip ? remaining : 1.0), 1e-8);
  PpoConfig step = config_;  // this update's settings
  if (config_.anneal_ent) step.ent_coef = config_.ent_coef * remaining;
  PpoStats stats;
  if (fast_path()) {
    PpoHostBatch batch{.size = N,
                       .obs = std::span<const float>(obs_).first(N * d),
                       .discrete_actions = joined.discrete_actions,
                       .box_actions = joined.box_actions,
                       .log_probs = joined.log_probs,
                       .values = joined.values,
                       .advantages = advantages,
                       .returns = returns};
    stats = fast_updater_->update(flat_.params(), flat_.grads(), *fused_adam_, batch, step, lr, clip,
                                  rng_, [this](std::span<float>) { reduce_gradients(); }, group_mean());
  } else {
    PpoBatch batch;
    batch.obs = upload(obs_, {T + 1, K, d}).reshape({(T + 1) * K, d}).slice(0, 0, N);
    batch.actions = spec_.action_space.is_discrete()
                        ? upload(joined.discrete_actions, {N})
                        : upload(joined.box_actions, {N, spec_.action_size()});
    batch.log_probs = upload(joined.log_probs, {N});
    batch.values = upload(joined.values, {N});
    batch.advantages = upload(advantages, {N});
    batch.returns = upload(returns, {N});
    if (model_->recurrent()) {
      batch.num_steps = T;
      batch.starts = sequence_starts(joined).slice(0, 0, T);
      batch.core_state = core_state(joined);
      if (model_->core_input_size() > 0) batch.core_inputs = core_inputs(joined).slice(0, 0, T);
    }
    stats = ppo_update(*model_, optimizer_, batch, step, lr, clip, rng_, [this] { reduce_gradients(); },
                       group_mean());
  }
  ++version_;
  ++updates_;
  return {{"policy_loss", stats.policy_loss},
          {"value_loss", stats.value_loss},
          {"entropy", stats.entropy},
          {"approx_kl", stats.approx_kl},
          {"old_approx_kl", stats.old_approx_kl},
          {"clip_fraction", stats.clip_fraction},
          {"explained_variance", stats.explained_variance},
          {"grad_norm", stats.grad_norm},
          {"learning_rate", lr},
          {"clip_coef", clip},
          {"epochs", static_cast<double>(stats.epochs)},
          {"reward_scale", reward_scaler_.factor()}};
}

}  // namespace rl
