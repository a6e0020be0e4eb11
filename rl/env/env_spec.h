// The immutable description of a registered env: what a learner, an actor
// and rl_eval need to know about it without stepping it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rl/env/env_options.h"
#include "rl/env/space.h"

namespace rl {

struct EnvSpec {
  std::string id;                         // registered name, e.g. "CartPole-v1"
  Space observation_space = Space::box({1}, 0.f, 0.f);  // always a Box
  Space action_space = Space::discrete(1);
  std::vector<std::string> info_keys;     // per-step scalar terms, in order
  int max_episode_steps = 0;              // time limit (0: none); truncates
  std::optional<double> reward_threshold; // mean return counted as solved
  EnvOptions options;                     // resolved constructor options

  int64_t obs_size() const { return observation_space.flat_size(); }
  // Floats per action in a batch row: 1 for Discrete, flat_size() for Box.
  int64_t action_size() const { return action_space.flat_size(); }

  // One paragraph for logs and `rl_eval --describe`.
  std::string to_string() const;
};

}  // namespace rl
