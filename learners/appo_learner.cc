#include "learners/appo_learner.h"

#include <algorithm>

#include "algorithms/appo.h"
#include "algorithms/ppo.h"

namespace rl {

AppoLearner::AppoLearner(const EnvSpec& spec, const PolicyConfig& policy, const NormalizeConfig& normalize,
                         const AppoConfig& config, torch::Device device, uint64_t seed)
    : Learner(spec, policy, normalize, config.gamma, device, seed),
      config_(config),
      target_config_(config),
      update_config_(config.update_config()),
      optimizer_(model_->parameters(), torch::optim::AdamOptions(config.learning_rate).eps(config.adam_eps)) {
  target_config_.reward_clip = "none";
  if (fast_path()) {
    fused_adam_ = std::make_unique<FusedAdam>(
        fast_net_->num_parameters(),
        AdamSettings{.lr = config.learning_rate, .beta1 = 0.9, .beta2 = 0.999, .eps = config.adam_eps});
    fast_targets_ = std::make_unique<FastAppoTargets>(fast_net_->spec());
    fast_updater_ = std::make_unique<FastPpoUpdater>(fast_net_->spec());
  }
}

void AppoLearner::store_optimizer_state() {
  if (fused_adam_) store_state(*fused_adam_, optimizer_, fast_net_->slots());
}

void AppoLearner::restore_optimizer_state() {
  if (fused_adam_) restore_state(*fused_adam_, optimizer_, fast_net_->slots());
}

MetricRow AppoLearner::update(const Batch& joined, double progress) {
  const int64_t T = joined.num_steps, K = joined.num_streams, N = T * K;
  const int64_t d = spec_.obs_size();
  prepare_time_major(joined, config_.gamma, config_.reward_clip == "abs_one", inputs_);

  const double remaining = std::max(0.0, 1.0 - progress);
  const double lr = config_.learning_rate * (config_.anneal_lr ? remaining : 1.0);
  const double clip = std::max(config_.clip_coef * (config_.anneal_clip ? remaining : 1.0), 1e-8);
  PpoConfig step = update_config_;  // this update's settings
  if (config_.anneal_ent) step.ent_coef = config_.ent_coef * remaining;
  PpoStats stats;
  AppoTargetStats target_stats;
  if (fast_path()) {
    const ImpalaHostBatch batch{.num_steps = T,
                                .num_streams = K,
                                .obs = inputs_.obs,
                                .discrete_actions = joined.discrete_actions,
                                .box_actions = joined.box_actions,
                                .behaviour_log_probs = joined.log_probs,
                                .rewards = inputs_.rewards,
                                .discounts = inputs_.discounts};
    fast_targets_->compute(flat_.params(), batch, target_config_, targets_);
    target_stats = targets_.stats;
    const PpoHostBatch ppo{.size = N,
                           .obs = std::span<const float>(inputs_.obs).first(N * d),
                           .discrete_actions = joined.discrete_actions,
                           .box_actions = joined.box_actions,
                           .log_probs = joined.log_probs,
                           .values = targets_.values,
                           .advantages = targets_.advantages,
                           .returns = targets_.vs};
    stats = fast_updater_->update(flat_.params(), flat_.grads(), *fused_adam_, ppo, step, lr, clip, rng_,
                                  [this](std::span<float>) { reduce_gradients(); }, group_mean());
  } else {
    ImpalaBatch batch;
    batch.obs = upload(inputs_.obs, {T + 1, K, d});
    batch.actions = spec_.action_space.is_discrete() ? upload(joined.discrete_actions, {T, K})
                                                     : upload(joined.box_actions, {T, K, spec_.action_size()});
    batch.behaviour_log_probs = upload(joined.log_probs, {T, K});
    batch.rewards = upload(inputs_.rewards, {T, K});
    batch.discounts = upload(inputs_.discounts, {T, K});
    if (model_->recurrent()) {
      batch.core_state = core_state(joined);
      batch.starts = sequence_starts(joined);
      batch.core_inputs = core_inputs(joined);
    }
    const PpoBatch ppo = appo_batch(*model_, batch, target_config_, &target_stats);
    stats = ppo_update(*model_, optimizer_, ppo, step, lr, clip, rng_, [this] { reduce_gradients(); },
                       group_mean());
  }
  const auto [lag_mean, lag_max] = policy_lag(joined);
  ++version_;
  ++updates_;
  return {{"policy_loss", stats.policy_loss},
          {"value_loss", stats.value_loss},
          {"entropy", stats.entropy},
          {"approx_kl", stats.approx_kl},
          {"old_approx_kl", stats.old_approx_kl},
          {"clip_fraction", stats.clip_fraction},
          {"mean_importance_weight", target_stats.mean_ratio},
          {"clipped_rho_fraction", target_stats.clipped_rho_fraction},
          {"explained_variance", stats.explained_variance},
          {"grad_norm", stats.grad_norm},
          {"learning_rate", lr},
          {"clip_coef", clip},
          {"epochs", static_cast<double>(stats.epochs)},
          {"policy_lag_mean", lag_mean},
          {"policy_lag_max", lag_max},
          {"reward_scale", reward_scaler_.factor()}};
}

}  // namespace rl
