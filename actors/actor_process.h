// The rollout actor process: joins a learner over ZeroMQ, builds its envs
// and policy copy from the config the learner sends, and streams unrolls.
//
//   train_ppo --role actor --learner tcp://HOST:PORT [--actor-id N] [--run-id ID]
//
// Protocol (docs/wire-protocol.md): hello -> config over DEALER/ROUTER;
// then two threads: this one collects unrolls (one per credit from the
// learner when asynchronous, one per new weights version when synchronous),
// loading the newest weights when it starts each; the link (actor_link.h)
// sends them, beats the heart and counts credits meanwhile. Weights come
// from the host's weights board (shared memory, --weights-fd, for actors
// the learner started) or by request from the learner's weights socket.
// Exits on `stop`, on an `error`, or when the learner has been silent
// longer than the timeout.
#pragma once

#include <cstdint>
#include <string>

namespace rl {

struct ActorOptions {
  std::string learner;       // the learner's control endpoint, tcp://HOST:PORT
  int64_t actor_id = -1;     // requested id (-1: the learner assigns one)
  std::string run_id;        // the run to join ("" = any)
  double connect_timeout_seconds = 30.0;  // how long to wait for the learner's config
  // > 0: when the learner goes silent (killed, restarting with --resume),
  // keep trying to rejoin it at the same endpoint for this long instead of
  // exiting. Remote actors use it to survive a learner restart.
  double reconnect_seconds = 0.0;
  // CURVE (rl/wire/curve.h): this actor's key file and the learner's public
  // key file; both or neither.
  std::string curve_key_file;
  std::string curve_server_key_file;
  // A weights board inherited from the parent (rl/wire/weights_board.h):
  // the learner's, for its local actors, or a host agent's. -1: request
  // weights over the wire.
  int weights_fd = -1;
  // With a host agent's board: the eventfd that tells its relay an actor
  // is about to start an unroll (-1: the board is the learner's, live).
  int weights_signal_fd = -1;
  // An inherited inference board (rl/wire/inference_board.h): the actor
  // takes a slot and its actions come from the host's inference server.
  // -1: the actor runs its policy itself.
  int inference_fd = -1;
  // With inference_fd: this process is the host's inference server, not an
  // actor (actors/inference_server.h).
  bool serve_inference = false;
  // > 1: this process is a host agent: it starts this many actor processes
  // on this host, supervises them, and relays weights to them through one
  // board, so that the learner sends this host one copy of each version.
  int actors = 1;
  int max_restarts = 5;  // host agent: restarts of each actor
};

// Exit codes of run_actor.
enum ActorExit : int {
  kActorStopped = 0,         // the learner said stop
  kActorLearnerSilent = 3,   // no config, or the learner went silent
  kActorRefused = 4,         // the learner replied with an error
  kActorFailed = 5,          // an error here (env, config)
};

// Runs one actor, or a host agent when options.actors > 1 (host_agent.h).
int run_actor(const ActorOptions& options);

}  // namespace rl
