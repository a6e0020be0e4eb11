// Tuned presets (configs/<algorithm>/*.yaml): found by env id, so that
// `train_ppo --env X` starts from X's tuned settings when there are some.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rl {

// Where presets are looked up, in order: $RL_CONFIG_DIR, the source tree's
// configs/ (builds), <prefix>/share/rl/configs (installs).
std::vector<std::filesystem::path> preset_dirs();

// The preset of `algorithm` ("ppo", "impala") whose run.env is `env_id`,
// from the first directory that has one; nullopt if none does.
std::optional<std::filesystem::path> find_preset(const std::string& algorithm, const std::string& env_id);

}  // namespace rl
