// Learners: turn batches of unrolls into updates of the policy. One class
// per algorithm over a shared base that owns the network, the normalizer
// statistics, the counters and the checkpoint files. The update rules
// themselves are the functions of algorithms/; a learner only prepares
// batches for them. In the learner process only the updater thread touches
// a Learner (learners/updater.h).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "learners/batch.h"
#include "rl/env/env_spec.h"
#include "rl/env/rng.h"
#include "rl/nn/actor_critic.h"
#include "rl/nn/flat_parameters.h"
#include "rl/nn/mlp.h"
#include "rl/nn/normalizers.h"
#include "rl/nn/policy_config.h"
#include "rl/runtime/metrics.h"
#include "rl/wire/messages.h"

namespace rl {

class LearnerGroup;

class Learner {
 public:
  Learner(const EnvSpec& spec, const PolicyConfig& policy, const NormalizeConfig& normalize,
          double gamma, torch::Device device, uint64_t seed);
  virtual ~Learner();

  // One update from `batch`. `progress` in [0, 1] is the share of the run's
  // env steps done before this update (for annealing). Returns the update's
  // metrics. Bumps version().
  virtual MetricRow update(const Batch& batch, double progress) = 0;

  // Whether actors need the value function's weights: PPO stores the values
  // of its behaviour policy, IMPALA recomputes them on the learner, so its
  // actors take the policy's parameters alone (half the bytes on the wire).
  virtual bool actors_need_values() const { return true; }
  // The current weights as actors load them (the policy's parameters, the
  // value function's too when actors_need_values(), the observation
  // statistics), tagged with version().
  wire::WeightsPayload snapshot();

  // Trains together with the other learners of `group` from now on: takes
  // rank 0's parameters, then averages gradients and merges statistics over
  // the group at every update. The group must outlive the learner.
  void join_group(LearnerGroup* group);

  ActorCriticImpl& model() { return *model_; }
  const RunningMeanStd& obs_stats() const { return obs_normalizer_.stats(); }
  int64_t version() const { return version_; }
  int64_t updates() const { return updates_; }
  torch::Device device() const { return device_; }
  // Whether updates run on the MLP fast path (policy.fast_path; CPU only).
  bool fast_path() const { return flat_.attached(); }

  // Writes model.pt, optimizer.pt and learner.json into `dir`.
  void save(const std::filesystem::path& dir);
  // Reads them back; throws std::runtime_error naming the file on a
  // mismatch (another network or env) or a corrupt file.
  void load(const std::filesystem::path& dir);

 protected:
  virtual torch::optim::Optimizer& optimizer() = 0;
  // The fast path keeps its optimizer state in fused optimizers; these move
  // it into libtorch's optimizer before a save and back after a load, so
  // checkpoints are the same files on both paths.
  virtual void store_optimizer_state() {}
  virtual void restore_optimizer_state() {}

  // Raw [rows, obs_size] observations normalized with the current statistics,
  // on the host.
  void normalize_host(std::span<const float> raw, std::vector<float>& out) const;
  // Values [rows] of normalized host observations, on either path.
  std::vector<float> values_of(std::span<const float> normalized, int64_t rows);

  // Raw [rows, obs_size] observations normalized with the current statistics,
  // as a device tensor.
  torch::Tensor normalized(std::span<const float> raw, int64_t rows);
  // Adds raw observations to the statistics (the whole group's, in a group).
  void update_obs_stats(std::span<const float> raw, int64_t rows);
  // The batch's rewards scaled with the running return statistics (every
  // actor's env keeps its own return accumulator), into `rewards`.
  void scale_rewards(const Batch& batch, std::vector<float>& rewards);
  // The asynchronous algorithms' view of a batch (IMPALA, APPO), time-major:
  // observations [(T+1) K, d] normalized with the current statistics;
  // rewards scaled, clipped to [-1, 1] when `clip_rewards` (the env's
  // rewards only), then plus gamma V(o_final) on steps that truncation alone
  // ended; discounts gamma, or 0 at every episode end (V-trace's trace is
  // cut there, the bootstrap went into the reward). Then the observation
  // statistics move on.
  struct TimeMajorInputs {
    std::vector<float> obs, rewards, discounts;
    std::vector<float> finals;  // scratch: normalized final observations
  };
  void prepare_time_major(const Batch& batch, double gamma, bool clip_rewards, TimeMajorInputs& out);
  // Recurrent models (policy.core): the episode starts of a batch, [T+1, K]
  // on the device, 1 at step t > 0 when step t-1 ended an episode (row 0 is
  // 0: the actors resolved it into the shipped state); and the core state
  // the actors started from, [K, S].
  torch::Tensor sequence_starts(const Batch& batch) const;
  torch::Tensor core_state(const Batch& batch) const;
  // The core inputs of each of the T+1 steps (policy.core_inputs), [T+1, K,
  // P]: row 0 from the shipped state's tail, row t the action and raw
  // reward of step t-1. Undefined when the model takes none.
  torch::Tensor core_inputs(const Batch& batch) const;
  // Replays the core (no gradient) over the batch's T+1 normalized
  // observations: the values of all T+1 rows [(T+1) K], and the values of
  // the final observations of truncated episodes [m], each seen from the
  // state after its episode's last step.
  struct CoreReplay {
    std::vector<float> values, final_values;
  };
  CoreReplay replay_core(const Batch& batch, std::span<const float> normalized_obs,
                         std::span<const float> normalized_finals);

  // The mean and the largest lag, in versions, of the batch's unrolls.
  std::pair<double, double> policy_lag(const Batch& batch) const;

  // Averages the gradients over the group (nothing alone).
  void reduce_gradients();
  // In a group: a function from this learner's value to the group's mean
  // (PPO's target_kl stop is decided on it); empty alone.
  std::function<double(double)> group_mean();

  // A device tensor of its own holding a copy of `data` (float or int64):
  // through pinned memory with a non-blocking copy on CUDA.
  template <typename T>
  torch::Tensor upload(const std::vector<T>& data, std::vector<int64_t> shape) const;

  EnvSpec spec_;
  torch::Device device_;
  std::shared_ptr<ActorCriticImpl> model_;
  ObservationNormalizer obs_normalizer_;
  RewardScaler reward_scaler_;
  Rng rng_;  // minibatch shuffles
  LearnerGroup* group_ = nullptr;
  // Fast path: the module's parameters and gradients as views of flat
  // buffers, and the kernels' copy of the network shape.
  FlatParameters flat_;
  std::unique_ptr<MlpActorCritic> fast_net_;
  int64_t version_ = 0;
  int64_t updates_ = 0;
  std::vector<double> scaled_returns_;  // scale_rewards' scratch
};

template <typename T>
torch::Tensor Learner::upload(const std::vector<T>& data, std::vector<int64_t> shape) const {
  const torch::Tensor host =
      torch::from_blob(const_cast<T*>(data.data()), shape, torch::CppTypeToScalarType<T>::value);
  if (device_.is_cuda()) return host.pin_memory().to(device_, /*non_blocking=*/true);
  return host.clone();
}

}  // namespace rl
