#include "algorithms/ppo_fast.h"

#include <algorithm>
#include <cmath>

#include "algorithms/ppo_stats.h"
#include "rl/nn/distributions.h"

namespace rl {

FastPpoUpdater::FastPpoUpdater(const MlpSpec& spec) : net_(spec) {}

PpoMinibatchLoss FastPpoUpdater::minibatch_gradient(std::span<const float> params,
                                                       std::span<float> grads,
                                                       const PpoHostBatch& batch,
                                                       std::span<const int64_t> index,
                                                       const PpoConfig& config, double clip_coef) {
  const MlpSpec& spec = net_.spec();
  const int64_t m = static_cast<int64_t>(index.size());
  const int64_t d = spec.obs_size, width = spec.head_size;
  obs_.resize(m * d);
  for (int64_t i = 0; i < m; ++i) {
    std::copy_n(batch.obs.data() + index[i] * d, d, obs_.data() + i * d);
  }
  net_.forward(params, obs_, m);
  const float* head = net_.head().data();
  const float* values = net_.values().data();
  const float* log_std = spec.discrete ? nullptr : params.data() + net_.log_std_offset();

  // New log-probabilities and entropies.
  new_log_probs_.resize(m);
  entropies_.resize(m);
  log_softmax_.resize(m * width);  // read by Discrete rows only
  // Sample s's action: a discrete index, or a Box row (only the matching one is read).
  auto discrete_action = [&](int64_t s) { return spec.discrete ? batch.discrete_actions[s] : 0; };
  auto box_action = [&](int64_t s) { return spec.discrete ? nullptr : batch.box_actions.data() + s * width; };
  for (int64_t i = 0; i < m; ++i) {
    new_log_probs_[i] = dist::action_log_prob(spec.discrete, width, head + i * width, log_std,
                                              discrete_action(index[i]), box_action(index[i]),
                                              log_softmax_.data() + i * width, &entropies_[i]);
  }

  // Advantages, normalized per minibatch with the unbiased std (ppo.cc).
  advantages_.resize(m);
  double mean = 0;
  for (int64_t i = 0; i < m; ++i) mean += (advantages_[i] = batch.advantages[index[i]]);
  mean /= double(m);
  if (config.norm_adv && m > 1) {
    double var = 0;
    for (int64_t i = 0; i < m; ++i) var += (advantages_[i] - mean) * (advantages_[i] - mean);
    const double std_dev = std::sqrt(var / double(m - 1));
    for (int64_t i = 0; i < m; ++i) advantages_[i] = float((advantages_[i] - mean) / (std_dev + 1e-8));
  }

  // The loss and its gradient with respect to each row's log-probability,
  // entropy and value. Where torch's max() or clamp() meets a tie, autograd
  // splits the gradient evenly between the two sides; so does this.
  const double inv_m = 1.0 / double(m);
  const ClipRange range = ClipRange::of(config, clip_coef);
  const float lo = float(range.low), hi = float(range.high), value_clip = float(range.value);
  double policy_loss = 0, value_loss = 0, entropy = 0, kl = 0, old_kl = 0, clipped = 0;
  d_head_.assign(m * width, 0.f);
  d_values_.resize(m);
  const float g_entropy = float(-config.ent_coef * inv_m);
  for (int64_t i = 0; i < m; ++i) {
    const int64_t s = index[i];
    const float log_ratio = new_log_probs_[i] - batch.log_probs[s];
    const float ratio = std::exp(log_ratio);
    const float a = advantages_[i];
    const float pg1 = -a * ratio;
    const float clamped = std::clamp(ratio, lo, hi);
    const float pg2 = -a * clamped;
    policy_loss += std::max(pg1, pg2);
    const bool inside = ratio >= lo && ratio <= hi;
    float d_ratio;  // d max(pg1, pg2) / d ratio
    if (pg1 > pg2) {
      d_ratio = -a;
    } else if (pg1 < pg2) {
      d_ratio = inside ? -a : 0.f;
    } else {
      d_ratio = -a * (inside ? 1.f : 0.5f);
    }
    const float g_log_prob = float(d_ratio * ratio * inv_m);

    const float v = values[i], ret = batch.returns[s];
    float d_v;
    if (config.clip_vloss) {
      const float v_old = batch.values[s];
      const float delta = v - v_old;
      const float v_clipped = v_old + std::clamp(delta, -value_clip, value_clip);
      const float unclipped_sq = (v - ret) * (v - ret);
      const float clipped_sq = (v_clipped - ret) * (v_clipped - ret);
      value_loss += std::max(unclipped_sq, clipped_sq);
      const bool v_inside = delta >= -value_clip && delta <= value_clip;
      const float d_unclipped = 2.f * (v - ret);
      const float d_clipped = v_inside ? 2.f * (v_clipped - ret) : 0.f;
      if (unclipped_sq > clipped_sq) {
        d_v = d_unclipped;
      } else if (unclipped_sq < clipped_sq) {
        d_v = d_clipped;
      } else {
        d_v = 0.5f * (d_unclipped + d_clipped);
      }
    } else {
      value_loss += (v - ret) * (v - ret);
      d_v = 2.f * (v - ret);
    }
    d_values_[i] = float(config.vf_coef * 0.5 * inv_m) * d_v;
    entropy += entropies_[i];

    dist::action_backward(spec.discrete, width, head + i * width, log_std, log_softmax_.data() + i * width,
                          discrete_action(s), box_action(s), entropies_[i], g_log_prob, g_entropy,
                          d_head_.data() + i * width, spec.discrete ? nullptr : grads.data() + net_.log_std_offset());
    kl += (ratio - 1.f) - log_ratio;
    old_kl += -log_ratio;
    clipped += (ratio < lo || ratio > hi) ? 1 : 0;
  }
  net_.backward(params, d_head_, d_values_, grads);

  policy_loss *= inv_m;
  value_loss *= 0.5 * inv_m;
  entropy *= inv_m;
  const double total = policy_loss - config.ent_coef * entropy + config.vf_coef * value_loss;
  return {total, policy_loss, value_loss, entropy, kl * inv_m, old_kl * inv_m, clipped * inv_m};

}

PpoStats FastPpoUpdater::update(std::span<float> params, std::span<float> grads, FusedAdam& optimizer,
                                const PpoHostBatch& batch, const PpoConfig& config, double lr,
                                double clip_coef, Rng& rng,
                                const std::function<void(std::span<float>)>& after_backward,
                                const std::function<double(double)>& group_mean) {
  optimizer.set_lr(lr);
  const int64_t n = batch.size;
  const int64_t minibatches = std::min<int64_t>(config.num_minibatches, n);
  PpoStats stats;
  PpoMinibatchLoss sums;
  double sum_grad_norm = 0;
  for (int epoch = 0; epoch < config.update_epochs; ++epoch) {
    const std::vector<int64_t> order = permutation(n, rng);
    double last_kl = 0;
    bool any = false;
    for (int64_t j = 0; j < minibatches; ++j) {
      const auto [start, end] = minibatch_range(n, minibatches, j);
      std::fill(grads.begin(), grads.end(), 0.f);
      const PpoMinibatchLoss loss = minibatch_gradient(
          params, grads, batch, std::span<const int64_t>(order).subspan(start, end - start), config, clip_coef);
      if (after_backward) after_backward(grads);
      sum_grad_norm += clip_grad_norm(grads, config.max_grad_norm);
      optimizer.step(params, grads);
      sums.policy += loss.policy;
      sums.value += loss.value;
      sums.entropy += loss.entropy;
      sums.approx_kl += loss.approx_kl;
      sums.old_approx_kl += loss.old_approx_kl;
      sums.clip_fraction += loss.clip_fraction;
      last_kl = loss.approx_kl;
      any = true;
      ++stats.minibatch_steps;
    }
    ++stats.epochs;
    if (config.target_kl > 0 && any && (group_mean ? group_mean(last_kl) : last_kl) > config.target_kl) break;
  }
  const double steps = std::max(1, stats.minibatch_steps);
  stats.policy_loss = sums.policy / steps;
  stats.value_loss = sums.value / steps;
  stats.entropy = sums.entropy / steps;
  stats.approx_kl = sums.approx_kl / steps;
  stats.old_approx_kl = sums.old_approx_kl / steps;
  stats.clip_fraction = sums.clip_fraction / steps;
  stats.grad_norm = sum_grad_norm / steps;
  stats.explained_variance = explained_variance(batch.values, batch.returns);
  return stats;
}

}  // namespace rl
