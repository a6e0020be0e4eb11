// The MuJoCo suite (Debian's libmujoco): HalfCheetah-v5, Hopper-v5,
// Walker2d-v5, Swimmer-v5, Ant-v5, InvertedPendulum-v5,
// InvertedDoublePendulum-v5, Reacher-v5, Humanoid-v5.
#pragma once

#include "rl/env/registry.h"

namespace rl::envs {

void register_mujoco_envs(EnvRegistry& registry);

}  // namespace rl::envs
