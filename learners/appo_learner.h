// The APPO learner: asynchronous like IMPALA (batches of unrolls from
// whatever policy versions the actors had), with V-trace targets and
// advantages feeding PPO's clipped-surrogate epochs (algorithms/appo.h).
#pragma once

#include <memory>

#include "algorithms/appo_config.h"
#include "algorithms/appo_fast.h"
#include "algorithms/ppo_fast.h"
#include "learners/learner.h"
#include "rl/nn/fused_optim.h"

namespace rl {

class AppoLearner final : public Learner {
 public:
  AppoLearner(const EnvSpec& spec, const PolicyConfig& policy, const NormalizeConfig& normalize,
              const AppoConfig& config, torch::Device device, uint64_t seed);

  MetricRow update(const Batch& batch, double progress) override;
  // The values are recomputed here with the current parameters.
  bool actors_need_values() const override { return false; }

 protected:
  torch::optim::Optimizer& optimizer() override { return optimizer_; }
  void store_optimizer_state() override;
  void restore_optimizer_state() override;

 private:
  AppoConfig config_;
  AppoConfig target_config_;  // config_ with the reward clip left to prepare_time_major()
  PpoConfig update_config_;
  torch::optim::Adam optimizer_;  // libtorch path, and the checkpointed state
  // Fast path.
  std::unique_ptr<FusedAdam> fused_adam_;
  std::unique_ptr<FastAppoTargets> fast_targets_;
  std::unique_ptr<FastPpoUpdater> fast_updater_;
  // Workspaces reused from update to update.
  TimeMajorInputs inputs_;
  AppoHostTargets targets_;
};

}  // namespace rl
