// --actors 0: a rollout worker inside the learner's process, for debugging.
// The updater's own thread collects a batch, updates, loads the new weights
// and collects the next: no sockets, no other thread, and the same result
// for the same seed every time.
#pragma once

#include <chrono>
#include <vector>

#include "actors/rollout_worker.h"
#include "learners/batcher.h"
#include "learners/learner.h"

namespace rl {

class InProcessCollector final : public BatchSource {
 public:
  // `unrolls_per_batch` unrolls of the worker's k envs make one batch.
  InProcessCollector(const EnvRegistry& registry, const std::string& env_id, const EnvOptions& env_options,
                     const RolloutConfig& rollout, const PolicyConfig& policy, const NormalizeConfig& normalize,
                     uint64_t seed, int unrolls_per_batch);

  Batch* next(std::chrono::milliseconds timeout) override;
  void release(Batch*) override {}
  // The updater's publish hook: the worker acts with the learner's weights.
  void load(Learner& learner);
  RolloutWorker& worker() { return worker_; }

 private:
  RolloutWorker worker_;
  int unrolls_per_batch_;
  std::vector<Unroll> unrolls_;
  Batch batch_;
};

}  // namespace rl
