#include "learners/impala_learner.h"

#include <algorithm>

#include "algorithms/impala.h"

namespace rl {

ImpalaLearner::ImpalaLearner(const EnvSpec& spec, const PolicyConfig& policy,
                             const NormalizeConfig& normalize, const ImpalaConfig& config,
                             torch::Device device, uint64_t seed)
    : Learner(spec, policy, normalize, config.gamma, device, seed), config_(config) {
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
}

MetricRow ImpalaLearner::update(const std::vector<const Unroll*>& unrolls, double progress) {
  const JoinedUnrolls joined = join_unrolls(unrolls);
  const int64_t T = joined.num_steps, K = joined.num_streams, N = T * K;
  const int64_t d = spec_.obs_size();
  const int64_t m = static_cast<int64_t>(joined.final_index.size());

  std::vector<float> rewards;
  scale_rewards(unrolls, joined, rewards);
  if (m > 0) {
    // A truncated step bootstraps from its final observation's value through
    // the reward, and its discount is 0 like every episode end (the trick of
    // ALGORITHMS.md section 4: V-trace's trace is cut at the boundary).
    torch::NoGradGuard no_grad;
    const torch::Tensor finals = model_->value(normalized(joined.final_obs, m)).to(torch::kCPU);
    for (int64_t j = 0; j < m; ++j) {
      rewards[joined.final_index[j]] += static_cast<float>(config_.gamma) * finals[j].item<float>();
    }
  }
  std::vector<float> discounts(N);
  for (int64_t j = 0; j < N; ++j) discounts[j] = joined.done[j] ? 0.f : static_cast<float>(config_.gamma);

  ImpalaBatch batch;
  batch.obs = normalized(joined.obs, (T + 1) * K).reshape({T + 1, K, d});
  batch.actions = spec_.action_space.is_discrete()
                      ? upload(joined.discrete_actions, {T, K})
                      : upload(joined.box_actions, {T, K, spec_.action_size()});
  batch.behaviour_log_probs = upload(joined.log_probs, {T, K});
  batch.rewards = upload(rewards, {T, K});
  batch.discounts = upload(discounts, {T, K});
  update_obs_stats(std::span<const float>(joined.obs).first(N * d), N);

  const double lr = config_.learning_rate * (config_.anneal_lr ? std::max(0.0, 1.0 - progress) : 1.0);
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
  ImpalaLoss loss = impala_loss(*model_, batch, config_);
  optimizer_->zero_grad();
  loss.total.backward();
  reduce_gradients();
  const double grad_norm = torch::nn::utils::clip_grad_norm_(model_->parameters(), config_.max_grad_norm);
  optimizer_->step();

  double lag_sum = 0, lag_max = 0;
  for (const Unroll* u : unrolls) {
    const double lag = static_cast<double>(version_ - u->policy_version);
    lag_sum += lag;
    lag_max = std::max(lag_max, lag);
  }
  ++version_;
  ++updates_;
  return {{"policy_loss", loss.policy.item<double>()},
          {"baseline_loss", loss.baseline.item<double>()},
          {"entropy", loss.entropy.item<double>()},
          {"approx_kl", loss.approx_kl},
          {"mean_importance_weight", loss.mean_ratio},
          {"clipped_rho_fraction", loss.clipped_rho_fraction},
          {"explained_variance", loss.explained_variance},
          {"grad_norm", grad_norm},
          {"learning_rate", lr},
          {"policy_lag_mean", lag_sum / static_cast<double>(unrolls.size())},
          {"policy_lag_max", lag_max},
          {"reward_scale", reward_scaler_.factor()}};
}

}  // namespace rl
