#include "examples/train_main.h"

#include <iostream>
#include <memory>

#include "actors/actor_process.h"
#include "learners/appo_learner.h"
#include "learners/impala_learner.h"
#include "learners/ppo_learner.h"
#include "examples/train_cli.h"
#include "runner/training.h"
#include "rl/runtime/cli.h"

namespace rl {
namespace {

// Parses the command line into a Config, then trains with the learner that
// make_learner builds.
template <typename Config, typename MakeLearner>
int train_main(int argc, char** argv, int unrolls_per_update(const Config&), bool sync,
               MakeLearner make_learner) {
  const std::string algorithm = Config::kAlgorithm;
  Config config;
  ConfigFields fields = fields_of(config);
  TrainCommand command;
  if (auto exit_code = parse_train_command(argc, argv, algorithm, fields, command)) return *exit_code;
  if (command.role == "actor") {
    if (command.print_config) {
      // The flags were accepted: say what this actor would do, and stop.
      std::cout << "role: actor\nlearner: " << command.actor.learner << "\nactors: " << command.actor.actors
                << "\nreconnect_seconds: " << command.actor.reconnect_seconds << "\ncurve: "
                << (command.actor.curve_key_file.empty() ? "off" : "on") << "\n";
      return 0;
    }
    return run_actor(command.actor);
  }
  try {
    config.validate();
    const std::string yaml = to_yaml(fields);
    if (command.print_config) {
      std::cout << yaml;
      return 0;
    }
    TrainingSetup setup{.algorithm = algorithm,
                        .run = config.run,
                        .runtime = config.runtime,
                        .rollout = config.rollout,
                        .policy = config.policy,
                        .normalize = config.normalize,
                        .config_yaml = yaml,
                        .unrolls_per_update = unrolls_per_update(config),
                        .sync = sync,
                        .resume = command.resume,
                        .start_over_unfinished = command.start_over_unfinished,
                        .serve_remote = command.role == "learner",
                        .learners = command.learners,
                        .program_args = command.program_args};
    setup.make_learner = [&](const EnvSpec& spec, torch::Device device) {
      return make_learner(config, spec, device);
    };
    train(setup);
  } catch (const std::invalid_argument& e) {
    // A mistake in what was given: a config value, a file, a run directory.
    cli::report_error("train_" + algorithm, e.what());
    return cli::kUsage;
  } catch (const std::exception& e) {
    cli::report_error("train_" + algorithm, e.what());
    return cli::kFailed;
  }
  return cli::kOk;
}

}  // namespace

int train_ppo_main(int argc, char** argv) {
  return train_main<PpoTrainConfig>(
      argc, argv, [](const PpoTrainConfig&) { return 1; }, /*sync=*/true,
      [](const PpoTrainConfig& c, const EnvSpec& spec, torch::Device device) -> std::unique_ptr<Learner> {
        return std::make_unique<PpoLearner>(spec, c.policy, c.normalize, c.ppo, device, c.run.seed);
      });
}

int train_impala_main(int argc, char** argv) {
  return train_main<ImpalaTrainConfig>(
      argc, argv, [](const ImpalaTrainConfig& c) { return c.impala.unrolls_per_batch; }, /*sync=*/false,
      [](const ImpalaTrainConfig& c, const EnvSpec& spec, torch::Device device) -> std::unique_ptr<Learner> {
        return std::make_unique<ImpalaLearner>(spec, c.policy, c.normalize, c.impala, device, c.run.seed);
      });
}

int train_appo_main(int argc, char** argv) {
  return train_main<AppoTrainConfig>(
      argc, argv, [](const AppoTrainConfig& c) { return c.appo.unrolls_per_batch; }, /*sync=*/false,
      [](const AppoTrainConfig& c, const EnvSpec& spec, torch::Device device) -> std::unique_ptr<Learner> {
        return std::make_unique<AppoLearner>(spec, c.policy, c.normalize, c.appo, device, c.run.seed);
      });
}

}  // namespace rl
