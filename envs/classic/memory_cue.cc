#include "envs/classic/memory_cue.h"

#include <algorithm>
#include <stdexcept>

namespace rl::envs {

MemoryCue::MemoryCue(const EnvOptions& options)
    : observation_space_(Space::box({3}, 0.f, 1.f)),
      action_space_(Space::discrete(2)),
      length_(static_cast<int>(options.get_int("length"))),
      min_length_(static_cast<int>(options.get_int("min_length"))) {
  if (length_ < 1) {
    throw std::invalid_argument("MemoryCue option length must be >= 1, got " + std::to_string(length_));
  }
  if (min_length_ == 0) min_length_ = length_;
  if (min_length_ < 1 || min_length_ > length_) {
    throw std::invalid_argument("MemoryCue option min_length must be in [1, length = " + std::to_string(length_) +
                                "] (or 0), got " + std::to_string(min_length_));
  }
}

void MemoryCue::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  if (seed) rng_.reseed(*seed);
  cue_ = static_cast<int>(rng_.integer(0, 2));
  episode_length_ = min_length_ == length_ ? length_ : static_cast<int>(rng_.integer(min_length_, length_ + 1));
  steps_ = 0;
  std::fill(obs.begin(), obs.end(), 0.f);
  obs[cue_] = 1.f;
  obs[2] = episode_length_ == 1 ? 1.f : 0.f;
}

StepResult MemoryCue::step(const Action& action, std::span<float> obs, std::span<float> info) {
  (void)info;
  ++steps_;
  std::fill(obs.begin(), obs.end(), 0.f);
  StepResult result;
  if (steps_ == episode_length_) {
    result.reward = action.index == cue_ ? 1.0 : 0.0;
    result.terminated = true;
  } else if (steps_ == episode_length_ - 1) {
    obs[2] = 1.f;  // the next action is the answer
  }
  return result;
}

}  // namespace rl::envs
