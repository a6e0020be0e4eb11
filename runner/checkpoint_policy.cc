#include "runner/checkpoint_policy.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>

#include "learners/json_files.h"
#include "rl/nn/actor_critic.h"
#include "rl/runtime/checkpoint.h"

namespace rl {
namespace fs = std::filesystem;
namespace {

// The parts of a saved training config that evaluation needs.
struct SavedConfig {
  RunConfig run;
  PolicyConfig policy;
  NormalizeConfig normalize;
  void visit(ConfigFields& f) {
    f("run", run);
    f("policy", policy);
    f("normalize", normalize);
  }
};

}  // namespace

CheckpointInfo read_checkpoint(const fs::path& path) {
  CheckpointInfo info;
  info.dir = verify_checkpoint(path);
  SavedConfig saved;
  try {
    apply_yaml_file(fields_of(saved), (info.dir / "config.yaml").string(), /*ignore_unknown=*/true);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("checkpoint " + info.dir.string() + ": config.yaml: " + e.what());
  }
  info.run = saved.run;
  info.policy = saved.policy;
  info.normalize = saved.normalize;
  const nlohmann::json state = read_json(info.dir / "state.json");
  info.algorithm = state.at("algorithm").get<std::string>();
  info.env_steps = state.at("env_steps").get<int64_t>();
  return info;
}

std::unique_ptr<PolicyActor> load_policy(const CheckpointInfo& info, const EnvSpec& spec, uint64_t seed) {
  const nlohmann::json learner = read_json(info.dir / "learner.json");
  const int64_t obs_size = learner.at("obs_size").get<int64_t>();
  const std::string action_space = learner.at("action_space").get<std::string>();
  if (obs_size != spec.obs_size() || action_space != spec.action_space.to_string()) {
    throw std::runtime_error("checkpoint " + info.dir.string() + " was trained on observations of " +
                             std::to_string(obs_size) + " elements and actions " + action_space +
                             "; env " + spec.id + " has " + std::to_string(spec.obs_size()) +
                             " elements and " + spec.action_space.to_string());
  }
  auto model = std::make_shared<ActorCriticImpl>(spec.observation_space, spec.action_space, info.policy);
  try {
    torch::load(model, (info.dir / "model.pt").string(), torch::Device(torch::kCPU));  // a GPU's checkpoint too
  } catch (const c10::Error& e) {
    throw std::runtime_error("checkpoint " + info.dir.string() +
                             ": model.pt does not match the saved network config or is corrupt: " +
                             e.what_without_backtrace());
  }
  RunningMeanStd stats(spec.obs_size());
  const auto& o = learner.at("obs_stats");
  stats.set(o.at("mean"), o.at("var"), o.at("count"));
  auto actor = std::make_unique<PolicyActor>(spec, info.policy, info.normalize, seed);
  actor->load(*model, stats, learner.at("version").get<int64_t>());
  return actor;
}

}  // namespace rl
