// The IMPALA learner: one V-trace corrected update per batch of unrolls,
// whatever version of the policy produced them.
#pragma once

#include <memory>

#include "algorithms/impala_config.h"
#include "algorithms/impala_fast.h"
#include "learners/learner.h"
#include "rl/nn/fused_optim.h"

namespace rl {

class ImpalaLearner final : public Learner {
 public:
  ImpalaLearner(const EnvSpec& spec, const PolicyConfig& policy, const NormalizeConfig& normalize,
                const ImpalaConfig& config, torch::Device device, uint64_t seed);

  MetricRow update(const Batch& batch, double progress) override;
  bool actors_need_values() const override { return false; }

 protected:
  torch::optim::Optimizer& optimizer() override { return *optimizer_; }
  void store_optimizer_state() override;
  void restore_optimizer_state() override;

 private:
  ImpalaConfig config_;
  ImpalaConfig loss_config_;  // config_ with the reward clip left to update()
  std::unique_ptr<torch::optim::Optimizer> optimizer_;  // libtorch path, and the checkpointed state
  // Fast path: the hand-written loss gradient and one of the fused optimizers.
  std::unique_ptr<FastImpalaLoss> fast_loss_;
  std::unique_ptr<FusedRmsProp> fused_rmsprop_;
  std::unique_ptr<FusedAdam> fused_adam_;
  // Workspaces reused from update to update.
  TimeMajorInputs inputs_;
};

}  // namespace rl
