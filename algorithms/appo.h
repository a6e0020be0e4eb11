// APPO (asynchronous PPO, as Sample Factory runs it): V-trace value targets
// and advantages over a time-major batch of unrolls from whatever policy
// versions the actors had, then PPO's epochs of clipped-surrogate
// minibatches on the importance ratio pi_theta / mu of the current policy
// to the behaviour policy. This file turns an ImpalaBatch into that PPO
// batch; ppo_update() (ppo.h) does the rest.
#pragma once

#include <torch/torch.h>

#include "algorithms/appo_config.h"
#include "algorithms/impala.h"
#include "algorithms/ppo.h"

namespace rl {

struct AppoTargetStats {
  double mean_ratio = 0;            // mean pi/mu at the start of the update
  double clipped_rho_fraction = 0;  // share of ratios above rho_bar
};

// With the current parameters and no gradient: values V(x_t) of all T+1
// rows, the V-trace targets v_s and advantages
//   A_s = min(pg_rho_bar, pi/mu) (r_s + g_s v_{s+1} - V(x_s)),
// returned as a flat PPO batch of the T B acting rows (time-major order):
// log_probs = the behaviour's log mu (so the ratio is pi_theta / mu),
// values = V(x_s) before the update (the value clip's centre),
// advantages = A_s, returns = v_s. The targets are computed once per batch,
// as PPO computes GAE once: on-policy (mu = pi) with lambda 1 they are
// GAE(lambda = 1)'s advantages and returns.
PpoBatch appo_batch(ActorCriticImpl& model, const ImpalaBatch& batch, const AppoConfig& config,
                    AppoTargetStats* stats = nullptr);

}  // namespace rl
