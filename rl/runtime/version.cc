#include "rl/runtime/version.h"

#include "rl_git_commit.h"  // generated at build time: RL_GIT_COMMIT

namespace rl {

const char* project_version() { return RL_PROJECT_VERSION; }
const char* build_commit() { return RL_GIT_COMMIT; }

}  // namespace rl
