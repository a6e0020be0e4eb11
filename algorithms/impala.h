// IMPALA's update with V-trace off-policy correction (Espeholt et al. 2018):
// functions over a time-major batch that know nothing of actors or sockets.
#pragma once

#include <torch/torch.h>

#include "algorithms/impala_config.h"
#include "algorithms/returns.h"
#include "rl/nn/actor_critic.h"

namespace rl {

// T steps of B env streams, time-major, on the learner's device.
struct ImpalaBatch {
  torch::Tensor obs;           // [T+1, B, obs_size] normalized; row T bootstraps
  torch::Tensor actions;       // [T, B] int64 or [T, B, d] float (unclipped)
  torch::Tensor behaviour_log_probs;  // [T, B] log mu(a_t | x_t)
  torch::Tensor rewards;       // [T, B] (scaled; truncation bootstrap already added)
  torch::Tensor discounts;     // [T, B] gamma, or 0 where the episode ended
  // Recurrent models only: the actors' core state before step 0 [B, S] and
  // [T+1, B] 1 where an episode starts at the step (row 0: 0, resolved).
  torch::Tensor core_state;
  torch::Tensor starts;
  // [T+1, B, P] each step's core inputs (policy.core_inputs; else undefined).
  torch::Tensor core_inputs;

  int64_t num_steps() const { return actions.size(0); }
  int64_t num_streams() const { return actions.size(1); }
};

struct ImpalaLoss {
  torch::Tensor total;     // pg + baseline - entropy bonus (with grad)
  torch::Tensor policy;    // -sum log pi(a|x) A^pg
  torch::Tensor baseline;  // baseline_cost * 0.5 * sum (v_s - V)^2
  torch::Tensor entropy;   // mean entropy
  double mean_ratio = 0;        // mean of pi/mu before clipping
  double clipped_rho_fraction = 0;  // share of ratios above rho_bar
  double approx_kl = 0;         // k3 estimate of KL(mu || pi)
  double explained_variance = 0;  // of the values against the V-trace targets
};

// The first steps that IMPALA's loss and APPO's targets share on the
// libtorch path: one forward pass over all T+1 rows of observations ...
struct BatchForward {
  PolicyOutput acting;       // the first T*B rows (row T only bootstraps)
  torch::Tensor values_all;  // [T+1, B]
  torch::Tensor actions;     // [T*B] or [T*B, d]: the batch's actions, flat
  torch::Tensor log_probs;   // [T, B] log pi(a_t | x_t)
};
BatchForward forward_batch(ActorCriticImpl& model, const ImpalaBatch& batch);

// ... and V-trace on the CPU reference implementation, without gradient:
// the targets v_s and the policy-gradient advantages, [T, B] each, copied
// onto the batch's device (copies: callers keep them past the call).
struct VtraceTargets {
  torch::Tensor vs;
  torch::Tensor pg_advantages;
};
VtraceTargets vtrace_targets(const torch::Tensor& log_rhos, const torch::Tensor& rewards, const ImpalaBatch& batch,
                             const torch::Tensor& values_all, const VtraceParams& params);

// Forward pass over all T+1 observations, V-trace targets (no gradient) and
// the IMPALA loss, summed or averaged over time and batch as configured.
ImpalaLoss impala_loss(ActorCriticImpl& model, const ImpalaBatch& batch, const ImpalaConfig& config);

}  // namespace rl
