#include "envs/builtin.h"

#include "envs/classic/classic.h"

namespace rl::envs {

void register_builtin_envs(EnvRegistry& registry) {
  register_classic_envs(registry);
}

}  // namespace rl::envs
