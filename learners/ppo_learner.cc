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
                 torch::optim::AdamOptions(config.learning_rate).eps(config.adam_eps)) {}

MetricRow PpoLearner::update(const std::vector<const Unroll*>& unrolls, double progress) {
  const JoinedUnrolls joined = join_unrolls(unrolls);
  const int64_t T = joined.num_steps, K = joined.num_streams, N = T * K;
  const int64_t d = spec_.obs_size();
  const int64_t m = static_cast<int64_t>(joined.final_index.size());

  // Observations normalized with the statistics the actors used (this
  // learner's current ones: PPO is synchronous), so that the first ratios
  // of the update are exactly 1.
  const torch::Tensor obs = normalized(joined.obs, (T + 1) * K);
  std::vector<float> bootstrap(K), final_values(m);
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor last = model_->value(obs.slice(0, T * K, (T + 1) * K)).to(torch::kCPU);
    std::copy_n(last.data_ptr<float>(), K, bootstrap.begin());
    if (m > 0) {
      const torch::Tensor finals = model_->value(normalized(joined.final_obs, m)).to(torch::kCPU);
      std::copy_n(finals.data_ptr<float>(), m, final_values.begin());
    }
  }

  std::vector<float> rewards;
  scale_rewards(unrolls, joined, rewards);
  std::vector<float> next_values(N), advantages(N), returns(N);
  successor_values(joined.values, bootstrap, joined.final_index, final_values, joined.terminated,
                   joined.truncated, T, K, next_values);
  gae(rewards, joined.values, next_values, joined.terminated, joined.truncated, T, K, config_.gamma,
      config_.gae_lambda, advantages, returns);

  PpoBatch batch;
  batch.obs = obs.slice(0, 0, N);
  batch.actions = spec_.action_space.is_discrete()
                      ? upload(joined.discrete_actions, {N})
                      : upload(joined.box_actions, {N, spec_.action_size()});
  batch.log_probs = upload(joined.log_probs, {N});
  batch.values = upload(joined.values, {N});
  batch.advantages = upload(advantages, {N});
  batch.returns = upload(returns, {N});

  // The statistics move on only after the batch is normalized.
  update_obs_stats(std::span<const float>(joined.obs).first(N * d), N);

  const double remaining = std::max(0.0, 1.0 - progress);
  const double lr = config_.learning_rate * (config_.anneal_lr ? remaining : 1.0);
  const double clip = config_.clip_coef * (config_.anneal_clip ? remaining : 1.0);
  const PpoStats stats = ppo_update(*model_, optimizer_, batch, config_, lr, std::max(clip, 1e-8), rng_,
                                    [this] { reduce_gradients(); });
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
