#include "algorithms/appo.h"

#include "algorithms/returns.h"

namespace rl {

PpoBatch appo_batch(ActorCriticImpl& model, const ImpalaBatch& batch, const AppoConfig& config,
                    AppoTargetStats* stats) {
  torch::NoGradGuard no_grad;
  const int64_t T = batch.num_steps();
  const int64_t B = batch.num_streams();
  const int64_t n = T * B;
  const BatchForward f = forward_batch(model, batch);
  const torch::Tensor log_rhos = f.log_probs - batch.behaviour_log_probs;

  torch::Tensor rewards = batch.rewards;
  if (config.reward_clip == "abs_one") rewards = rewards.clamp(-1.0, 1.0);
  const VtraceTargets targets = vtrace_targets(log_rhos, rewards, batch, f.values_all, config.vtrace_params());
  if (stats) {
    const torch::Tensor ratio = log_rhos.exp();
    stats->mean_ratio = ratio.mean().item<double>();
    stats->clipped_rho_fraction = (ratio > config.rho_bar).to(torch::kFloat).mean().item<double>();
  }
  PpoBatch out{batch.obs.reshape({(T + 1) * B, -1}).slice(0, 0, n), f.actions, batch.behaviour_log_probs.reshape({n}),
               f.values_all.slice(0, 0, T).reshape({n}), targets.pg_advantages.reshape({n}), targets.vs.reshape({n})};
  if (model.recurrent()) {
    // Whole sequences from the actors' states: minibatches take streams.
    out.num_steps = T;
    out.starts = batch.starts.slice(0, 0, T);
    out.core_state = batch.core_state;
    if (batch.core_inputs.defined()) out.core_inputs = batch.core_inputs.slice(0, 0, T);
  }
  return out;
}

}  // namespace rl
