#include "runner/in_process.h"

namespace rl {

InProcessCollector::InProcessCollector(const EnvRegistry& registry, const std::string& env_id,
                                       const EnvOptions& env_options, const RolloutConfig& rollout,
                                       const PolicyConfig& policy, const NormalizeConfig& normalize, uint64_t seed,
                                       int unrolls_per_batch)
    : worker_(registry, env_id, env_options, rollout, policy, normalize, seed, /*actor_id=*/0),
      unrolls_per_batch_(unrolls_per_batch),
      unrolls_(unrolls_per_batch) {}

Batch* InProcessCollector::next(std::chrono::milliseconds) {
  std::vector<const Unroll*> pointers;
  for (Unroll& unroll : unrolls_) {
    worker_.collect(unroll);
    pointers.push_back(&unroll);
  }
  batch_.assemble(pointers);
  return &batch_;
}

void InProcessCollector::load(Learner& learner) {
  worker_.policy().load(learner.model(), learner.obs_stats(), learner.version());
}

}  // namespace rl
