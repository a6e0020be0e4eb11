// The PPO learner: GAE over the joined unrolls, then the PPO epochs, on the
// MLP fast path (ppo_fast.h) or with libtorch (ppo.h).
#pragma once

#include <memory>

#include "algorithms/ppo_config.h"
#include "algorithms/ppo_fast.h"
#include "learners/learner.h"
#include "rl/nn/fused_optim.h"

namespace rl {

class PpoLearner final : public Learner {
 public:
  PpoLearner(const EnvSpec& spec, const PolicyConfig& policy, const NormalizeConfig& normalize,
             const PpoConfig& config, torch::Device device, uint64_t seed);

  MetricRow update(const Batch& batch, double progress) override;

 protected:
  torch::optim::Optimizer& optimizer() override { return optimizer_; }
  void store_optimizer_state() override;
  void restore_optimizer_state() override;

 private:
  PpoConfig config_;
  torch::optim::Adam optimizer_;  // libtorch path, and the checkpointed state
  std::unique_ptr<FusedAdam> fused_adam_;        // fast path
  std::unique_ptr<FastPpoUpdater> fast_updater_;  // fast path
  // Workspaces reused from update to update.
  std::vector<float> obs_;  // normalized observations [(T+1) K, obs_size]
  std::vector<float> finals_normalized_, rewards_, next_values_, advantages_, returns_;
};

}  // namespace rl
