// The env registry: names to factories, filled by explicit calls.
//
// Built-in suites register with rl::envs::register_builtin_envs(registry);
// a user's program calls registry.add(...) for its own envs, or loads a
// plugin library (rl/env/plugin.h). Nothing registers itself during static
// initialization, so no linker can drop an env silently.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rl/env/env.h"
#include "rl/env/env_options.h"
#include "rl/env/env_spec.h"

namespace rl {

using EnvFactory = std::function<std::unique_ptr<Env>(const EnvOptions& options)>;

// Everything needed to build an env under one name. Named variants
// (LunarLanderContinuous-v3) are registrations of the same factory with
// other default options, not subclasses.
struct EnvRegistration {
  std::string id;                          // unique name, e.g. "CartPole-v1"
  EnvFactory factory;                      // builds one raw env (no time limit)
  EnvOptions default_options;              // every accepted option, with its default
  int max_episode_steps = 0;               // time limit applied by the framework (0: none)
  std::optional<double> reward_threshold;  // mean return counted as solved
  std::string description;                 // one line for --list-envs --verbose
};

class EnvRegistry {
 public:
  // Adds a registration. Throws std::invalid_argument for an empty or
  // duplicate id, a missing factory or a negative time limit.
  void add(EnvRegistration registration);

  bool contains(std::string_view id) const;
  // All ids, sorted.
  std::vector<std::string> ids() const;
  // Throws std::invalid_argument naming the id and listing the known ones.
  const EnvRegistration& find(std::string_view id) const;

  // Builds the env without wrappers (VectorEnv applies the time limit
  // itself). `overrides` may only name options the registration lists.
  std::unique_ptr<Env> make_raw(std::string_view id, const EnvOptions& overrides = {}) const;

  // The spec of an env built with these options; checks the env's spaces.
  EnvSpec spec(std::string_view id, const EnvOptions& overrides = {}) const;
  // The spec of an already built env (avoids building a second one).
  EnvSpec spec_of(std::string_view id, const EnvOptions& overrides, const Env& env) const;

 private:
  std::unordered_map<std::string, EnvRegistration> entries_;
};

// The process-wide registry used by the command-line programs. Empty until
// something registers into it.
EnvRegistry& default_registry();

// Gymnasium's make(): the env wrapped so that actions are checked, reset()
// must come first, and the registration's time limit truncates.
std::unique_ptr<Env> make_env(const EnvRegistry& registry, std::string_view id,
                              const EnvOptions& overrides = {});

}  // namespace rl
