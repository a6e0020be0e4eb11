// PPO's update on the MLP fast path: the same epochs, minibatches, loss and
// statistics as ppo_update() (ppo.h), computed with the hand-written
// forward/backward of MlpActorCritic and a fused Adam over one flat buffer.
// No libtorch: nothing here dispatches per operator or allocates per
// minibatch once the workspaces have grown.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "algorithms/ppo_config.h"
#include "rl/env/rng.h"
#include "rl/nn/fused_optim.h"
#include "rl/nn/mlp.h"

namespace rl {

struct PpoStats;

// One update's samples on the host, flat (N = T x k).
struct PpoHostBatch {
  int64_t size = 0;
  std::span<const float> obs;                // [N, obs_size] normalized
  std::span<const int64_t> discrete_actions;  // [N] (Discrete)
  std::span<const float> box_actions;         // [N, d] unclipped (Box)
  std::span<const float> log_probs, values, advantages, returns;  // [N]
};

// The loss terms of one minibatch, as PpoLoss holds them.
struct PpoMinibatchLoss {
  double total = 0, policy = 0, value = 0, entropy = 0;
  double approx_kl = 0, old_approx_kl = 0, clip_fraction = 0;
};

class FastPpoUpdater {
 public:
  explicit FastPpoUpdater(const MlpSpec& spec);

  MlpActorCritic& network() { return net_; }

  // Runs config.update_epochs epochs of shuffled minibatches (shuffles drawn
  // from `rng` exactly as ppo_update() draws them) on `params`/`grads`.
  // `after_backward(grads)` runs between each backward pass and the
  // gradient clip (a learner group averages the gradients there);
  // `group_mean` turns this learner's KL into the group's mean, on which
  // the target_kl stop is decided.
  PpoStats update(std::span<float> params, std::span<float> grads, FusedAdam& optimizer,
                  const PpoHostBatch& batch, const PpoConfig& config, double lr, double clip_coef,
                  Rng& rng, const std::function<void(std::span<float>)>& after_backward = {},
                  const std::function<double(double)>& group_mean = {});

  // The loss terms of one minibatch (rows of `batch` at `index`) and their
  // gradient, accumulated into `grads`. Exposed for the tests against
  // autograd.
  PpoMinibatchLoss minibatch_gradient(std::span<const float> params, std::span<float> grads,
                                         const PpoHostBatch& batch, std::span<const int64_t> index,
                                         const PpoConfig& config, double clip_coef);

 private:
  MlpActorCritic net_;
  // Minibatch workspaces, grown once.
  std::vector<float> obs_, d_head_, d_values_, log_softmax_, new_log_probs_, entropies_;
  std::vector<float> advantages_;
};

}  // namespace rl
