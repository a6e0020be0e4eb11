// The plugin form of the example: a shared library that rl_eval, train_ppo
// and train_impala load with --env-plugin path/to/libpoint_mass_plugin.so.
#include "examples/custom_env/point_mass.h"
#include "rl/env/plugin.h"

RL_ENV_PLUGIN(registry) { point_mass::register_point_mass(registry); }
