#include "rl/env/wrappers.h"

#include <stdexcept>

#include "rl/env/checks.h"

namespace rl {

EnvWrapper::EnvWrapper(std::unique_ptr<Env> inner) : inner_(std::move(inner)) {
  if (!inner_) throw std::invalid_argument("env wrapper: the wrapped env is null");
}

void EnvWrapper::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  inner_->reset(seed, obs);
}

StepResult EnvWrapper::step(const Action& action, std::span<float> obs, std::span<float> info) {
  return inner_->step(action, obs, info);
}

CheckedEnv::CheckedEnv(std::unique_ptr<Env> inner, std::string name)
    : EnvWrapper(std::move(inner)), name_(std::move(name)) {}

void CheckedEnv::check_buffer(std::span<float> buffer, size_t expected, const char* what,
                              const char* call) const {
  if (buffer.size() != expected) {
    throw std::invalid_argument(name_ + "." + call + ": the " + what + " buffer has " +
                                std::to_string(buffer.size()) + " floats, expected " +
                                std::to_string(expected));
  }
}

void CheckedEnv::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  check_buffer(obs, observation_space().flat_size(), "observation", "reset");
  inner_->reset(seed, obs);
  needs_reset_ = false;
}

StepResult CheckedEnv::step(const Action& action, std::span<float> obs, std::span<float> info) {
  if (needs_reset_) {
    throw std::logic_error(name_ +
                           ".step: called before reset() or after the episode ended; call "
                           "reset() first");
  }
  check_buffer(obs, observation_space().flat_size(), "observation", "step");
  check_buffer(info, info_keys().size(), "info", "step");
  check_action(action_space(), action, name_ + ".step");
  const StepResult result = inner_->step(action, obs, info);
  if (result.terminated || result.truncated) needs_reset_ = true;
  return result;
}

MaskedObservation::MaskedObservation(std::unique_ptr<Env> inner, std::vector<int> masked)
    : EnvWrapper(std::move(inner)), masked_(std::move(masked)) {
  for (int i : masked_) {
    if (i < 0 || i >= inner_->observation_space().flat_size()) {
      throw std::invalid_argument("MaskedObservation: index " + std::to_string(i) + " is outside the observation's " +
                                  std::to_string(inner_->observation_space().flat_size()) + " entries");
    }
  }
}

void MaskedObservation::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  inner_->reset(seed, obs);
  mask(obs);
}

StepResult MaskedObservation::step(const Action& action, std::span<float> obs, std::span<float> info) {
  const StepResult result = inner_->step(action, obs, info);
  mask(obs);
  return result;
}

TimeLimit::TimeLimit(std::unique_ptr<Env> inner, int max_episode_steps)
    : EnvWrapper(std::move(inner)), max_episode_steps_(max_episode_steps) {
  if (max_episode_steps <= 0) {
    throw std::invalid_argument("TimeLimit: max_episode_steps must be positive, got " +
                                std::to_string(max_episode_steps));
  }
}

void TimeLimit::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  elapsed_steps_ = 0;
  inner_->reset(seed, obs);
}

StepResult TimeLimit::step(const Action& action, std::span<float> obs, std::span<float> info) {
  StepResult result = inner_->step(action, obs, info);
  if (++elapsed_steps_ >= max_episode_steps_) result.truncated = true;
  return result;
}

}  // namespace rl
