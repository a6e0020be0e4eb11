// rl_eval: lists envs and evaluates policies on them.
//
//   rl_eval --list-envs
//   rl_eval --env CartPole-v1 --policy random --episodes 100 --seed 1 [--json]
//   rl_eval --checkpoint runs/x/checkpoints/latest --episodes 100 [--deterministic] [--json]
//   rl_eval --checkpoint runs/x --episodes 3 --record videos/ [--record-size 600x400]
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include "actors/policy_actor.h"
#include "envs/builtin.h"
#include "runner/checkpoint_policy.h"
#include "rl/env/evaluation.h"
#include "rl/env/plugin.h"
#include "rl/env/registry.h"
#include "rl/env/vector_env.h"
#include "rl/nn/gemm/gemm.h"
#include "rl/nn/threads.h"
#include "rl/render/recording.h"
#include "rl/runtime/cli.h"
#include "rl/runtime/logging.h"

namespace {

struct EvalArgs {
  bool list_envs = false;
  bool verbose = false;
  std::string env_id;
  std::string policy = "random";
  std::string checkpoint;
  bool deterministic = false;
  int episodes = 10;
  uint64_t seed = 0;
  int num_envs = 1;
  bool json = false;
  std::vector<std::string> plugins;
  std::vector<std::string> env_options;
  std::string fast_path;  // overrides the checkpoint's policy.fast_path
  std::string record_dir;  // non-empty: write each episode as a GIF there
  std::string record_size = "600x400";
};

void print_env_list(const rl::EnvRegistry& registry, bool verbose) {
  for (const auto& id : registry.ids()) {
    if (!verbose) {
      std::cout << id << '\n';
      continue;
    }
    std::cout << registry.spec(id).to_string() << '\n';
  }
}

int evaluate(rl::EnvRegistry& registry, EvalArgs args) {
  rl::VectorEnvConfig config;
  config.num_envs = args.num_envs;
  config.seed = args.seed;
  std::optional<rl::CheckpointInfo> checkpoint;
  if (!args.checkpoint.empty()) {
    // The env, its options and plugins come from the checkpoint's run unless
    // given here.
    checkpoint = rl::read_checkpoint(args.checkpoint);
    for (const auto& plugin : checkpoint->run.plugin_paths()) rl::load_env_plugin(plugin, registry);
    if (args.env_id.empty()) {
      args.env_id = checkpoint->run.env;
      config.env_options = checkpoint->run.parsed_env_options();
    }
    args.policy = "checkpoint";
  }
  if (args.env_id.empty()) throw std::invalid_argument("--env is required (or --checkpoint, --list-envs)");
  for (const auto& assignment : args.env_options) {
    auto [key, value] = rl::EnvOptions::parse_assignment(assignment);
    config.env_options.set(key, value);
  }
  rl::VectorEnv env(registry, args.env_id, config);
  // The policy's stream is independent of every env's stream.
  const uint64_t policy_seed = rl::derive_seed(args.seed, 0x9011C7);
  std::unique_ptr<rl::BatchPolicy> policy;
  std::unique_ptr<rl::PolicyActor> actor;
  if (checkpoint) {
    if (!args.fast_path.empty()) {
      checkpoint->policy.fast_path = args.fast_path;
      checkpoint->policy.validate();
    }
    actor = rl::load_policy(*checkpoint, env.spec(), policy_seed);
    policy = std::make_unique<rl::ActorBatchPolicy>(*actor, env.spec().action_space, args.deterministic);
  } else {
    policy = std::make_unique<rl::RandomPolicy>(env.spec().action_space, policy_seed);
  }
  rl::EpisodeStatistics stats;
  if (args.record_dir.empty()) {
    stats = rl::run_episodes(env, *policy, args.episodes, args.seed);
  } else {
    // One env, rendered after every step (the VectorEnv's auto-reset would
    // hide the terminal frame).
    rl::RecordOptions record;
    record.dir = args.record_dir;
    std::tie(record.width, record.height) = rl::parse_frame_size(args.record_size);
    rl::RecordedEpisodes recorded = rl::record_episodes(registry, args.env_id, config.env_options,
                                                        *policy, args.episodes, args.seed, record);
    for (size_t i = 0; i < recorded.files.size(); ++i) {
      rl::logf(rl::LogLevel::kInfo, "rl_eval: wrote %s (%d frames, return %.2f)", recorded.files[i].c_str(),
               recorded.frames[i], recorded.stats.returns[i]);
    }
    stats = std::move(recorded.stats);
  }
  const rl::Summary ret = stats.return_summary();
  const rl::Summary len = stats.length_summary();

  if (args.json) {
    nlohmann::ordered_json out = {{"env", env.spec().id},
                          {"policy", args.policy},
                          {"deterministic", args.deterministic},
                          {"episodes", stats.returns.size()},
                          {"seed", args.seed},
                          {"mean_return", ret.mean},
                          {"std_return", ret.std},
                          {"min_return", ret.min},
                          {"max_return", ret.max},
                          {"mean_length", len.mean},
                          {"std_length", len.std},
                          {"min_length", len.min},
                          {"max_length", len.max}};
    if (checkpoint) {
      out["checkpoint"] = checkpoint->dir.string();
      out["checkpoint_env_steps"] = checkpoint->env_steps;
    }
    std::cout << out.dump() << '\n';
  } else {
    std::printf("env %s, policy %s%s, %zu episodes, seed %llu\n", env.spec().id.c_str(),
                checkpoint ? checkpoint->dir.c_str() : args.policy.c_str(),
                args.deterministic ? " (deterministic)" : "", stats.returns.size(),
                static_cast<unsigned long long>(args.seed));
    std::printf("return: mean %.3f  std %.3f  min %.3f  max %.3f\n", ret.mean, ret.std, ret.min,
                ret.max);
    std::printf("length: mean %.1f  std %.1f  min %.0f  max %.0f\n", len.mean, len.std, len.min,
                len.max);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rl_eval: evaluate a policy on an env and print return and length statistics"};
  rl::cli::add_version(app, "rl_eval", [] {
    return std::string("fast path ") + rl::gemm_kernels().name + ", " + rl::blas_description();
  });
  EvalArgs args;
  std::string log_level = "info";
  app.add_flag("--list-envs", args.list_envs, "Print every registered env id, one a line");
  app.add_flag("--verbose", args.verbose, "With --list-envs: print each env's spaces and limits");
  app.add_option("--env", args.env_id, "Env id, e.g. CartPole-v1");
  app.add_option("--policy", args.policy, "Policy to evaluate without --checkpoint: random")
      ->check(CLI::IsMember({"random"}));
  app.add_option("--checkpoint", args.checkpoint,
                 "Checkpoint to evaluate: a checkpoint directory, RUN_DIR/checkpoints/latest, or RUN_DIR");
  app.add_flag("--deterministic", args.deterministic,
               "With --checkpoint: act with the distribution's mode instead of sampling");
  app.add_option("--episodes", args.episodes, "Episodes to run")->check(rl::cli::in_range(1, 1e9));
  app.add_option("--seed", args.seed, "Seed of the envs and the policy (0 to 2^64-1)")
      ->check(rl::cli::unsigned_integer());
  app.add_option("--num-envs", args.num_envs, "Envs stepped together")->check(rl::cli::in_range(1, 16384));
  app.add_flag("--json", args.json, "Print one JSON object instead of text");
  app.add_option("--fast-path", args.fast_path,
                 "With --checkpoint: auto | on | off, the MLP fast path for inference")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app.add_option("--env-plugin", args.plugins, "Shared library that registers more envs")
      ->check(CLI::ExistingFile);
  app.add_option("--env-option", args.env_options, "Env constructor option key=value");
  app.add_option("--record", args.record_dir,
                 "Write each episode as an animated GIF into this directory (one env, rendered every step)");
  app.add_option("--record-size", args.record_size, "Frame size of --record, WIDTHxHEIGHT");
  app.add_option("--log-level", log_level, "trace | debug | info | warn | error | off");
  if (auto code = rl::cli::parse(app, argc, argv, "rl_eval")) return *code;

  try {
    rl::set_log_level(log_level);
    rl::EnvRegistry& registry = rl::default_registry();
    rl::envs::register_builtin_envs(registry);
    for (const auto& plugin : args.plugins) rl::load_env_plugin(plugin, registry);

    if (args.list_envs) {
      print_env_list(registry, args.verbose);
      return 0;
    }
    if (args.env_id.empty() && args.checkpoint.empty()) {
      rl::cli::report_error("rl_eval", "--env or --checkpoint is required (or --list-envs; see --help)");
      return rl::cli::kUsage;
    }
    return evaluate(registry, args);
  } catch (const std::exception& e) {
    // Every error here comes from what was given: an env id, a checkpoint,
    // a plugin, an option.
    rl::cli::report_error("rl_eval", e.what());
    return rl::cli::kUsage;
  }
}
