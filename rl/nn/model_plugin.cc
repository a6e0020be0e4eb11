#include "rl/nn/model_plugin.h"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>

namespace rl {

void ModelRegistry::add(const std::string& name, EncoderFactory factory) {
  if (name.empty() || !factory) throw std::invalid_argument("model plugin: an encoder needs a name and a factory");
  if (PolicyConfig::builtin_encoder(name)) {
    throw std::invalid_argument("model plugin: '" + name + "' is a built-in encoder's name");
  }
  if (!factories_.emplace(name, std::move(factory)).second) {
    throw std::invalid_argument("model plugin: encoder '" + name + "' is already registered");
  }
}

const EncoderFactory* ModelRegistry::find(const std::string& name) const {
  auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : &it->second;
}

std::vector<std::string> ModelRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, factory] : factories_) out.push_back(name);
  return out;
}

ModelRegistry& model_registry() {
  static ModelRegistry registry;
  return registry;
}

void load_model_plugin(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw std::runtime_error("model plugin '" + path + "': no such file");
  static std::mutex mutex;
  static std::set<std::string> loaded;
  const std::string canonical = fs::canonical(path).string();
  std::lock_guard lock(mutex);
  if (loaded.count(canonical)) return;
  dlerror();
  void* handle = dlopen(canonical.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    throw std::runtime_error("model plugin '" + path + "' cannot be loaded: " + (why ? why : "unknown dlopen error"));
  }
  using EntryPoint = void (*)(ModelRegistry&);
  auto entry = reinterpret_cast<EntryPoint>(dlsym(handle, kModelPluginEntryPoint));
  if (!entry) {
    dlclose(handle);
    throw std::runtime_error("model plugin '" + path + "' has no entry point '" + kModelPluginEntryPoint +
                             "' (define it with RL_MODEL_PLUGIN(registry) { ... }, see docs/custom-models.md)");
  }
  entry(model_registry());
  loaded.insert(canonical);
  // Kept open: the registered factories and the modules they build run its code.
}

}  // namespace rl
