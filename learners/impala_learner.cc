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
  const int64_t T = joined.num_steps, K = joined.num_streams;
  const int64_t d = spec_.obs_size();

  prepare_time_major(joined, config_.gamma, config_.reward_clip == "abs_one", inputs_);
  const std::vector<float>& obs = inputs_.obs;
  const std::vector<float>& rewards = inputs_.rewards;
  const std::vector<float>& discounts = inputs_.discounts;

  const double remaining = std::max(0.0, 1.0 - progress);
  const double lr = config_.learning_rate * (config_.anneal_lr ? remaining : 1.0);
  loss_config_.entropy_cost = config_.entropy_cost * (config_.anneal_entropy ? remaining : 1.0);
  ImpalaFastStats loss;
  double grad_norm = 0;
  if (fast_path()) {
    const ImpalaHostBatch batch{.num_steps = T,
                                .num_streams = K,
                                .obs = obs,
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
    batch.obs = upload(obs, {T + 1, K, d});
    batch.actions = spec_.action_space.is_discrete()
                        ? upload(joined.discrete_actions, {T, K})
                        : upload(joined.box_actions, {T, K, spec_.action_size()});
    batch.behaviour_log_probs = upload(joined.log_probs, {T, K});
    batch.rewards = upload(rewards, {T, K});
    batch.discounts = upload(discounts, {T, K});
    if (model_->recurrent()) {
      batch.core_state = core_state(joined);
      batch.starts = sequence_starts(joined);
      batch.core_inputs = core_inputs(joined);
    }
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

  const auto [lag_mean, lag_max] = policy_lag(joined);
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
          {"policy_lag_mean", lag_mean},
          {"policy_lag_max", lag_max},
          {"reward_scale", reward_scaler_.factor()}};
}

}  // namespace rl
