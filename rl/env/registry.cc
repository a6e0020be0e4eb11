#include "rl/env/registry.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include "rl/env/wrappers.h"

namespace rl {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "none" : out;
}

}  // namespace

std::string EnvSpec::to_string() const {
  std::ostringstream out;
  out << id << ": observation " << observation_space.to_string() << ", action "
      << action_space.to_string() << ", max_episode_steps "
      << (max_episode_steps > 0 ? std::to_string(max_episode_steps) : "none")
      << ", reward_threshold "
      << (reward_threshold ? std::to_string(*reward_threshold) : std::string("none"))
      << ", info " << join(info_keys) << ", options " << options.to_string();
  return out.str();
}

void EnvRegistry::add(EnvRegistration registration) {
  if (registration.id.empty()) throw std::invalid_argument("env registration: the id is empty");
  if (!registration.factory) {
    throw std::invalid_argument("env registration '" + registration.id + "': no factory");
  }
  if (registration.max_episode_steps < 0) {
    throw std::invalid_argument("env registration '" + registration.id +
                                "': max_episode_steps must be >= 0, got " +
                                std::to_string(registration.max_episode_steps));
  }
  if (entries_.count(registration.id)) {
    throw std::invalid_argument("env registration: '" + registration.id +
                                "' is already registered");
  }
  std::string id = registration.id;
  entries_.emplace(std::move(id), std::move(registration));
}

bool EnvRegistry::contains(std::string_view id) const {
  return entries_.count(std::string(id)) != 0;
}

std::vector<std::string> EnvRegistry::ids() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

const EnvRegistration& EnvRegistry::find(std::string_view id) const {
  auto it = entries_.find(std::string(id));
  if (it == entries_.end()) {
    throw std::invalid_argument("unknown env '" + std::string(id) + "'; known envs: " +
                                join(ids()));
  }
  return it->second;
}

std::unique_ptr<Env> EnvRegistry::make_raw(std::string_view id, const EnvOptions& overrides) const {
  const EnvRegistration& entry = find(id);
  for (const auto& [key, value] : overrides.values()) {
    if (!entry.default_options.contains(key)) {
      throw std::invalid_argument("env '" + entry.id + "' has no option '" + key +
                                  "'; its options are: " + join(entry.default_options.keys()));
    }
  }
  std::unique_ptr<Env> env = entry.factory(entry.default_options.merged(overrides));
  if (!env) throw std::runtime_error("env '" + entry.id + "': the factory returned null");
  return env;
}

EnvSpec EnvRegistry::spec(std::string_view id, const EnvOptions& overrides) const {
  const std::unique_ptr<Env> env = make_raw(id, overrides);
  return spec_of(id, overrides, *env);
}

EnvSpec EnvRegistry::spec_of(std::string_view id, const EnvOptions& overrides,
                             const Env& env) const {
  const EnvRegistration& entry = find(id);
  EnvSpec spec;
  spec.id = entry.id;
  spec.observation_space = env.observation_space();
  spec.action_space = env.action_space();
  const auto keys = env.info_keys();
  spec.info_keys.assign(keys.begin(), keys.end());
  spec.max_episode_steps = entry.max_episode_steps;
  spec.reward_threshold = entry.reward_threshold;
  spec.options = entry.default_options.merged(overrides);

  if (!spec.observation_space.is_box()) {
    throw std::invalid_argument("env '" + spec.id + "': the observation space must be a Box, got " +
                                spec.observation_space.to_string());
  }
  if (spec.observation_space.is_uint8() && dynamic_cast<const ByteEnv*>(&env) == nullptr) {
    throw std::invalid_argument("env '" + spec.id + "': a uint8 observation space needs an env derived "
                                "from rl::ByteEnv (it writes bytes), got a float env");
  }
  if (spec.action_space.is_uint8()) {
    throw std::invalid_argument("env '" + spec.id + "': the action space must be float32 or Discrete, got " +
                                spec.action_space.to_string());
  }
  std::unordered_set<std::string> seen;
  for (const auto& key : spec.info_keys) {
    if (!seen.insert(key).second) {
      throw std::invalid_argument("env '" + spec.id + "': info key '" + key + "' appears twice");
    }
  }
  return spec;
}

EnvRegistry& default_registry() {
  static EnvRegistry registry;
  return registry;
}

std::unique_ptr<Env> make_env(const EnvRegistry& registry, std::string_view id,
                              const EnvOptions& overrides) {
  const EnvRegistration& entry = registry.find(id);
  std::unique_ptr<Env> env = registry.make_raw(id, overrides);
  if (entry.max_episode_steps > 0) {
    env = std::make_unique<TimeLimit>(std::move(env), entry.max_episode_steps);
  }
  // Outermost, so that it also sees the truncation of the time limit.
  return std::make_unique<CheckedEnv>(std::move(env), entry.id);
}

}  // namespace rl
