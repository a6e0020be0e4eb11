// The training loop on one machine: a rollout worker in the learner's own
// process feeding a learner, with the run directory around them (config,
// metrics.csv, atomic checkpoints, summary.json, final evaluation).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>

#include "actors/rollout_config.h"
#include "learners/learner.h"
#include "learners/train_config.h"
#include "rl/nn/policy_config.h"

namespace rl {

struct TrainingSetup {
  std::string algorithm;         // "ppo", "impala"
  RunConfig run;
  RolloutConfig rollout;
  PolicyConfig policy;
  NormalizeConfig normalize;
  std::string config_yaml;       // the resolved config, saved with the run and each checkpoint
  int unrolls_per_update = 1;    // unrolls gathered for one learner update
  bool resume = false;           // continue from run.run_dir's latest checkpoint
  std::function<std::unique_ptr<Learner>(const EnvSpec&, torch::Device)> make_learner;
};

struct TrainingSummary {
  std::string run_dir;
  int64_t total_env_steps = 0;
  double wall_seconds = 0;
  double env_steps_per_second = 0;
  double final_eval_mean_return = 0;
  double final_eval_std_return = 0;
};

// Runs (or resumes) a training run; throws std::runtime_error or
// std::invalid_argument with a clear message on bad input.
TrainingSummary train(const TrainingSetup& setup);

}  // namespace rl
