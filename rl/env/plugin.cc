#include "rl/env/plugin.h"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>

namespace rl {

void load_env_plugin(const std::string& path, EnvRegistry& registry) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw std::runtime_error("env plugin '" + path + "': no such file");
  }
  // One registration per (library, registry): a second --env-plugin with the
  // same file must not fail on duplicate ids.
  static std::mutex mutex;
  static std::set<std::pair<std::string, const EnvRegistry*>> loaded;
  const std::string canonical = fs::canonical(path).string();
  std::lock_guard lock(mutex);
  if (loaded.count({canonical, &registry})) return;

  dlerror();
  void* handle = dlopen(canonical.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    throw std::runtime_error("env plugin '" + path + "' cannot be loaded: " +
                             (why ? why : "unknown dlopen error"));
  }
  using EntryPoint = void (*)(EnvRegistry&);
  auto entry = reinterpret_cast<EntryPoint>(dlsym(handle, kEnvPluginEntryPoint));
  if (!entry) {
    dlclose(handle);
    throw std::runtime_error("env plugin '" + path + "' has no entry point '" +
                             kEnvPluginEntryPoint +
                             "' (define it with RL_ENV_PLUGIN(registry) { ... }, see "
                             "docs/custom-envs.md)");
  }
  entry(registry);
  loaded.insert({canonical, &registry});
  // The handle is kept open on purpose: the registered factories and the
  // envs they build run code from the library.
}

}  // namespace rl
