// What a program was built from, for --version.
#pragma once

#include <string>

namespace rl {

// "0.1.0"
const char* project_version();
// The git commit of the source tree at build time ("abc1234", "abc1234-dirty"
// with uncommitted changes, "unknown" outside a git checkout).
const char* build_commit();

}  // namespace rl
