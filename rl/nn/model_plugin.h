// Model plugins: shared libraries that register encoders (torch::nn
// modules) under names that `policy.encoder` can then pick.
//
// A plugin defines one function with C linkage, written by
// RL_MODEL_PLUGIN below:
//
//   RL_MODEL_PLUGIN(registry) {
//     registry.add("my_encoder", [](const std::vector<int64_t>& obs_shape, const rl::PolicyConfig& config) {
//       return std::make_shared<MyEncoderImpl>(obs_shape, config);
//     });
//   }
//
// An encoder derives from rl::EncoderImpl: forward() takes the
// observations as [N, obs_shape...] floats (uint8 observations widened and
// multiplied by policy.obs_scale) and returns [N, out_size()] features,
// which the core (if any) and the policy and value heads take from there.
// Its registered modules' names become checkpoint keys under "encoder.".
// docs/custom-models.md has a complete example.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rl/nn/encoders.h"
#include "rl/nn/policy_config.h"

namespace rl {

using EncoderFactory =
    std::function<std::shared_ptr<EncoderImpl>(const std::vector<int64_t>& obs_shape, const PolicyConfig& config)>;

class ModelRegistry {
 public:
  // Throws std::invalid_argument for an empty or taken name, or a built-in one.
  void add(const std::string& name, EncoderFactory factory);
  const EncoderFactory* find(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, EncoderFactory> factories_;
};

// The process's registry of plugin encoders.
ModelRegistry& model_registry();

inline constexpr const char* kModelPluginEntryPoint = "rl_register_models_v1";

// Loads the shared library at `path` and calls its entry point with
// model_registry(). Throws std::runtime_error naming the path when the file
// is missing, cannot be loaded or lacks the entry point. Loading the same
// file twice is a no-op; the library stays loaded.
void load_model_plugin(const std::string& path);

}  // namespace rl

#define RL_MODEL_PLUGIN(registry_name)                                            \
  extern "C" __attribute__((visibility("default"))) void rl_register_models_v1( \
      ::rl::ModelRegistry& registry_name)
