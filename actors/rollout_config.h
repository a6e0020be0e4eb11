// How a rollout worker collects experience.
#pragma once

#include <stdexcept>
#include <string>

#include "rl/runtime/config.h"

namespace rl {

struct RolloutConfig {
  int num_envs = 8;      // envs per actor (k), stepped together by one VectorEnv
  int num_steps = 128;   // steps per env per unroll (T)
  int env_threads = 1;   // VectorEnv worker threads (1: the actor's own thread)
  // An env that throws or returns NaN/Inf is reset and counted; one that
  // fails this many times in a row stops the actor with a clear error.
  int env_error_limit = 3;

  void visit(ConfigFields& f) {
    f("num_envs", num_envs);
    f("num_steps", num_steps);
    f("env_threads", env_threads);
    f("env_error_limit", env_error_limit);
  }
  void validate() const {
    if (num_envs <= 0) throw std::invalid_argument("rollout.num_envs must be positive, got " + std::to_string(num_envs));
    if (num_steps <= 0) throw std::invalid_argument("rollout.num_steps must be positive, got " + std::to_string(num_steps));
    if (env_error_limit <= 0) throw std::invalid_argument("rollout.env_error_limit must be positive, got " + std::to_string(env_error_limit));
    if (env_threads <= 0) throw std::invalid_argument("rollout.env_threads must be positive, got " + std::to_string(env_threads));
  }
};

}  // namespace rl
