#include "examples/train_cli.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <vector>

#include "examples/actor_cli.h"
#include "rl/nn/gemm/gemm.h"
#include "rl/nn/threads.h"
#include "rl/runtime/cli.h"
#include "rl/runtime/logging.h"
#include "rl/runtime/presets.h"
#include "rl/runtime/run_config.h"

namespace rl {

namespace {

// The learner-side flags as given (empty: not given); they become config
// fields once the config's base (defaults, a resumed run's config, a preset)
// is known.
struct LearnerFlags {
  std::string env, run_dir, device, config_file, fast_path, model_plugin;
  std::string total_steps, seed, num_envs, actors, unroll_length, bind;
  std::vector<std::string> sets, plugins;
  std::string log_level = "info";
  bool no_preset = false;
  bool resume_if_any = false;
};

void add_options(CLI::App& app, TrainCommand& command, LearnerFlags& flags) {
  app.add_option("--env", flags.env, "Env id (run.env)");
  app.add_option("--total-steps", flags.total_steps, "Env steps to train for (run.total_steps)");
  app.add_option("--seed", flags.seed, "Seed (run.seed)");
  app.add_option("--run-dir", flags.run_dir, "Output directory (run.run_dir)");
  app.add_option("--num-envs,--envs-per-actor", flags.num_envs, "Envs per actor (rollout.num_envs)");
  app.add_option("--unroll-length", flags.unroll_length, "Steps per env per unroll (rollout.num_steps)");
  app.add_option("--actors", flags.actors,
                 "Local actor processes; 0 collects in this process (runtime.actors). With --role actor: the "
                 "actor processes of this host (a host agent relays weights to them)");
  app.add_option("--bind", flags.bind, "Learner endpoint for actors, e.g. tcp://*:5555 (runtime.bind)");
  app.add_option("--learners", command.learners,
                 "Learner processes training together (c10d Gloo group); or set RANK, WORLD_SIZE, "
                 "MASTER_ADDR, MASTER_PORT as torchrun does")
      ->check(cli::in_range(1, 1024));
  app.add_option("--role", command.role, "learner (wait for remote actors too) or actor")
      ->check(CLI::IsMember({"learner", "actor"}));
  add_actor_options(app, command.actor);
  app.add_option("--device", flags.device, "auto | cpu | cuda | cuda:N (run.device)");
  app.add_option("--fast-path", flags.fast_path,
                 "auto | on | off: the MLP fast path for actor inference and CPU updates (policy.fast_path)");
  app.add_option("--config", flags.config_file, "YAML preset applied over the defaults")
      ->check(CLI::ExistingFile);
  app.add_option("--set", flags.sets, "Override one config key: --set ppo.learning_rate=1e-4 (repeatable)");
  app.add_option("--env-plugin", flags.plugins, "Env plugin library (run.env_plugin; repeatable)")
      ->check(CLI::ExistingFile);
  app.add_option("--model-plugin", flags.model_plugin,
                 "Model plugin library whose encoders policy.encoder can name (policy.model_plugin)")
      ->check(CLI::ExistingFile);
  app.add_option("--log-level", flags.log_level, "trace | debug | info | warn | error | off");
  app.add_flag("--no-preset", flags.no_preset,
               "Start from the defaults even when configs/ has a preset for --env");
  app.add_flag("--resume", command.resume, "Continue the run in --run-dir from its latest checkpoint");
  app.add_flag("--resume-if-any", flags.resume_if_any,
               "--resume when --run-dir has a checkpoint, else start the run there (for jobs a scheduler "
               "restarts: Slurm's requeue, a rescheduled Kubernetes pod)");
  app.add_flag("--print-config", command.print_config, "Print the resolved config and exit");
}

// Flags of the other role are a mistake, not something to ignore: an actor
// takes its whole config from the learner, and a learner joins no one.
// Returns the mistake, or "".
std::string other_role_flags(const CLI::App& app, const TrainCommand& command) {
  // Those of `flags` given on the command line, comma separated.
  const auto given = [&](const std::vector<const char*>& flags) {
    std::string out;
    for (const char* flag : flags) {
      if (app.count(flag) > 0) out += (out.empty() ? "" : ", ") + std::string(flag);
    }
    return out;
  };
  if (command.role == "actor") {
    const std::string learner_flags =
        given({"--env", "--total-steps", "--seed", "--run-dir", "--envs-per-actor", "--unroll-length", "--bind",
               "--learners", "--device", "--fast-path", "--config", "--set", "--env-plugin", "--model-plugin",
               "--no-preset", "--resume", "--resume-if-any"});
    if (learner_flags.empty()) return "";
    return learner_flags + (learner_flags.find(',') == std::string::npos ? " is" : " are") +
           " the learner's: an actor (--role actor) takes its whole config from the learner; give them to the "
           "learner";
  }
  const std::string actor_flags = given(actor_only_flags());
  if (actor_flags.empty()) return "";
  return actor_flags + " only apply with --role actor (this is " +
         (command.role.empty() ? std::string("a training run") : "--role " + command.role) + ")";
}

// --resume-if-any decides between --resume and a fresh start; --resume
// takes the run directory's config.yaml as the base. Returns whether it did.
bool apply_resume(const std::string& program, const LearnerFlags& flags, const ConfigFields& fields,
                  TrainCommand& command) {
  // A learner group's rank > 0 may run where rank 0's run directory is not
  // (no shared file system): it takes its config from the flags, which every
  // rank is given alike, and its state from rank 0.
  const char* rank = std::getenv("RANK") ? std::getenv("RANK") : std::getenv("SLURM_PROCID");
  const bool other_rank = rank && std::string(rank) != "0";
  if (flags.resume_if_any) {
    if (command.resume) throw std::invalid_argument("--resume and --resume-if-any: give one of them");
    if (flags.run_dir.empty()) throw std::invalid_argument("--resume-if-any needs --run-dir");
    command.resume = std::filesystem::exists(std::filesystem::path(flags.run_dir) / "checkpoints" / "latest");
    command.start_over_unfinished = !command.resume;
    logf(LogLevel::kInfo, "%s: --resume-if-any: %s", program.c_str(),
         command.resume ? "a checkpoint is there, resuming" : "no checkpoint there, starting the run");
  }
  if (!command.resume) return false;
  if (flags.run_dir.empty()) throw std::invalid_argument("--resume needs --run-dir");
  const std::filesystem::path saved = std::filesystem::path(flags.run_dir) / "config.yaml";
  if (std::filesystem::exists(saved)) {
    apply_yaml_file(fields, saved.string());
    return true;
  }
  if (!other_rank) throw std::invalid_argument("--resume: " + saved.string() + " does not exist");
  return false;
}

// The learner's config, in order: defaults, a resumed run's config.yaml,
// --config or the env's preset, the flags, then every --set. Throws on a
// mistake, naming it.
void resolve_learner_config(const std::string& program, const std::string& algorithm, LearnerFlags flags,
                            const ConfigFields& fields, TrainCommand& command) {
  const bool resumed_config = apply_resume(program, flags, fields, command);
  if (flags.config_file.empty() && !resumed_config && !flags.no_preset && !flags.env.empty()) {
    if (auto preset = find_preset(algorithm, flags.env)) {
      flags.config_file = preset->string();
      logf(LogLevel::kInfo, "%s: using the preset %s for %s (--config for another, --no-preset for the defaults)",
           program.c_str(), flags.config_file.c_str(), flags.env.c_str());
    }
  }
  if (!flags.config_file.empty()) apply_yaml_file(fields, flags.config_file);
  auto set = [&](const char* key, const std::string& value) {
    if (!value.empty()) fields.find(key).parse(value);
  };
  set("run.env", flags.env);
  set("run.total_steps", flags.total_steps);
  set("run.seed", flags.seed);
  set("run.run_dir", flags.run_dir);
  set("rollout.num_envs", flags.num_envs);
  set("rollout.num_steps", flags.unroll_length);
  set("runtime.actors", flags.actors);
  set("runtime.bind", flags.bind);
  set("run.device", flags.device);
  set("policy.fast_path", flags.fast_path);
  if (!flags.model_plugin.empty()) set("policy.model_plugin", std::filesystem::absolute(flags.model_plugin).string());
  if (!flags.plugins.empty()) {
    std::string joined;
    for (const auto& p : flags.plugins) joined += (joined.empty() ? "" : ",") + std::filesystem::absolute(p).string();
    set("run.env_plugin", joined);
  }
  for (const auto& assignment : flags.sets) apply_assignment(fields, assignment);
}

}  // namespace

std::optional<int> parse_train_command(int argc, char** argv, const std::string& algorithm,
                                       const ConfigFields& fields, TrainCommand& command) {
  const std::string program = "train_" + algorithm;
  CLI::App app{program + ": train a policy with " + algorithm +
               " (every config key can be set with --set; --print-config lists them)"};
  cli::add_version(app, program, [] {
    return std::string("fast path ") + gemm_kernels().name + ", " + blas_description();
  });
  LearnerFlags flags;
  add_options(app, command, flags);
  if (auto code = cli::parse(app, argc, argv, program)) return code;
  for (int i = 1; i < argc; ++i) command.program_args.push_back(argv[i]);
  try {
    set_log_level(flags.log_level);
    if (const std::string mistake = other_role_flags(app, command); !mistake.empty()) {
      throw std::invalid_argument(mistake);
    }
    if (command.role == "actor") {
      check_actor_options(flags.actors, command.actor);  // an actor takes its config from the learner
    } else {
      resolve_learner_config(program, algorithm, flags, fields, command);
    }
  } catch (const std::exception& e) {
    cli::report_error(program, e.what());
    return cli::kUsage;
  }
  return std::nullopt;
}

}  // namespace rl
