#include "algorithms/appo.h"

#include <vector>

#include "algorithms/returns.h"

namespace rl {
namespace {

std::vector<float> to_vector(const torch::Tensor& t) {
  const torch::Tensor cpu = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return std::vector<float>(cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel());
}

}  // namespace

PpoBatch appo_batch(ActorCriticImpl& model, const ImpalaBatch& batch, const AppoConfig& config,
                    AppoTargetStats* stats) {
  torch::NoGradGuard no_grad;
  const int64_t T = batch.num_steps();
  const int64_t B = batch.num_streams();
  const int64_t n = T * B;
  const torch::Tensor flat_obs = batch.obs.reshape({(T + 1) * B, -1});
  const PolicyOutput out = model.forward(flat_obs);
  const torch::Tensor values_all = out.value.reshape({T + 1, B});
  const PolicyOutput acting{out.params.slice(0, 0, n), out.value.slice(0, 0, n)};
  const torch::Tensor flat_actions = model.discrete() ? batch.actions.reshape({n}) : batch.actions.reshape({n, -1});
  const torch::Tensor log_probs = model.log_prob(acting, flat_actions).reshape({T, B});
  const torch::Tensor log_rhos = log_probs - batch.behaviour_log_probs;

  torch::Tensor rewards = batch.rewards;
  if (config.reward_clip == "abs_one") rewards = rewards.clamp(-1.0, 1.0);
  std::vector<float> vs(n), advantages(n);
  vtrace(to_vector(log_rhos), to_vector(batch.discounts), to_vector(rewards), to_vector(values_all.slice(0, 0, T)),
         to_vector(values_all[T]), T, B, config.vtrace_params(), vs, advantages);
  const torch::Device device = batch.obs.device();
  auto upload = [&](std::vector<float>& v) {
    return torch::from_blob(v.data(), {n}, torch::kFloat).to(device, torch::kFloat, false, /*copy=*/true);
  };
  if (stats) {
    const torch::Tensor ratio = log_rhos.exp();
    stats->mean_ratio = ratio.mean().item<double>();
    stats->clipped_rho_fraction = (ratio > config.rho_bar).to(torch::kFloat).mean().item<double>();
  }
  return {flat_obs.slice(0, 0, n), flat_actions, batch.behaviour_log_probs.reshape({n}),
          values_all.slice(0, 0, T).reshape({n}), upload(advantages), upload(vs)};
}

}  // namespace rl
