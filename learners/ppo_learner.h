// The PPO learner: GAE over the joined unrolls, then ppo_update().
#pragma once

#include "algorithms/ppo_config.h"
#include "learners/learner.h"

namespace rl {

class PpoLearner final : public Learner {
 public:
  PpoLearner(const EnvSpec& spec, const PolicyConfig& policy, const NormalizeConfig& normalize,
             const PpoConfig& config, torch::Device device, uint64_t seed);

  MetricRow update(const std::vector<const Unroll*>& unrolls, double progress) override;

 protected:
  torch::optim::Optimizer& optimizer() override { return optimizer_; }

 private:
  PpoConfig config_;
  torch::optim::Adam optimizer_;
};

}  // namespace rl
