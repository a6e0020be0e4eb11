// The classic-control suite: CartPole-v1, Pendulum-v1, MountainCar-v0,
// MountainCarContinuous-v0, Acrobot-v1.
#pragma once

#include "rl/env/registry.h"

namespace rl::envs {

void register_classic_envs(EnvRegistry& registry);

}  // namespace rl::envs
