// A host agent: `train_X --role actor --learner tcp://HOST:PORT --actors N`
// on a host of its own. It starts N actor processes there (this binary with
// --role actor), restarts one that crashes, stops them all on SIGTERM or
// SIGINT, and runs the host's weights relay (host_relay.h): the learner
// sends this host one copy of each version, which the actors read from a
// board in shared memory. Exits when its actors have stopped.
#pragma once

#include "actors/actor_process.h"

namespace rl {

// Runs a host agent for options.actors actors; returns an ActorExit code.
int run_host_agent(const ActorOptions& options);

}  // namespace rl
