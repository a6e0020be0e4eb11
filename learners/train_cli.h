// The command line shared by train_ppo and train_impala.
//
//   train_X [--env ID] [--total-steps N] [--seed S] [--run-dir DIR]
//           [--num-envs K] [--device auto|cpu|cuda] [--config FILE.yaml]
//           [--set key=value]... [--env-plugin LIB.so]... [--resume]
//           [--print-config]
//
// The config is built in this order: defaults, the run directory's
// config.yaml (with --resume), --config, the flags, then every --set.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "rl/runtime/config.h"

namespace rl {

struct TrainCommand {
  bool resume = false;
  bool print_config = false;  // print the resolved config and exit
};

// Parses argv into `fields` (of the algorithm's config). Returns the exit
// code when the program should stop (--help, a bad flag), else nullopt.
std::optional<int> parse_train_command(int argc, char** argv, const std::string& algorithm,
                                       const ConfigFields& fields, TrainCommand& command);

}  // namespace rl
