// The IMPALA learner: one V-trace corrected update per batch of unrolls,
// whatever version of the policy produced them.
#pragma once

#include <memory>

#include "algorithms/impala_config.h"
#include "learners/learner.h"

namespace rl {

class ImpalaLearner final : public Learner {
 public:
  ImpalaLearner(const EnvSpec& spec, const PolicyConfig& policy, const NormalizeConfig& normalize,
                const ImpalaConfig& config, torch::Device device, uint64_t seed);

  MetricRow update(const std::vector<const Unroll*>& unrolls, double progress) override;

 protected:
  torch::optim::Optimizer& optimizer() override { return *optimizer_; }

 private:
  ImpalaConfig config_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

}  // namespace rl
