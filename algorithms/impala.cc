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

ImpalaLoss impala_loss(ActorCriticImpl& model, const ImpalaBatch& batch, const ImpalaConfig& config) {
  const int64_t T = batch.num_steps();
  const int64_t B = batch.num_streams();
  const torch::Tensor flat_obs = batch.obs.reshape({(T + 1) * B, -1});
  const PolicyOutput out = model.forward(flat_obs);
  const torch::Tensor values_all = out.value.reshape({T + 1, B});
  const torch::Tensor values = values_all.slice(0, 0, T);

  // Policy terms of the first T rows only (row T only bootstraps).
  const PolicyOutput acting{out.params.slice(0, 0, T * B), out.value.slice(0, 0, T * B)};
  const torch::Tensor flat_actions =
      model.discrete() ? batch.actions.reshape({T * B}) : batch.actions.reshape({T * B, -1});
  const torch::Tensor log_probs = model.log_prob(acting, flat_actions).reshape({T, B});
  const torch::Tensor entropy = model.entropy(acting).reshape({T, B});

  torch::Tensor rewards = batch.rewards;
  if (config.reward_clip == "abs_one") rewards = rewards.clamp(-1.0, 1.0);

  // V-trace on the CPU reference implementation, without gradient.
  const torch::Tensor log_rhos = (log_probs - batch.behaviour_log_probs).detach();
  const auto log_rhos_v = to_vector(log_rhos);
  const auto discounts_v = to_vector(batch.discounts);
  const auto rewards_v = to_vector(rewards);
  const auto values_v = to_vector(values);
  const auto bootstrap_v = to_vector(values_all[T]);
  std::vector<float> vs(T * B), pg_advantages(T * B);
  vtrace(log_rhos_v, discounts_v, rewards_v, values_v, bootstrap_v, T, B,
         {config.rho_bar, config.c_bar, config.pg_rho_bar, config.vtrace_lambda}, vs, pg_advantages);
  const auto options = torch::TensorOptions().dtype(torch::kFloat);
  // Copies (copy=true): autograd keeps pg_adv_t past this function.
  const torch::Tensor vs_t =
      torch::from_blob(vs.data(), {T, B}, options).to(values.device(), torch::kFloat, false, true);
  const torch::Tensor pg_adv_t = torch::from_blob(pg_advantages.data(), {T, B}, options)
                                     .to(values.device(), torch::kFloat, false, true);

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
