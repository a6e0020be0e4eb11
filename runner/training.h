// The runner of a training run: builds the learner and the stages around it
// (docs/architecture.md), starts them, waits while the updater trains and
// the supervisor keeps the local actors alive, stops them, evaluates and
// writes the summary. Inside one run directory: config, metrics.csv,
// TensorBoard files, atomic checkpoints, summary.json. SIGINT and SIGTERM
// end the run cleanly: a last checkpoint, then every actor stopped and reaped.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rl/data/rollout_config.h"
#include "learners/learner.h"
#include "learners/train_config.h"
#include "rl/nn/policy_config.h"

namespace rl {

struct TrainingSetup {
  std::string algorithm;         // "ppo", "impala", "appo"
  RunConfig run;
  RuntimeConfig runtime;
  RolloutConfig rollout;
  PolicyConfig policy;
  NormalizeConfig normalize;
  std::string config_yaml;       // the resolved config, saved with the run and each checkpoint
  int unrolls_per_update = 1;    // asynchronous: unrolls in one learner update
  bool sync = false;             // PPO: an update takes one unroll of the current version per actor
  bool resume = false;           // continue from run.run_dir's latest checkpoint
  // --resume-if-any without a checkpoint: replace what an earlier attempt
  // left before its first checkpoint (and nothing else) and start.
  bool start_over_unfinished = false;
  bool serve_remote = false;     // --role learner: serve remote actors even with no local ones
  int learners = 1;              // --learners N: a group of N learner processes on this host
  std::vector<std::string> program_args;  // this program's arguments (to start the group's other learners)
  std::function<std::unique_ptr<Learner>(const EnvSpec&, torch::Device)> make_learner;
};

struct TrainingSummary {
  std::string run_dir;
  int64_t total_env_steps = 0;
  double wall_seconds = 0;
  double env_steps_per_second = 0;
  bool evaluated = false;  // the final evaluation ran (not after an interruption)
  double final_eval_mean_return = 0;
  double final_eval_std_return = 0;
};

// Runs (or resumes) a training run; throws std::runtime_error or
// std::invalid_argument with a clear message on bad input.
TrainingSummary train(const TrainingSetup& setup);

}  // namespace rl
