#include "algorithms/ppo.h"

#include <cmath>
#include <limits>
#include <numeric>

namespace rl {

PpoBatch PpoBatch::select(const torch::Tensor& index) const {
  return {obs.index_select(0, index),      actions.index_select(0, index),
          log_probs.index_select(0, index), values.index_select(0, index),
          advantages.index_select(0, index), returns.index_select(0, index)};
}

PpoBatch PpoBatch::select_streams(const torch::Tensor& streams) const {
  const int64_t T = num_steps, K = num_streams(), B = streams.size(0);
  // Sample t*K + s for every step t of each chosen stream s, time-major.
  const torch::Tensor rows =
      (torch::arange(T, streams.options()).unsqueeze(1) * K + streams.unsqueeze(0)).reshape({T * B});
  PpoBatch mb = select(rows);
  mb.num_steps = T;
  mb.starts = starts.index_select(1, streams);
  mb.core_state = core_state.index_select(0, streams);
  if (core_inputs.defined()) mb.core_inputs = core_inputs.index_select(1, streams);
  return mb;
}

PpoLoss ppo_loss(ActorCriticImpl& model, const PpoBatch& mb, const PpoConfig& config,
                 double clip_coef) {
  // A recurrent model replays its core over each stream's T steps from the
  // actor's state, resetting where episodes start: the forward the actor ran.
  const PolicyOutput out = model.recurrent() ? model.forward_sequence(mb.obs, mb.core_state, mb.starts, mb.core_inputs).out
                                             : model.forward(mb.obs);
  return ppo_objective(model.log_prob(out, mb.actions), model.entropy(out), out.value, mb, config,
                       clip_coef);
}

PpoLoss ppo_objective(const torch::Tensor& new_log_probs, const torch::Tensor& new_entropy,
                      const torch::Tensor& new_values, const PpoBatch& mb, const PpoConfig& config,
                      double clip_coef) {
  const torch::Tensor log_ratio = new_log_probs - mb.log_probs;
  const torch::Tensor ratio = log_ratio.exp();

  torch::Tensor advantages = mb.advantages;
  if (config.norm_adv && mb.size() > 1) {
    // Per minibatch, unbiased std as torch's default (as CleanRL's ppo.py).
    advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8);
  }
  const torch::Tensor pg_unclipped = -advantages * ratio;
  const ClipRange range = ClipRange::of(config, clip_coef);
  const torch::Tensor pg_clipped = -advantages * torch::clamp(ratio, range.low, range.high);
  const torch::Tensor policy_loss = torch::max(pg_unclipped, pg_clipped).mean();

  torch::Tensor value_loss;
  if (config.clip_vloss) {
    const torch::Tensor unclipped = (new_values - mb.returns).pow(2);
    const torch::Tensor v_clipped =
        mb.values + torch::clamp(new_values - mb.values, -range.value, range.value);
    const torch::Tensor clipped = (v_clipped - mb.returns).pow(2);
    value_loss = 0.5 * torch::max(unclipped, clipped).mean();
  } else {
    value_loss = 0.5 * (new_values - mb.returns).pow(2).mean();
  }
  const torch::Tensor entropy = new_entropy.mean();

  PpoLoss loss;
  loss.total = policy_loss - config.ent_coef * entropy + config.vf_coef * value_loss;
  loss.policy = policy_loss;
  loss.value = value_loss;
  loss.entropy = entropy;
  {
    torch::NoGradGuard no_grad;
    loss.old_approx_kl = (-log_ratio).mean();
    loss.approx_kl = ((ratio - 1) - log_ratio).mean();
    loss.clip_fraction = ((ratio < range.low) | (ratio > range.high)).to(torch::kFloat).mean();
  }
  return loss;
}

std::vector<int64_t> permutation(int64_t n, Rng& rng) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.integer(0, i + 1)]);
  return order;
}

double explained_variance(std::span<const float> values, std::span<const float> returns) {
  const size_t n = returns.size();
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  double mean_r = 0, mean_e = 0;
  for (size_t i = 0; i < n; ++i) {
    mean_r += returns[i];
    mean_e += double(returns[i]) - values[i];
  }
  mean_r /= double(n);
  mean_e /= double(n);
  double var_r = 0, var_e = 0;
  for (size_t i = 0; i < n; ++i) {
    var_r += (returns[i] - mean_r) * (returns[i] - mean_r);
    const double e = double(returns[i]) - values[i] - mean_e;
    var_e += e * e;
  }
  if (var_r == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return 1.0 - var_e / var_r;
}

double explained_variance(const torch::Tensor& values, const torch::Tensor& returns) {
  const double var_returns = returns.var(/*unbiased=*/false).item<double>();
  if (var_returns == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return 1.0 - (returns - values).var(/*unbiased=*/false).item<double>() / var_returns;
}

PpoStats ppo_update(ActorCriticImpl& model, torch::optim::Adam& optimizer, const PpoBatch& batch,
                    const PpoConfig& config, double lr, double clip_coef, Rng& rng,
                    const std::function<void()>& after_backward,
                    const std::function<double(double)>& group_mean) {
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }
  // Minibatches of samples, or of whole streams for a recurrent model.
  const bool by_stream = model.recurrent();
  const int64_t n = by_stream ? batch.num_streams() : batch.size();
  const int64_t minibatches = std::min<int64_t>(config.num_minibatches, n);
  const torch::Device device = batch.obs.device();

  PpoStats stats;
  torch::Tensor sum_policy = torch::zeros({}, device), sum_value = torch::zeros({}, device);
  torch::Tensor sum_entropy = torch::zeros({}, device), sum_clip = torch::zeros({}, device);
  torch::Tensor sum_kl = torch::zeros({}, device), sum_old_kl = torch::zeros({}, device);
  double sum_grad_norm = 0;
  for (int epoch = 0; epoch < config.update_epochs; ++epoch) {
    const std::vector<int64_t> order = permutation(n, rng);
    const torch::Tensor order_tensor =
        torch::from_blob(const_cast<int64_t*>(order.data()), {n}, torch::kLong).to(device);
    torch::Tensor last_kl;
    for (int64_t j = 0; j < minibatches; ++j) {
      const auto [start, end] = minibatch_range(n, minibatches, j);
      const torch::Tensor chosen = order_tensor.slice(0, start, end);
      const PpoBatch mb = by_stream ? batch.select_streams(chosen) : batch.select(chosen);
      PpoLoss loss = ppo_loss(model, mb, config, clip_coef);
      optimizer.zero_grad();
      loss.total.backward();
      if (after_backward) after_backward();
      sum_grad_norm += torch::nn::utils::clip_grad_norm_(model.parameters(), config.max_grad_norm);
      optimizer.step();

      sum_policy += loss.policy.detach();
      sum_value += loss.value.detach();
      sum_entropy += loss.entropy.detach();
      sum_clip += loss.clip_fraction;
      sum_kl += loss.approx_kl;
      sum_old_kl += loss.old_approx_kl;
      last_kl = loss.approx_kl;
      ++stats.minibatch_steps;
    }
    ++stats.epochs;
    // CleanRL's rule: stop the remaining epochs when the last minibatch's
    // KL estimate went past the target.
    // In a learner group every member decides on the group's mean, so that
    // all run the same number of epochs (and all-reduces).
    if (config.target_kl > 0 && last_kl.defined()) {
      const double kl = group_mean ? group_mean(last_kl.item<double>()) : last_kl.item<double>();
      if (kl > config.target_kl) break;
    }
  }
  const double steps = std::max(1, stats.minibatch_steps);
  stats.policy_loss = sum_policy.item<double>() / steps;
  stats.value_loss = sum_value.item<double>() / steps;
  stats.entropy = sum_entropy.item<double>() / steps;
  stats.clip_fraction = sum_clip.item<double>() / steps;
  stats.approx_kl = sum_kl.item<double>() / steps;
  stats.old_approx_kl = sum_old_kl.item<double>() / steps;
  stats.grad_norm = sum_grad_norm / steps;
  stats.explained_variance = explained_variance(batch.values, batch.returns);
  return stats;
}

}  // namespace rl
