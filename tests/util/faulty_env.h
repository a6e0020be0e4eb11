// An env that fails on purpose, for the fault-injection tests: it throws or
// returns NaN on chosen steps, can be made to fail on every step from some
// point on, or to take `step_sleep_ms` per step (a slow simulator).
// Otherwise a trivial task: obs = [steps / 50], reward 1, terminated after
// 50 steps.
#pragma once

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>

#include "rl/env/env.h"
#include "rl/env/env_options.h"

namespace rl::testing {

class FaultyEnv final : public Env {
 public:
  explicit FaultyEnv(const EnvOptions& options)
      : throw_every_(options.get_int("throw_every")),
        nan_every_(options.get_int("nan_every")),
        fail_from_(options.get_int("fail_from")),
        step_sleep_ms_(options.get_int("step_sleep_ms")) {}

  const Space& observation_space() const override { return obs_space_; }
  const Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override { return {}; }

  void reset(std::optional<uint64_t>, std::span<float> obs) override {
    steps_ = 0;
    obs[0] = 0.f;
  }

  StepResult step(const Action&, std::span<float> obs, std::span<float>) override {
    ++total_steps_;
    if (step_sleep_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(step_sleep_ms_));
    if (fail_from_ > 0 && total_steps_ >= fail_from_) {
      throw std::runtime_error("FaultyEnv: broken for good since step " + std::to_string(fail_from_));
    }
    if (throw_every_ > 0 && total_steps_ % throw_every_ == 0) {
      throw std::runtime_error("FaultyEnv: injected failure at step " + std::to_string(total_steps_));
    }
    ++steps_;
    obs[0] = static_cast<float>(steps_) / 50.f;
    if (nan_every_ > 0 && total_steps_ % nan_every_ == 0) obs[0] = std::numeric_limits<float>::quiet_NaN();
    return {1.0, steps_ >= 50, false};
  }

  static EnvOptions default_options() {
    return {{"throw_every", "0"}, {"nan_every", "0"}, {"fail_from", "0"}, {"step_sleep_ms", "0"}};
  }

 private:
  Space obs_space_ = Space::box({1}, -10.f, 10.f);
  Space action_space_ = Space::discrete(2);
  int64_t throw_every_, nan_every_, fail_from_, step_sleep_ms_;
  int64_t steps_ = 0, total_steps_ = 0;
};

}  // namespace rl::testing
