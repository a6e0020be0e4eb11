#include "learners/impala_learner.h"

#include <algorithm>

#include "algorithms/impala.h"

namespace rl {

ImpalaLearner::ImpalaLearner(const EnvSpec& spec, const PolicyConfig& policy,
                             const NormalizeConfig& normalize, const ImpalaConfig& config,
                             torch::Device device, uint64_t seed)
    : Learner(spec, policy, normalize, config.gamma, device, seed), config_(config), loss_config_(config) {
  // The learner clips rewards itself (update()), before adding bootstraps.
  loss_config_.reward_clip = "none";
  if (config.optimizer == "rmsprop") {
    optimizer_ = std::make_unique<torch::optim::RMSprop>(
        model_->parameters(), torch::optim::RMSpropOptions(config.learning_rate)
                                  .alpha(config.rmsprop_alpha)
                                  .eps(config.rmsprop_eps)
                                  .momentum(config.rmsprop_momentum));
  } else {
    optimizer_ = std::make_unique<torch::optim::Adam>(
        model_->parameters(), torch::optim::AdamOptions(config.learning_rate).eps(config.adam_eps));
  }
  if (fast_path()) {
    fast_loss_ = std::make_unique<FastImpalaLoss>(fast_net_->spec());
    const int64_t size = fast_net_->num_parameters();
    if (config.optimizer == "rmsprop") {
      fused_rmsprop_ = std::make_unique<FusedRmsProp>(
          size, RmsPropSettings{.lr = config.learning_rate, .alpha = config.rmsprop_alpha,
                                .eps = config.rmsprop_eps, .momentum = config.rmsprop_momentum});
    } else {
      fused_adam_ = std::make_unique<FusedAdam>(
          size, AdamSettings{.lr = config.learning_rate, .beta1 = 0.9, .beta2 = 0.999, .eps = config.adam_eps});
    }
  }
}

void ImpalaLearner::store_optimizer_state() {
  if (fused_rmsprop_) {
    store_state(*fused_rmsprop_, static_cast<torch::optim::RMSprop&>(*optimizer_), fast_net_->slots());
  }
  if (fused_adam_) store_state(*fused_adam_, static_cast<torch::optim::Adam&>(*optimizer_), fast_net_->slots());
}

void ImpalaLearner::restore_optimizer_state() {
  if (fused_rmsprop_) {
    restore_state(*fused_rmsprop_, static_cast<torch::optim::RMSprop&>(*optimizer_), fast_net_->slots());
  }
  if (fused_adam_) restore_state(*fused_adam_, static_cast<torch::optim::Adam&>(*optimizer_), fast_net_->slots());
}

MetricRow ImpalaLearner::update(const Batch& joined, double progress) {
  const int64_t T = joined.num_steps, K = joined.num_streams, N = T * K;
  const int64_t d = spec_.obs_size();
  const int64_t m = static_cast<int64_t>(joined.final_index.size());

  std::vector<float>& rewards = rewards_;
  scale_rewards(joined, rewards);
  // The reward clip (abs_one) applies to the env's rewards, here, before the
  // truncation bootstrap joins them: a bootstrap value is not a reward.
  if (config_.reward_clip == "abs_one") {
    for (auto& r : rewards) r = std::clamp(r, -1.f, 1.f);
  }
  normalize_host(joined.obs, obs_);
  if (m > 0) {
    // A truncated step bootstraps from its final observation's value through
    // the reward, and its discount is 0 like every episode end (the trick of
    // ALGORITHMS.md section 4: V-trace's trace is cut at the boundary).
    normalize_host(joined.final_obs, finals_normalized_);
    const std::vector<float> finals = values_of(finals_normalized_, m);
    for (int64_t j = 0; j < m; ++j) {
      rewards[joined.final_index[j]] += static_cast<float>(config_.gamma) * finals[j];
    }
  }
  discounts_.resize(N);
  for (int64_t j = 0; j < N; ++j) discounts_[j] = joined.done[j] ? 0.f : static_cast<float>(config_.gamma);
  const std::vector<float>& discounts = discounts_;
  update_obs_stats(std::span<const float>(joined.obs).first(N * d), N);

  const double lr = config_.learning_rate * (config_.anneal_lr ? std::max(0.0, 1.0 - progress) : 1.0);
  ImpalaFastStats loss;
  double grad_norm = 0;
  if (fast_path()) {
    const ImpalaHostBatch batch{.num_steps = T,
                                .num_streams = K,
                                .obs = obs_,
                                .discrete_actions = joined.discrete_actions,
                                .box_actions = joined.box_actions,
                                .behaviour_log_probs = joined.log_probs,
                                .rewards = rewards,
                                .discounts = discounts};
    flat_.zero_grad();
    loss = fast_loss_->gradient(flat_.params(), flat_.grads(), batch, loss_config_);
    reduce_gradients();
    grad_norm = clip_grad_norm(flat_.grads(), config_.max_grad_norm);
    if (fused_rmsprop_) {
      fused_rmsprop_->set_lr(lr);
      fused_rmsprop_->step(flat_.params(), flat_.grads());
    } else {
      fused_adam_->set_lr(lr);
      fused_adam_->step(flat_.params(), flat_.grads());
    }
  } else {
    ImpalaBatch batch;
    batch.obs = upload(obs_, {T + 1, K, d});
    batch.actions = spec_.action_space.is_discrete()
                        ? upload(joined.discrete_actions, {T, K})
                        : upload(joined.box_actions, {T, K, spec_.action_size()});
    batch.behaviour_log_probs = upload(joined.log_probs, {T, K});
    batch.rewards = upload(rewards, {T, K});
    batch.discounts = upload(discounts, {T, K});
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
    ImpalaLoss torch_loss = impala_loss(*model_, batch, loss_config_);
    optimizer_->zero_grad();
    torch_loss.total.backward();
    reduce_gradients();
    grad_norm = torch::nn::utils::clip_grad_norm_(model_->parameters(), config_.max_grad_norm);
    optimizer_->step();
    loss.policy = torch_loss.policy.item<double>();
    loss.baseline = torch_loss.baseline.item<double>();
    loss.entropy = torch_loss.entropy.item<double>();
    loss.approx_kl = torch_loss.approx_kl;
    loss.mean_ratio = torch_loss.mean_ratio;
    loss.clipped_rho_fraction = torch_loss.clipped_rho_fraction;
    loss.explained_variance = torch_loss.explained_variance;
  }

  double lag_sum = 0, lag_max = 0;
  for (const Batch::Source& source : joined.sources) {
    const double lag = static_cast<double>(version_ - source.policy_version);
    lag_sum += lag;
    lag_max = std::max(lag_max, lag);
  }
  ++version_;
  ++updates_;
  return {{"policy_loss", loss.policy},
          {"baseline_loss", loss.baseline},
          {"entropy", loss.entropy},
          {"approx_kl", loss.approx_kl},
          {"mean_importance_weight", loss.mean_ratio},
          {"clipped_rho_fraction", loss.clipped_rho_fraction},
          {"explained_variance", loss.explained_variance},
          {"grad_norm", grad_norm},
          {"learning_rate", lr},
          {"policy_lag_mean", lag_sum / static_cast<double>(joined.sources.size())},
          {"policy_lag_max", lag_max},
          {"reward_scale", reward_scaler_.factor()}};
}

}  // namespace rl
