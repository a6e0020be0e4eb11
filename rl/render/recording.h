// Episodes as videos: `rl_eval --record DIR`. One env (make_env: checked,
// time-limited) is stepped with the policy and rendered after the reset and
// after every step, terminal state included; each episode becomes
// DIR/<env>-episode-<n>.gif.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "rl/env/env_options.h"
#include "rl/env/evaluation.h"
#include "rl/env/registry.h"

namespace rl {

struct RecordOptions {
  std::filesystem::path dir;
  int width = 600;
  int height = 400;
};

struct RecordedEpisodes {
  EpisodeStatistics stats;
  std::vector<std::filesystem::path> files;  // one GIF per episode
  std::vector<int> frames;                   // frames of each file (= length + 1)
};

// Throws std::runtime_error when the env cannot render (naming it) or a
// file cannot be written; files of finished episodes stay.
RecordedEpisodes record_episodes(const EnvRegistry& registry, const std::string& env_id,
                                 const EnvOptions& options, BatchPolicy& policy, int episodes,
                                 uint64_t seed, const RecordOptions& record);

// "600x400" -> {600, 400}; std::invalid_argument naming the text otherwise.
std::pair<int, int> parse_frame_size(const std::string& text);

}  // namespace rl
