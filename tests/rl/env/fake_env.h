// A scripted env for unit tests of the framework (behind the Env interface).
//
// Observation: [steps taken in this episode, episodes started, last action].
// Reward: 1 per step. Terminates when the step count reaches
// `terminate_after` (0: never). Info terms: "one" (always 1) and "action".
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "rl/env/env.h"

namespace rl::testing {

class FakeEnv : public Env {
 public:
  explicit FakeEnv(int terminate_after = 0, int throw_at_step = -1)
      : terminate_after_(terminate_after), throw_at_step_(throw_at_step) {}

  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override { return info_keys_; }

  void reset(std::optional<uint64_t> seed, std::span<float> obs) override {
    if (seed) last_seed = *seed;
    steps_ = 0;
    ++episodes_;
    write(obs, -1);
  }

  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override {
    ++steps_;
    if (steps_ == throw_at_step_) throw std::runtime_error("fake env failure");
    write(obs, static_cast<float>(action.index));
    info[0] = 1.f;
    info[1] = static_cast<float>(action.index);
    return {1.0, terminate_after_ > 0 && steps_ >= terminate_after_, false};
  }

  uint64_t last_seed = 0;

 private:
  void write(std::span<float> obs, float action) const {
    obs[0] = static_cast<float>(steps_);
    obs[1] = static_cast<float>(episodes_);
    obs[2] = action;
  }

  Space observation_space_ = Space::box({3}, -1e9f, 1e9f);
  Space action_space_ = Space::discrete(4);
  std::vector<std::string> info_keys_{"one", "action"};
  int terminate_after_;
  int throw_at_step_;
  int steps_ = 0;
  int episodes_ = 0;
};

}  // namespace rl::testing
