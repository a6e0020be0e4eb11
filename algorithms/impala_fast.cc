#include "algorithms/impala_fast.h"

#include <algorithm>
#include <cmath>

#include "algorithms/ppo_stats.h"
#include "algorithms/returns.h"
#include "rl/nn/distributions.h"

namespace rl {

FastImpalaLoss::FastImpalaLoss(const MlpSpec& spec) : net_(spec) {}

ImpalaFastStats FastImpalaLoss::gradient(std::span<const float> params, std::span<float> grads,
                                         const ImpalaHostBatch& batch, const ImpalaConfig& config) {
  const MlpSpec& spec = net_.spec();
  const int64_t T = batch.num_steps, B = batch.num_streams, n = T * B;
  const int64_t width = spec.head_size;
  net_.forward(params, batch.obs, (T + 1) * B);
  const float* head = net_.head().data();
  const float* values = net_.values().data();
  const float* log_std = spec.discrete ? nullptr : params.data() + net_.log_std_offset();

  log_probs_.resize(n);
  entropies_.resize(n);
  log_rhos_.resize(n);
  log_softmax_.resize(n * width);  // read by Discrete rows only
  // Row i's action: a discrete index, or a Box row (only the matching one is read).
  auto discrete_action = [&](int64_t i) { return spec.discrete ? batch.discrete_actions[i] : 0; };
  auto box_action = [&](int64_t i) { return spec.discrete ? nullptr : batch.box_actions.data() + i * width; };
  for (int64_t i = 0; i < n; ++i) {
    log_probs_[i] = dist::action_log_prob(spec.discrete, width, head + i * width, log_std, discrete_action(i),
                                          box_action(i), log_softmax_.data() + i * width, &entropies_[i]);
    log_rhos_[i] = log_probs_[i] - batch.behaviour_log_probs[i];
  }
  rewards_.assign(batch.rewards.begin(), batch.rewards.end());
  if (config.reward_clip == "abs_one") {
    for (float& r : rewards_) r = std::clamp(r, -1.f, 1.f);
  }
  values_.assign(values, values + n);
  bootstrap_.assign(values + n, values + n + B);
  vs_.resize(n);
  pg_advantages_.resize(n);
  vtrace(log_rhos_, batch.discounts, rewards_, values_, bootstrap_, T, B,
         {config.rho_bar, config.c_bar, config.pg_rho_bar, config.vtrace_lambda}, vs_, pg_advantages_);

  // L = scale * (-sum lp A_pg + c_b / 2 sum (vs - V)^2 - c_e sum H); the
  // targets vs and A_pg carry no gradient, nor does the bootstrap row T.
  const double scale = config.loss_reduction == "mean" ? 1.0 / double(n) : 1.0;
  ImpalaFastStats stats;
  d_head_.assign((T + 1) * B * width, 0.f);
  d_values_.assign((T + 1) * B, 0.f);
  const float g_entropy = float(-config.entropy_cost * scale);
  double ratio_sum = 0, clipped = 0, kl = 0;
  for (int64_t i = 0; i < n; ++i) {
    stats.policy -= double(log_probs_[i]) * pg_advantages_[i];
    const float diff = vs_[i] - values_[i];
    stats.baseline += double(diff) * diff;
    stats.entropy += entropies_[i];
    d_values_[i] = float(-config.baseline_cost * scale) * diff;
    const float g_log_prob = float(-pg_advantages_[i] * scale);
    dist::action_backward(spec.discrete, width, head + i * width, log_std, log_softmax_.data() + i * width,
                          discrete_action(i), box_action(i), entropies_[i], g_log_prob, g_entropy,
                          d_head_.data() + i * width, spec.discrete ? nullptr : grads.data() + net_.log_std_offset());
    const double ratio = std::exp(double(log_rhos_[i]));
    ratio_sum += ratio;
    clipped += ratio > config.rho_bar ? 1 : 0;
    kl += (ratio - 1) - log_rhos_[i];
  }
  net_.backward(params, d_head_, d_values_, grads);

  stats.policy *= scale;
  stats.baseline *= config.baseline_cost * 0.5 * scale;
  const double entropy_sum = stats.entropy * scale;
  stats.total = stats.policy + stats.baseline - config.entropy_cost * entropy_sum;
  stats.entropy /= double(n);
  stats.mean_ratio = ratio_sum / double(n);
  stats.clipped_rho_fraction = clipped / double(n);
  stats.approx_kl = kl / double(n);
  stats.explained_variance = explained_variance(values_, vs_);
  return stats;
}

}  // namespace rl
