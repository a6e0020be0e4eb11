#include "algorithms/impala.h"

#include <vector>

#include "algorithms/ppo.h"
#include "algorithms/returns.h"

namespace rl {
namespace {

std::vector<float> to_vector(const torch::Tensor& t) {
  const torch::Tensor cpu = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return std::vector<float>(cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel());
}

}  // namespace

BatchForward forward_batch(ActorCriticImpl& model, const ImpalaBatch& batch) {
  const int64_t T = batch.num_steps();
  const int64_t B = batch.num_streams();
  const torch::Tensor obs = batch.obs.reshape({(T + 1) * B, -1});
  const PolicyOutput out =
      model.recurrent() ? model.forward_sequence(obs, batch.core_state, batch.starts, batch.core_inputs).out : model.forward(obs);
  BatchForward f;
  f.acting = {out.params.slice(0, 0, T * B), out.value.slice(0, 0, T * B)};
  f.values_all = out.value.reshape({T + 1, B});
  f.actions = model.discrete() ? batch.actions.reshape({T * B}) : batch.actions.reshape({T * B, -1});
  f.log_probs = model.log_prob(f.acting, f.actions).reshape({T, B});
  return f;
}

VtraceTargets vtrace_targets(const torch::Tensor& log_rhos, const torch::Tensor& rewards, const ImpalaBatch& batch,
                             const torch::Tensor& values_all, const VtraceParams& params) {
  const int64_t T = batch.num_steps();
  const int64_t B = batch.num_streams();
  std::vector<float> vs(T * B), pg_advantages(T * B);
  vtrace(to_vector(log_rhos), to_vector(batch.discounts), to_vector(rewards), to_vector(values_all.slice(0, 0, T)),
         to_vector(values_all[T]), T, B, params, vs, pg_advantages);
  auto upload = [&](std::vector<float>& v) {
    return torch::from_blob(v.data(), {T, B}, torch::kFloat).to(batch.obs.device(), torch::kFloat, false, /*copy=*/true);
  };
  return {upload(vs), upload(pg_advantages)};
}

ImpalaLoss impala_loss(ActorCriticImpl& model, const ImpalaBatch& batch, const ImpalaConfig& config) {
  const int64_t T = batch.num_steps();
  const int64_t B = batch.num_streams();
  const BatchForward f = forward_batch(model, batch);
  const torch::Tensor& log_probs = f.log_probs;
  const torch::Tensor values = f.values_all.slice(0, 0, T);
  const torch::Tensor entropy = model.entropy(f.acting).reshape({T, B});

  torch::Tensor rewards = batch.rewards;
  if (config.reward_clip == "abs_one") rewards = rewards.clamp(-1.0, 1.0);

  const torch::Tensor log_rhos = (log_probs - batch.behaviour_log_probs).detach();
  const VtraceTargets targets = vtrace_targets(
      log_rhos, rewards, batch, f.values_all, {config.rho_bar, config.c_bar, config.pg_rho_bar, config.vtrace_lambda});
  const torch::Tensor& vs_t = targets.vs;
  const torch::Tensor& pg_adv_t = targets.pg_advantages;

  const double scale = config.loss_reduction == "mean" ? 1.0 / static_cast<double>(T * B) : 1.0;
  ImpalaLoss loss;
  loss.policy = -(log_probs * pg_adv_t).sum() * scale;
  loss.baseline = config.baseline_cost * 0.5 * (vs_t - values).pow(2).sum() * scale;
  const torch::Tensor entropy_sum = entropy.sum() * scale;
  loss.total = loss.policy + loss.baseline - config.entropy_cost * entropy_sum;
  loss.entropy = entropy.mean().detach();
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor ratio = log_rhos.exp();
    loss.mean_ratio = ratio.mean().item<double>();
    loss.clipped_rho_fraction = (ratio > config.rho_bar).to(torch::kFloat).mean().item<double>();
    // KL(mu || pi) estimated with samples from mu: E[(r - 1) - log r].
    loss.approx_kl = ((ratio - 1) - log_rhos).mean().item<double>();
    loss.explained_variance = explained_variance(values.detach().flatten(), vs_t.flatten());
  }
  return loss;
}

}  // namespace rl
