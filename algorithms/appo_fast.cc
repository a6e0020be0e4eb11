#include "algorithms/appo_fast.h"

#include <algorithm>
#include <cmath>

#include "algorithms/returns.h"
#include "rl/nn/distributions.h"

namespace rl {

FastAppoTargets::FastAppoTargets(const MlpSpec& spec) : net_(spec) {}

void FastAppoTargets::compute(std::span<const float> params, const ImpalaHostBatch& batch,
                              const AppoConfig& config, AppoHostTargets& out) {
  const MlpSpec& spec = net_.spec();
  const int64_t T = batch.num_steps, B = batch.num_streams, n = T * B;
  const int64_t width = spec.head_size;
  net_.forward(params, batch.obs, (T + 1) * B);
  const float* head = net_.head().data();
  const float* values = net_.values().data();
  const float* log_std = spec.discrete ? nullptr : params.data() + net_.log_std_offset();

  log_rhos_.resize(n);
  log_softmax_.resize(width);  // one row at a time: only the log-probability is kept
  double ratio_sum = 0, clipped = 0;
  for (int64_t i = 0; i < n; ++i) {
    float entropy = 0;
    const float log_prob = dist::action_log_prob(
        spec.discrete, width, head + i * width, log_std, spec.discrete ? batch.discrete_actions[i] : 0,
        spec.discrete ? nullptr : batch.box_actions.data() + i * width, log_softmax_.data(), &entropy);
    log_rhos_[i] = log_prob - batch.behaviour_log_probs[i];
    const double ratio = std::exp(double(log_rhos_[i]));
    ratio_sum += ratio;
    clipped += ratio > config.rho_bar ? 1 : 0;
  }
  rewards_.assign(batch.rewards.begin(), batch.rewards.end());
  if (config.reward_clip == "abs_one") {
    for (float& r : rewards_) r = std::clamp(r, -1.f, 1.f);
  }
  out.values.assign(values, values + n);
  bootstrap_.assign(values + n, values + n + B);
  out.vs.resize(n);
  out.advantages.resize(n);
  vtrace(log_rhos_, batch.discounts, rewards_, out.values, bootstrap_, T, B, config.vtrace_params(), out.vs,
         out.advantages);
  out.stats.mean_ratio = ratio_sum / double(n);
  out.stats.clipped_rho_fraction = clipped / double(n);
}

}  // namespace rl
