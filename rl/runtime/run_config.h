// The run-level config sections shared by the learner and its actors:
// what to train on, for how long, where to write, and how actors connect.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "rl/env/env_options.h"
#include "rl/runtime/config.h"

namespace rl {

struct RunConfig {
  std::string env = "CartPole-v1";     // env id
  std::string env_options;             // env constructor options: "key=value,key=value"
  std::string env_plugin;              // env plugin libraries to load, comma-separated
  uint64_t seed = 1;                   // seeds envs, action sampling and minibatch shuffles
  int64_t total_steps = 500000;        // env steps to train for
  std::string run_dir;                 // output folder (default runs/<algo>-<env>-s<seed>-<time>)
  std::string device = "auto";         // learner device: auto | cpu | cuda | cuda:N
  int64_t checkpoint_every = 100000;   // env steps between checkpoints (one is always written last)
  int keep_checkpoints = 3;            // newest checkpoints kept on disk
  int eval_episodes = 20;              // deterministic evaluation episodes at the end
  double log_every_seconds = 5.0;      // seconds between progress lines
  int torch_threads = 1;               // intra-op threads of libtorch on the CPU

  void visit(ConfigFields& f) {
    f("env", env);
    f("env_options", env_options);
    f("env_plugin", env_plugin);
    f("seed", seed);
    f("total_steps", total_steps);
    f("run_dir", run_dir);
    f("device", device);
    f("checkpoint_every", checkpoint_every);
    f("keep_checkpoints", keep_checkpoints);
    f("eval_episodes", eval_episodes);
    f("log_every_seconds", log_every_seconds);
    f("torch_threads", torch_threads);
  }
  void validate() const {
    if (env.empty()) throw std::invalid_argument("run.env must name an env");
    if (total_steps <= 0) throw std::invalid_argument("run.total_steps must be positive, got " + std::to_string(total_steps));
    if (checkpoint_every < 0) throw std::invalid_argument("run.checkpoint_every must be >= 0");
    if (keep_checkpoints < 0) throw std::invalid_argument("run.keep_checkpoints must be >= 0");
    if (eval_episodes < 0) throw std::invalid_argument("run.eval_episodes must be >= 0");
    if (torch_threads <= 0) throw std::invalid_argument("run.torch_threads must be positive");
    parsed_env_options();
  }
  // env_options as EnvOptions; throws naming the bad item.
  EnvOptions parsed_env_options() const;
  std::vector<std::string> plugin_paths() const;
};

// The most actor processes this host holds: 64 per core, and about 100 MB of
// memory each (an actor process links libtorch), whichever is less.
int max_local_actors();
// Those two numbers in words, for an error message.
std::string local_actors_bound_reason();
// Checks "tcp://HOST:PORT" (PORT 0 to 65535; HOST a name, an address or *);
// throws std::invalid_argument naming `what`, the value and the form expected.
void check_endpoint(const std::string& endpoint, const std::string& what);

// How the learner reaches its actors (the distributed runtime).
struct RuntimeConfig {
  int actors = 2;                         // local actor processes (0: collect in the learner's process, for debugging)
  std::string bind = "tcp://127.0.0.1:0"; // learner's control endpoint; port 0 picks free ports for all three sockets
  int unroll_port = -1;                   // unroll socket's port (-1: the control port + 1)
  int weights_port = -1;                  // weights socket's port (-1: the control port + 2)
  double heartbeat_seconds = 1.0;         // actors send a heartbeat this often
  double actor_timeout_seconds = 15.0;    // silence after which an actor is dead (and the learner, for an actor)
  int max_restarts = 5;                   // restarts of each local actor; one more failure stops the run
  int unroll_queue = 2;                   // asynchronous: unrolls one actor may have granted and not yet taken
  int unrolls_in_flight = 0;              // asynchronous: unrolls granted and not yet taken, over all actors (0: twice the batch)
  int64_t max_policy_lag = 20;            // asynchronous: drop unrolls whose policy is more versions behind (0: keep all)
  int max_actors = 1024;                  // actor ids (and their reward accumulators) are bounded by this
  int min_actors = 1;                     // actors that must have joined before training starts
  // The learner's watchdog: no update for this long ends the run with a
  // line that says why (no actor live, credits held by silent actors,
  // every unroll dropped). 0: no watchdog.
  double stall_seconds = 300.0;
  // For benchmarks of the pipeline (rl_bench_learner --no-update): batches
  // are assembled and counted, and no update is made.
  bool discard_batches = false;
  std::string weights_dtype = "f32";      // parameters on the wire: f32, or f16 / bf16 (half the bytes)
  // What local actors run: rl_actor (no libtorch; fast-path MLP policies
  // only), the training program itself (libtorch: any model), or auto
  // (rl_actor where the policy is on the fast path).
  std::string actor_program = "auto";
  // Where the policy runs for the actors (docs/scaling.md): actor (each
  // actor process runs it), host (one inference process per host runs it
  // for all of the host's actors, in batches, through shared memory), or
  // learner (the learner's process runs it for the actors on its host).
  std::string inference = "actor";
  int inference_batch = 0;                // host, learner: most env rows per forward pass (0: every actor's)
  double inference_wait_ms = 2.0;         // host, learner: after the first request, how long to wait for others
  int inference_threads = 1;              // host, learner: threads of the inference server's forward pass
  // host, learner: where the inference server runs a CNN or a core: auto
  // (the learner's device under `learner`, the CPU under `host`), cpu,
  // cuda, cuda:N. MLPs without a core stay on the CPU's fast path.
  std::string inference_device = "auto";
  double inference_timeout_seconds = 60.0;  // host, learner: how long an actor waits for an answer (a restart included)
  std::string advertise_host;             // learner group: the address other hosts reach this rank at ("": its route to rank 0)
  // ZeroMQ CURVE (docs/cluster.md): the learner's key file (rl_keygen) and
  // the public keys of the actors allowed in. Both or neither.
  std::string curve_secret_key;
  std::string curve_authorized_keys;

  void visit(ConfigFields& f) {
    f("actors", actors);
    f("bind", bind);
    f("unroll_port", unroll_port);
    f("weights_port", weights_port);
    f("heartbeat_seconds", heartbeat_seconds);
    f("actor_timeout_seconds", actor_timeout_seconds);
    f("max_restarts", max_restarts);
    f("unroll_queue", unroll_queue);
    f("unrolls_in_flight", unrolls_in_flight);
    f("max_policy_lag", max_policy_lag);
    f("max_actors", max_actors);
    f("min_actors", min_actors);
    f("stall_seconds", stall_seconds);
    f("discard_batches", discard_batches);
    f("weights_dtype", weights_dtype);
    f("actor_program", actor_program);
    f("inference", inference);
    f("inference_batch", inference_batch);
    f("inference_wait_ms", inference_wait_ms);
    f("inference_threads", inference_threads);
    f("inference_device", inference_device);
    f("inference_timeout_seconds", inference_timeout_seconds);
    f("advertise_host", advertise_host);
    f("curve_secret_key", curve_secret_key);
    f("curve_authorized_keys", curve_authorized_keys);
  }
  void validate() const {
    if (actors < 0) throw std::invalid_argument("runtime.actors must be >= 0, got " + std::to_string(actors));
    if (actors > max_local_actors()) {
      throw std::invalid_argument("runtime.actors (--actors) " + std::to_string(actors) +
                                  " is more actor processes than this host holds: at most " +
                                  std::to_string(max_local_actors()) + " (" + local_actors_bound_reason() +
                                  "); put more actors on other hosts (--role actor)");
    }
    if (actors > max_actors) {
      throw std::invalid_argument("runtime.actors (" + std::to_string(actors) + ") exceeds runtime.max_actors (" +
                                  std::to_string(max_actors) + ")");
    }
    if (!(heartbeat_seconds > 0)) throw std::invalid_argument("runtime.heartbeat_seconds must be positive");
    if (!(actor_timeout_seconds > heartbeat_seconds)) {
      throw std::invalid_argument("runtime.actor_timeout_seconds must exceed runtime.heartbeat_seconds");
    }
    if (max_restarts < 0) throw std::invalid_argument("runtime.max_restarts must be >= 0");
    if (unroll_queue <= 0) throw std::invalid_argument("runtime.unroll_queue must be positive");
    if (unrolls_in_flight < 0) throw std::invalid_argument("runtime.unrolls_in_flight must be >= 0 (0: twice the batch)");
    if (max_policy_lag < 0) throw std::invalid_argument("runtime.max_policy_lag must be >= 0 (0: no cap)");
    if (max_actors < 1 || max_actors > 65536) {
      throw std::invalid_argument("runtime.max_actors must be in [1, 65536], got " + std::to_string(max_actors));
    }
    if (min_actors < 1) throw std::invalid_argument("runtime.min_actors must be >= 1");
    if (!(stall_seconds >= 0)) throw std::invalid_argument("runtime.stall_seconds must be >= 0 (0: no watchdog)");
    for (int port : {unroll_port, weights_port}) {
      if (port < -1 || port > 65535) {
        throw std::invalid_argument("runtime.unroll_port and runtime.weights_port must be -1 (the control port + 1, + 2) "
                                    "or a port in [0, 65535], got " + std::to_string(port));
      }
    }
    if (weights_dtype != "f32" && weights_dtype != "f16" && weights_dtype != "bf16") {
      throw std::invalid_argument("runtime.weights_dtype: '" + weights_dtype + "' is not one of f32, f16, bf16");
    }
    if (actor_program != "auto" && actor_program != "rl_actor" && actor_program != "trainer") {
      throw std::invalid_argument("runtime.actor_program: '" + actor_program + "' is not one of auto, rl_actor, trainer");
    }
    if (inference != "actor" && inference != "host" && inference != "learner") {
      throw std::invalid_argument("runtime.inference: '" + inference + "' is not one of actor, host, learner");
    }
    if (inference_batch < 0) throw std::invalid_argument("runtime.inference_batch must be >= 0 (0: every actor's rows)");
    if (inference_threads < 1 || inference_threads > 256) {
      throw std::invalid_argument("runtime.inference_threads must be in [1, 256], got " + std::to_string(inference_threads));
    }
    if (inference_device != "auto" && inference_device != "cpu" && inference_device != "cuda" &&
        inference_device.rfind("cuda:", 0) != 0) {
      throw std::invalid_argument("runtime.inference_device: '" + inference_device +
                                  "' is not one of auto, cpu, cuda, cuda:N");
    }
    if (!(inference_wait_ms >= 0)) throw std::invalid_argument("runtime.inference_wait_ms must be >= 0");
    if (!(inference_timeout_seconds > 0)) throw std::invalid_argument("runtime.inference_timeout_seconds must be positive");
    if (curve_secret_key.empty() != curve_authorized_keys.empty()) {
      throw std::invalid_argument("runtime.curve_secret_key and runtime.curve_authorized_keys go together: set both or neither");
    }
    check_endpoint(bind, "runtime.bind (--bind)");
  }
};

}  // namespace rl
