// What both PPO update paths (ppo.h with libtorch, ppo_fast.h on the MLP
// fast path) share without libtorch: the statistics they report, the
// minibatch shuffle and the explained variance.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "rl/env/rng.h"

namespace rl {

struct PpoStats {
  double policy_loss = 0, value_loss = 0, entropy = 0;
  double approx_kl = 0, old_approx_kl = 0, clip_fraction = 0;
  double explained_variance = 0;  // 1 - Var(R - V_old) / Var(R) over the batch
  double grad_norm = 0;           // mean global norm before clipping
  int epochs = 0;                 // epochs run (fewer when target_kl stopped them)
  int minibatch_steps = 0;
};

// A random permutation of [0, n) drawn from rng (Fisher-Yates).
std::vector<int64_t> permutation(int64_t n, Rng& rng);

// Rows [start, end) of minibatch j of `count` over a shuffled batch of n
// rows: every epoch has exactly `count` minibatches whose sizes differ by
// at most one (so that every member of a learner group takes the same
// number of steps, whatever its batch size).
inline std::pair<int64_t, int64_t> minibatch_range(int64_t n, int64_t count, int64_t j) {
  return {j * n / count, (j + 1) * n / count};
}

// 1 - Var(returns - values) / Var(returns); NaN when Var(returns) is 0.
double explained_variance(std::span<const float> values, std::span<const float> returns);

}  // namespace rl
