// Env plugins: shared libraries that register envs when loaded.
//
// A plugin defines one function with C linkage, the entry point:
//
//   extern "C" void rl_register_envs_v1(rl::EnvRegistry& registry) {
//     registry.add({.id = "MyEnv-v0", .factory = ..., .max_episode_steps = 200});
//   }
//
// (RL_ENV_PLUGIN below writes that line.) The "v1" is the plugin ABI: a
// library built against another ABI is refused with a clear error instead
// of crashing. Plugins link rl::env only; they need no libtorch.
#pragma once

#include <string>

#include "rl/env/registry.h"

namespace rl {

inline constexpr const char* kEnvPluginEntryPoint = "rl_register_envs_v1";

// Loads the shared library at `path` and calls its entry point with
// `registry`. Throws std::runtime_error naming the path when the file is
// missing, cannot be loaded, or lacks the entry point; errors thrown by the
// entry point propagate. Loading the same file twice is a no-op. The
// library stays loaded for the life of the process.
void load_env_plugin(const std::string& path, EnvRegistry& registry);

}  // namespace rl

#define RL_ENV_PLUGIN(registry_name)                                   \
  extern "C" __attribute__((visibility("default"))) void rl_register_envs_v1( \
      ::rl::EnvRegistry& registry_name)
