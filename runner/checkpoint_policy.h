// Reading a trained policy back from a checkpoint (rl_eval, and any
// program that wants to act with one). Torch-free header.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "actors/policy_actor.h"
#include "learners/train_config.h"
#include "rl/env/env_spec.h"
#include "rl/nn/policy_config.h"

namespace rl {

struct CheckpointInfo {
  std::filesystem::path dir;   // the verified checkpoint directory
  std::string algorithm;       // "ppo", "impala", "appo"
  RunConfig run;               // env, env_options, env_plugin, seed of the run
  PolicyConfig policy;         // the network to rebuild
  NormalizeConfig normalize;   // whether observations were normalized
  int64_t env_steps = 0;       // env steps trained when it was written
};

// Verifies the checkpoint at `path` (a checkpoint, `latest`, or a run
// directory) and reads its config and state. Throws std::runtime_error
// naming what is missing or corrupt.
CheckpointInfo read_checkpoint(const std::filesystem::path& path);

// A PolicyActor with the checkpoint's weights and observation statistics,
// for an env of `spec`. Throws std::runtime_error when the env's spaces
// differ from the checkpoint's.
std::unique_ptr<PolicyActor> load_policy(const CheckpointInfo& info, const EnvSpec& spec, uint64_t seed);

}  // namespace rl
