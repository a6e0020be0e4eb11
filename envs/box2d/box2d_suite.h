// The Box2D suite (Debian's libbox2d 2.4): LunarLander-v3,
// LunarLanderContinuous-v3, BipedalWalker-v3, BipedalWalkerHardcore-v3.
#pragma once

#include "rl/env/registry.h"

namespace rl::envs {

void register_box2d_envs(EnvRegistry& registry);

}  // namespace rl::envs
