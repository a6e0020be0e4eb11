// The actor's command line, shared by `train_<algorithm> --role actor` and
// rl_actor (which links no libtorch): the same flags, the same checks.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "actors/actor_process.h"

namespace rl {

// --learner, --actor-id, --run-id, --reconnect-seconds, --curve-key,
// --curve-server-key, --weights-fd, --weights-signal-fd, into `options`.
void add_actor_options(CLI::App& app, ActorOptions& options);

// The flags add_actor_options adds, for refusing them in another role.
const std::vector<const char*>& actor_only_flags();

// --actors as given (a host agent's count of actor processes; "" for one
// actor) and --learner, checked. Throws std::invalid_argument naming the
// mistake.
void check_actor_options(const std::string& actors, ActorOptions& options);

}  // namespace rl
