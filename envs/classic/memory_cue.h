// MemoryCue-v0: a test of memory. The first observation shows a cue (one of
// two); the observations after it are blank, until the last one raises a
// query flag; the action taken on it earns 1 if it names the cue, else 0,
// and the episode ends. `length` (option) actions make an episode, so the
// cue is seen `length` - 1 steps before the answer: with length 61 and
// 20-step unrolls it lies three unrolls back, and only a core state that
// crosses unroll boundaries can carry it. A memoryless policy earns 0.5.
//
// Training cannot send gradients across unroll boundaries (the replay is
// truncated at the unroll), so a core learns to hold the cue from episodes
// short enough to fit in one: with `min_length` below `length` each episode
// draws its length uniformly from [min_length, length], and the query flag
// says when to answer.
#pragma once

#include "rl/env/env.h"
#include "rl/env/env_options.h"
#include "rl/env/rng.h"

namespace rl::envs {

class MemoryCue final : public Env {
 public:
  // Observation: [cue is 0, cue is 1, query], each 0 or 1. Options: length
  // (>= 1), min_length (1..length; 0: the same as length).
  explicit MemoryCue(const EnvOptions& options);

  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override { return {}; }
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;

  int cue() const { return cue_; }

 private:
  Space observation_space_;
  Space action_space_;
  int length_;
  int min_length_;
  int episode_length_ = 1;
  int steps_ = 0;
  int cue_ = 0;
  Rng rng_;
};

}  // namespace rl::envs
