// Registers every built-in env suite.
#pragma once

#include "rl/env/registry.h"

namespace rl::envs {

void register_builtin_envs(EnvRegistry& registry);

}  // namespace rl::envs
