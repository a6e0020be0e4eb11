// How a rollout worker collects experience.
#pragma once

#include <cstdint>
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
    if (num_envs <= 0 || num_envs > 16384) {
      throw std::invalid_argument("rollout.num_envs (--envs-per-actor) must be from 1 to 16384 (what a learner accepts "
                                  "in one unroll), got " + std::to_string(num_envs));
    }
    if (num_steps <= 0 || num_steps > 65536) {
      throw std::invalid_argument("rollout.num_steps (--unroll-length) must be from 1 to 65536 (what a learner "
                                  "accepts in one unroll), got " + std::to_string(num_steps));
    }
    if (static_cast<int64_t>(num_envs) * num_steps > (int64_t{1} << 24)) {
      throw std::invalid_argument("rollout.num_envs x rollout.num_steps = " +
                                  std::to_string(static_cast<int64_t>(num_envs) * num_steps) +
                                  " steps in one unroll is more than 16,777,216");
    }
    if (env_error_limit <= 0) throw std::invalid_argument("rollout.env_error_limit must be positive, got " + std::to_string(env_error_limit));
    if (env_threads <= 0 || env_threads > num_envs) {
      throw std::invalid_argument("rollout.env_threads must be from 1 to rollout.num_envs (" + std::to_string(num_envs) +
                                  "), got " + std::to_string(env_threads));
    }
  }
};

}  // namespace rl
