#include "envs/builtin.h"

#include "envs/box2d/box2d_suite.h"
#include "envs/classic/classic.h"
#include "envs/minatar/minatar.h"
#include "envs/mujoco/mujoco_suite.h"

namespace rl::envs {

void register_builtin_envs(EnvRegistry& registry) {
  register_classic_envs(registry);
  register_mujoco_envs(registry);
  register_box2d_envs(registry);
  minatar::register_minatar_envs(registry);
}

}  // namespace rl::envs
