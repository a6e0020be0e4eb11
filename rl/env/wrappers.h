// Wrappers for using one env on its own (make_env returns both). A
// VectorEnv does not use them: it checks actions for the whole batch and
// counts episode steps itself, without a second virtual call per step.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rl/env/env.h"

namespace rl {

// Base for wrappers: forwards everything to the wrapped env.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(std::unique_ptr<Env> inner);
  const Space& observation_space() const override { return inner_->observation_space(); }
  const Space& action_space() const override { return inner_->action_space(); }
  std::span<const std::string> info_keys() const override { return inner_->info_keys(); }
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;
  bool render(Frame& frame) override { return inner_->render(frame); }

  Env& inner() { return *inner_; }

 protected:
  std::unique_ptr<Env> inner_;
};

// Checks what the caller passes (Gymnasium's OrderEnforcing and env
// checker): reset() before the first step, no step() after the episode
// ended, valid actions, buffers of the right sizes. Throws
// std::invalid_argument or std::logic_error with a message naming `name`.
class CheckedEnv : public EnvWrapper {
 public:
  CheckedEnv(std::unique_ptr<Env> inner, std::string name);
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;

 private:
  void check_buffer(std::span<float> buffer, size_t expected, const char* what,
                    const char* call) const;

  std::string name_;
  bool needs_reset_ = true;
};

// Truncates the episode after `max_episode_steps` steps (Gymnasium's
// TimeLimit): truncated is set on the step where the count reaches the
// limit, whether or not the env also terminated.
class TimeLimit : public EnvWrapper {
 public:
  TimeLimit(std::unique_ptr<Env> inner, int max_episode_steps);
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;

  int elapsed_steps() const { return elapsed_steps_; }

 private:
  int max_episode_steps_;
  int elapsed_steps_ = 0;
};

// Zeroes some observation entries and keeps the observation's size
// (rl-baselines3-zoo's velocity masking for recurrent-policy benchmarks:
// CartPoleNoVel-v1 and the like). Built into registrations, so a VectorEnv
// steps it like any env.
class MaskedObservation : public EnvWrapper {
 public:
  // `masked`: indices into the observation, each < its flat size.
  MaskedObservation(std::unique_ptr<Env> inner, std::vector<int> masked);
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;

 private:
  void mask(std::span<float> obs) const {
    for (int i : masked_) obs[i] = 0.f;
  }
  std::vector<int> masked_;
};

}  // namespace rl
