// APPO's V-trace targets on the MLP fast path: what appo_batch() (appo.h)
// computes, with the hand-written forward pass and no libtorch. The PPO
// epochs then run on FastPpoUpdater (ppo_fast.h).
#pragma once

#include <span>
#include <vector>

#include "algorithms/appo.h"
#include "algorithms/appo_config.h"
#include "algorithms/impala_fast.h"
#include "rl/nn/mlp.h"

namespace rl {

// Values [T B] of the acting rows before the update, V-trace targets v_s
// and advantages A_s [T B], time-major as the batch.
struct AppoHostTargets {
  std::vector<float> values, vs, advantages;
  AppoTargetStats stats;
};

class FastAppoTargets {
 public:
  explicit FastAppoTargets(const MlpSpec& spec);

  void compute(std::span<const float> params, const ImpalaHostBatch& batch, const AppoConfig& config,
               AppoHostTargets& out);

 private:
  MlpActorCritic net_;
  std::vector<float> log_softmax_, log_rhos_, rewards_, bootstrap_;
};

}  // namespace rl
