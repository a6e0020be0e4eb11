// PolicyActor: the actor side of a policy. Turns a batch of raw observations
// into actions, log-probabilities and values with one forward pass of a CPU
// copy of the network, normalizing observations with the statistics that
// came with the weights. Used by rollout workers and by evaluation.
//
// Two paths compute the same thing: the MLP fast path (rl/nn/mlp.h: one flat
// weight buffer, OpenBLAS, no per-operator dispatch), chosen by default
// (policy.fast_path auto/on), and libtorch's module (policy.fast_path off),
// the reference and the path for networks the fast path does not cover.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "rl/env/env_spec.h"
#include "rl/env/evaluation.h"
#include "rl/env/rng.h"
#include "rl/nn/actor_forward.h"
#include "rl/nn/mlp.h"
#include "rl/nn/normalizers.h"
#include "rl/nn/policy_config.h"
#include "rl/wire/messages.h"

namespace rl {

class ActorCriticImpl;

class PolicyActor {
 public:
  // `device`: where the libtorch path runs ("cpu", "cuda", "cuda:1"; an
  // inference server on the learner's GPU). Off the CPU the network is
  // always libtorch's; sampling stays on the CPU.
  PolicyActor(const EnvSpec& spec, const PolicyConfig& policy, const NormalizeConfig& normalize,
              uint64_t seed, const std::string& device = "cpu");
  ~PolicyActor();

  // Takes a copy of `model`'s parameters (any device) and of the
  // observation statistics, as version `version`.
  void load(ActorCriticImpl& model, const RunningMeanStd& obs_stats, int64_t version);
  // Takes weights that came over the wire. Throws std::invalid_argument
  // naming a parameter that is missing or has another shape. The value
  // function's parameters (v_trunk, v_head) may be left out, as learners
  // that recompute values (IMPALA) send them: values() then reads 0.
  void load(const wire::WeightsPayload& weights);
  // Whether the values act() writes are the value function's (false after
  // policy-only weights).
  bool has_values() const { return has_values_; }

  // rows = obs.size() / obs_size. Writes actions (Discrete: `discrete`; Box:
  // `box`, the unclipped samples), their log-probabilities and the values.
  // Deterministic: the distribution's mode instead of a sample.
  void act(std::span<const float> obs, bool deterministic, std::span<int64_t> discrete,
           std::span<float> box, std::span<float> log_probs, std::span<float> values);

  // Values of raw observations (for bootstrapping), rows as above.
  // Feed-forward policies only.
  void value(std::span<const float> obs, std::span<float> values);

  // A recurrent policy (policy.core) keeps one core state per row (env):
  // zeroed where `starts` is 1 (an episode starts at the coming step; all
  // rows at first), and advanced by every act(). No-ops without a core.
  bool recurrent() const { return state_size_ > 0; }
  void episodes_started(std::span<const uint8_t> starts);
  // The state act() starts from, [rows, core_state_size] (the unroll ships
  // it with its first step).
  std::span<const float> core_state() const;
  // After the env stepped on act()'s actions: a core fed the last action
  // and reward (policy.core_inputs) records them with the raw `rewards`.
  void stepped(std::span<const float> rewards);

  // For an inference server, whose rows' core state lives outside (in an
  // inference board's slots): act() and stepped() on rows whose state is
  // `state` [rows, core_state_size()], advanced in place, with the actions
  // of the step before given rather than remembered.
  int64_t core_state_size() const { return state_size_; }
  void act_on_state(std::span<const float> obs, std::span<float> state, std::span<int64_t> discrete,
                    std::span<float> box, std::span<float> log_probs, std::span<float> values);
  void record_on_state(std::span<float> state, std::span<const int64_t> discrete, std::span<const float> box,
                       std::span<const float> rewards);

  int64_t version() const { return version_; }
  int64_t epoch() const { return epoch_; }
  Rng& rng() { return rng_; }
  // The libtorch copy of the network (kept current on the libtorch path
  // only: on the fast path weights go straight to the flat buffer).
  ActorCriticImpl& model();
  const ObservationNormalizer& normalizer() const { return normalizer_; }
  // Whether it acts without libtorch (the MLP fast path or ActorForward).
  bool fast() const { return fast_ != nullptr || forward_ != nullptr; }

 private:
  void act_fast(int64_t rows, bool deterministic, std::span<int64_t> discrete, std::span<float> box,
                std::span<float> log_probs, std::span<float> values);
  void act_forward(int64_t rows, bool deterministic, std::span<int64_t> discrete, std::span<float> box,
                   std::span<float> log_probs, std::span<float> values);
  // Categorical draws over the logits `head` [rows, width].
  void sample_discrete(const float* head, int64_t rows, int64_t width, bool deterministic,
                       std::span<int64_t> discrete, std::span<float> log_probs);
  // Gaussian draws around the means `head` [rows, width], log_std at `log_std`.
  void sample_gaussian(const float* head, int64_t rows, int64_t width, const float* log_std, bool deterministic,
                       std::span<float> box, std::span<float> log_probs);
  // The flat parameters' slots: the MLP fast path's or ActorForward's.
  const std::vector<FlatSlot>& flat_slots() const;

  EnvSpec spec_;
  std::string device_ = "cpu";
  std::shared_ptr<ActorCriticImpl> model_;
  std::unique_ptr<MlpActorCritic> fast_;  // the MLP fast path, or null
  std::unique_ptr<ActorForward> forward_;  // CNNs and cores without libtorch, or null
  std::vector<float> flat_weights_;       // the fast path's parameters
  std::unordered_map<std::string, size_t> slot_of_;  // parameter name -> fast_->slots() index
  std::vector<float> std_dev_, row_scratch_;
  ObservationNormalizer normalizer_;
  Rng rng_;
  int64_t version_ = 0;
  int64_t epoch_ = 0;  // of the learner incarnation that sent the weights
  bool has_values_ = true;
  std::vector<float> normalized_;  // scratch for normalized observations
  std::span<const float> input_;   // what act() feeds the network: the observations, or normalized_
  int64_t state_size_ = 0;         // core state floats per row (0: feed-forward)
  std::vector<float> state_;       // [rows, state_size_] the core state (recurrent policies)
  std::vector<int64_t> last_discrete_;  // act()'s last actions, for stepped() (recurrent policies)
  std::vector<float> last_box_;
};

// A BatchPolicy over a PolicyActor: Box actions are clipped to the action
// space before they reach the env (the sample stays unclipped elsewhere).
class ActorBatchPolicy final : public BatchPolicy {
 public:
  ActorBatchPolicy(PolicyActor& actor, const Space& action_space, bool deterministic);
  void act(std::span<const float> obs, std::span<int64_t> discrete, std::span<float> box) override;
  void episodes_started(std::span<const uint8_t> starts) override { actor_.episodes_started(starts); }
  void stepped(std::span<const float> rewards) override { actor_.stepped(rewards); }

 private:
  PolicyActor& actor_;
  Space action_space_;
  bool deterministic_;
  std::vector<float> log_probs_, values_;
};

// Clips each Box action row to the space's bounds, in place.
void clip_to_space(const Space& space, std::span<float> actions);

}  // namespace rl
