#include "rl/runtime/presets.h"

#include <dlfcn.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>

namespace rl {
namespace fs = std::filesystem;

std::vector<fs::path> preset_dirs() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("RL_CONFIG_DIR")) dirs.emplace_back(env);
#ifdef RL_SOURCE_CONFIGS
  dirs.emplace_back(RL_SOURCE_CONFIGS);
#endif
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&preset_dirs), &info) != 0 && info.dli_fname) {
    dirs.push_back(fs::path(info.dli_fname).parent_path().parent_path() / "share" / "rl" / "configs");
  }
  return dirs;
}

std::optional<fs::path> find_preset(const std::string& algorithm, const std::string& env_id) {
  for (const fs::path& dir : preset_dirs()) {
    const fs::path folder = dir / algorithm;
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      if (entry.path().extension() == ".yaml") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());  // deterministic when two claim one env
    for (const fs::path& file : files) {
      try {
        const YAML::Node root = YAML::LoadFile(file.string());
        if (root["run"] && root["run"]["env"] && root["run"]["env"].as<std::string>() == env_id) return file;
      } catch (const YAML::Exception&) {
        // A broken preset is reported when it is applied, not while searching.
      }
    }
  }
  return std::nullopt;
}

}  // namespace rl
