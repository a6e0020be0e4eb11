// IMPALA's loss on the MLP fast path: the same V-trace targets and loss as
// impala_loss() (impala.h), with the gradient computed by MlpActorCritic's
// hand-written backward into a flat buffer. No libtorch.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "algorithms/impala_config.h"
#include "rl/nn/mlp.h"

namespace rl {

// T steps of B streams on the host, time-major (row t * B + b).
struct ImpalaHostBatch {
  int64_t num_steps = 0, num_streams = 0;
  std::span<const float> obs;                 // [(T+1) B, obs_size] normalized
  std::span<const int64_t> discrete_actions;  // [T B] (Discrete)
  std::span<const float> box_actions;         // [T B, d] unclipped (Box)
  std::span<const float> behaviour_log_probs, rewards, discounts;  // [T B]
};

struct ImpalaFastStats {
  double total = 0, policy = 0, baseline = 0, entropy = 0;
  double mean_ratio = 0, clipped_rho_fraction = 0, approx_kl = 0, explained_variance = 0;
};

class FastImpalaLoss {
 public:
  explicit FastImpalaLoss(const MlpSpec& spec);

  // Forward pass, V-trace and the loss; its gradient is added to `grads`.
  ImpalaFastStats gradient(std::span<const float> params, std::span<float> grads,
                           const ImpalaHostBatch& batch, const ImpalaConfig& config);

 private:
  MlpActorCritic net_;
  std::vector<float> log_softmax_, log_probs_, entropies_, log_rhos_, rewards_, values_, bootstrap_;
  std::vector<float> vs_, pg_advantages_, d_head_, d_values_;
};

}  // namespace rl
