// PPO's clipped-surrogate update (Schulman et al. 2017, with the details of
// "The 37 Implementation Details of PPO"): functions over a batch that know
// nothing of envs, sockets or processes.
#pragma once

#include <torch/torch.h>

#include <functional>

#include "algorithms/ppo_config.h"
#include "algorithms/ppo_stats.h"
#include "rl/env/rng.h"
#include "rl/nn/actor_critic.h"

namespace rl {

// One update's samples, flat (N = T x k), on the learner's device. For a
// recurrent model the samples are time-major whole sequences (index t*K+i
// for stream i) and minibatches take whole streams (select_streams).
struct PpoBatch {
  torch::Tensor obs;         // [N, obs_size] normalized observations
  torch::Tensor actions;     // [N] int64 (Discrete) or [N, d] float, unclipped (Box)
  torch::Tensor log_probs;   // [N] behaviour log-probabilities
  torch::Tensor values;      // [N] values at collection (for value clipping)
  torch::Tensor advantages;  // [N] GAE advantages
  torch::Tensor returns;     // [N] value targets (advantages + values)
  // Recurrent models only:
  int64_t num_steps = 0;     // T (0: samples are independent)
  torch::Tensor starts;      // [T, K] 1 where an episode starts at the step (the core state is zeroed)
  torch::Tensor core_state;  // [K, S] the actors' core state before step 0
  torch::Tensor core_inputs; // [T, K, P] each step's core inputs (policy.core_inputs; else undefined)

  int64_t size() const { return obs.size(0); }
  int64_t num_streams() const { return num_steps > 0 ? size() / num_steps : size(); }
  PpoBatch select(const torch::Tensor& index) const;
  // The whole sequences of the streams in `streams` (int64 [B]), time-major.
  PpoBatch select_streams(const torch::Tensor& streams) const;
};

// The loss of one minibatch and the statistics logged with it.
struct PpoLoss {
  torch::Tensor total;          // pg - ent_coef * entropy + vf_coef * value (with grad)
  torch::Tensor policy;         // clipped surrogate loss
  torch::Tensor value;          // 0.5 * (clipped) squared error
  torch::Tensor entropy;        // mean entropy
  torch::Tensor approx_kl;      // k3 = mean((ratio - 1) - log ratio)
  torch::Tensor old_approx_kl;  // k1 = mean(-log ratio)
  torch::Tensor clip_fraction;  // fraction of ratios outside [low, high]
};

// The forward pass over the minibatch, then ppo_objective().
PpoLoss ppo_loss(ActorCriticImpl& model, const PpoBatch& minibatch, const PpoConfig& config,
                 double clip_coef);

// The loss from the current policy's log-probabilities [N], entropies [N]
// and values [N] of the minibatch's samples:
//   L = mean(max(-A r, -A clip(r, low, high))) - ent_coef mean(H) + vf_coef L_v
// with r = exp(log pi - log mu), A normalized per minibatch when norm_adv,
// and L_v = 0.5 mean(max((V - R)^2, (V_old + clip(V - V_old, -c, c) - R)^2))
// (or 0.5 mean((V - R)^2) without clip_vloss). [low, high] is [1-e, 1+e]
// (ratio_clip symmetric, PPO) or [1/(1+e), 1+e] (reciprocal, APPO), and
// c is value_clip, or e when value_clip is 0 (ClipRange in ppo_config.h).
PpoLoss ppo_objective(const torch::Tensor& log_probs, const torch::Tensor& entropy,
                      const torch::Tensor& values, const PpoBatch& minibatch,
                      const PpoConfig& config, double clip_coef);

// Runs config.update_epochs epochs of shuffled disjoint minibatches with
// learning rate `lr` and clip `clip_coef`; the shuffles draw from `rng`.
// `after_backward` runs between each backward pass and the gradient clip
// (a learner group averages the gradients there); `group_mean` turns this
// learner's KL into the group's mean for the target_kl stop.
PpoStats ppo_update(ActorCriticImpl& model, torch::optim::Adam& optimizer, const PpoBatch& batch,
                    const PpoConfig& config, double lr, double clip_coef, Rng& rng,
                    const std::function<void()>& after_backward = {},
                    const std::function<double(double)>& group_mean = {});

// 1 - Var(returns - values) / Var(returns); NaN when Var(returns) is 0.
double explained_variance(const torch::Tensor& values, const torch::Tensor& returns);

}  // namespace rl
