// The configuration of a training run: plain structs, one section each,
// composed per algorithm. Every field is a YAML key and a --set path.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "actors/rollout_config.h"
#include "algorithms/impala_config.h"
#include "algorithms/ppo_config.h"
#include "rl/env/env_options.h"
#include "rl/nn/policy_config.h"
#include "rl/runtime/config.h"

namespace rl {

struct RunConfig {
  std::string env = "CartPole-v1";     // env id
  std::string env_options;             // env constructor options: "key=value,key=value"
  std::string env_plugin;              // env plugin libraries to load, comma-separated
  uint64_t seed = 1;                   // seeds envs, action sampling and minibatch shuffles
  int64_t total_steps = 500000;        // env steps to train for
  std::string run_dir;                 // output folder (default runs/<algo>-<env>-s<seed>-<time>)
  std::string device = "auto";         // learner device: auto | cpu | cuda | cuda:N
  int64_t checkpoint_every = 100000;   // env steps between checkpoints (one is always written last)
  int keep_checkpoints = 3;            // newest checkpoints kept on disk
  int eval_episodes = 20;              // deterministic evaluation episodes at the end
  double log_every_seconds = 5.0;      // seconds between progress lines
  int torch_threads = 1;               // intra-op threads of libtorch on the CPU

  void visit(ConfigFields& f) {
    f("env", env);
    f("env_options", env_options);
    f("env_plugin", env_plugin);
    f("seed", seed);
    f("total_steps", total_steps);
    f("run_dir", run_dir);
    f("device", device);
    f("checkpoint_every", checkpoint_every);
    f("keep_checkpoints", keep_checkpoints);
    f("eval_episodes", eval_episodes);
    f("log_every_seconds", log_every_seconds);
    f("torch_threads", torch_threads);
  }
  void validate() const {
    if (env.empty()) throw std::invalid_argument("run.env must name an env");
    if (total_steps <= 0) throw std::invalid_argument("run.total_steps must be positive, got " + std::to_string(total_steps));
    if (checkpoint_every < 0) throw std::invalid_argument("run.checkpoint_every must be >= 0");
    if (keep_checkpoints < 0) throw std::invalid_argument("run.keep_checkpoints must be >= 0");
    if (eval_episodes < 0) throw std::invalid_argument("run.eval_episodes must be >= 0");
    if (torch_threads <= 0) throw std::invalid_argument("run.torch_threads must be positive");
    parsed_env_options();
  }
  // env_options as EnvOptions; throws naming the bad item.
  EnvOptions parsed_env_options() const;
  std::vector<std::string> plugin_paths() const;
};

struct PpoTrainConfig {
  static constexpr const char* kAlgorithm = "ppo";
  RunConfig run;
  RolloutConfig rollout;
  PolicyConfig policy;
  NormalizeConfig normalize;
  PpoConfig ppo;

  void visit(ConfigFields& f) {
    f("run", run);
    f("rollout", rollout);
    f("policy", policy);
    f("normalize", normalize);
    f("ppo", ppo);
  }
  void validate() const {
    run.validate();
    rollout.validate();
    policy.validate();
    normalize.validate();
    ppo.validate();
    const int64_t batch = static_cast<int64_t>(rollout.num_envs) * rollout.num_steps;
    if (batch < ppo.num_minibatches) {
      throw std::invalid_argument("ppo.num_minibatches (" + std::to_string(ppo.num_minibatches) +
                                  ") exceeds the batch of rollout.num_envs x rollout.num_steps = " +
                                  std::to_string(batch));
    }
  }
  double gamma() const { return ppo.gamma; }
};

struct ImpalaTrainConfig {
  static constexpr const char* kAlgorithm = "impala";
  RunConfig run;
  RolloutConfig rollout{.num_envs = 16, .num_steps = 20};
  PolicyConfig policy;
  NormalizeConfig normalize;
  ImpalaConfig impala;

  void visit(ConfigFields& f) {
    f("run", run);
    f("rollout", rollout);
    f("policy", policy);
    f("normalize", normalize);
    f("impala", impala);
  }
  void validate() const {
    run.validate();
    rollout.validate();
    policy.validate();
    normalize.validate();
    impala.validate();
  }
  double gamma() const { return impala.gamma; }
};

}  // namespace rl
