// The command line shared by train_ppo and train_impala.
//
//   train_X [--env ID] [--total-steps N] [--seed S] [--run-dir DIR]
//           [--num-envs K | --envs-per-actor K] [--unroll-length T]
//           [--actors N] [--device auto|cpu|cuda] [--config FILE.yaml]
//           [--set key=value]... [--env-plugin LIB.so]... [--resume]
//           [--print-config] [--role learner [--bind tcp://*:PORT]]
//   train_X --role actor --learner tcp://HOST:PORT [--actor-id N] [--run-id ID] [--reconnect-seconds S]
//                [--curve-key actor.key --curve-server-key learner.pub]
//
// The config is built in this order: defaults, the run directory's
// config.yaml (with --resume), --config, the flags, then every --set.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "actors/actor_process.h"
#include "rl/runtime/config.h"

namespace rl {

struct TrainCommand {
  bool resume = false;
  bool start_over_unfinished = false;  // --resume-if-any found no checkpoint
  bool print_config = false;  // print the resolved config and exit
  std::string role;           // "" (learner with local actors), "learner", "actor"
  ActorOptions actor;         // --role actor: the actor's flags (actors: a host agent's count)
  int learners = 1;           // --learners N
  std::vector<std::string> program_args;  // argv[1..], to start group members
};

// Parses argv into `fields` (of the algorithm's config). Returns the exit
// code when the program should stop (--help, a bad flag), else nullopt.
std::optional<int> parse_train_command(int argc, char** argv, const std::string& algorithm,
                                       const ConfigFields& fields, TrainCommand& command);

}  // namespace rl
