// The learner's first stage: the sockets actors connect to, joins,
// heartbeats and liveness, flow control (credits), and the decoding and
// validation of every unroll before it may go on to the batcher. It runs on
// a thread of its own and never waits for compute: an update, a checkpoint,
// an evaluation or a collective on the updater does not delay a heartbeat.
//
//   ROUTER (control, PORT)   <-> actors' DEALER: hello/config, heartbeat,
//                                credit, stop, error
//   PULL (unrolls, PORT + 1) <-  actors' PUSH
//   (weights, PORT + 2: learners/publisher.h)
//
// Out of the hub come Deliveries (validated unrolls, and news of actors
// joining and leaving) on a bounded queue; back come the unrolls the
// batcher took (their credits return to the pool) and news from the
// process supervisor (an actor process exited), both through thread-safe
// calls that wake the hub's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "learners/stage_queue.h"
#include "rl/data/unroll.h"
#include "rl/env/env_spec.h"
#include "rl/wire/curve.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"
#include "rl/wire/wakeup.h"

namespace rl {

struct HubConfig {
  std::string run_id;           // every message must carry it
  std::string algorithm;        // "ppo", "impala", "appo"
  std::string config_yaml;      // the resolved config, sent to actors
  std::string bind;             // control endpoint tcp://HOST:PORT (PORT 0: any free port)
  int unroll_port = -1;         // -1: control port + 1 (any free one when the control port is 0)
  int weights_port = 0;         // the publisher's port, told to actors
  int inference_port = -1;      // the learner's inference socket (runtime.inference learner), told to actors; -1: none
  EnvSpec spec;                 // what unrolls are checked against
  int64_t num_steps = 0;        // the unroll shape actors are told, and held to (T, k)
  int64_t num_envs = 0;
  int64_t core_state_size = 0;  // floats of recurrent state per env in every unroll (policy.core)
  bool sync = false;            // PPO: actors wait for new weights after each unroll
  uint64_t seed = 0;            // actors derive their seeds from it, their id and incarnation
  double heartbeat_seconds = 1;
  double timeout_seconds = 15;  // silence after which an actor is declared dead
  int max_actors = 1024;        // actor ids are in [0, max_actors)
  // Flow control (asynchronous algorithms): an actor collects an unroll only
  // with a credit; the hub grants at most `unroll_queue` per actor and
  // `unrolls_in_flight` over all actors (0: no limit over all).
  int unroll_queue = 2;
  int unrolls_in_flight = 0;
  // Unrolls one batch takes (asynchronous algorithms). Credits return only
  // as a batch starts, so the live actors must be able to hold that many at
  // once: when fewer actors than that times unroll_queue are live, each may
  // hold more (said once per change) instead of the run hanging.
  int batch_unrolls = 0;
  std::optional<wire::CurveKeyPair> curve_server;  // CURVE: every socket a server (runner's authenticator)
};

// Another learner of a group, as rank 0's hub sees it for assigning actors.
struct RankRoute {
  int rank = 0;
  std::string endpoint;  // its control endpoint, tcp://HOST:PORT
  int live_actors = 0;   // as it last reported
};

// What the hub hands the batcher: a validated unroll, or news of an actor.
struct Delivery {
  enum class Kind { kUnroll, kJoined, kLeft } kind = Kind::kUnroll;
  int64_t actor_id = 0;
  int64_t incarnation = 0;
  std::unique_ptr<Unroll> unroll;  // kUnroll
};

class Hub {
 public:
  // Binds the sockets (throws std::runtime_error naming the endpoint when a
  // port is taken). Deliveries go to `out`.
  Hub(HubConfig config, BoundedQueue<Delivery>& out);
  ~Hub();  // stop()

  // Where actors on this host reach the hub (loopback for a wildcard bind).
  const std::string& control_endpoint() const { return control_endpoint_; }
  // What the control socket is bound to ("tcp://0.0.0.0:5555" for tcp://*).
  const std::string& bound_endpoint() const { return bound_endpoint_; }
  int unroll_port() const { return unroll_port_; }

  // Serves sockets on a thread of its own until stop().
  void start();
  void stop();
  // One round of serving for up to `timeout_ms` (what the thread runs; tests
  // drive a hub without its thread through it).
  void serve(int timeout_ms);

  // ---- Thread-safe: from the batcher, the runner, the updater ----
  // An unroll of this actor incarnation left the pipeline (the updater took
  // its batch, or the batcher dropped it): its credit returns to the pool.
  void consumed(int64_t actor_id, int64_t incarnation);
  // Memory of an unroll the batcher is done with, for the next one decoded.
  void recycle(std::unique_ptr<Unroll> unroll);
  // The supervisor saw actor `actor_id`'s process exit: it is dead now, not
  // after the timeout, and its id is free for the restarted process.
  void actor_exited(int64_t actor_id);
  // Sends `stop` to every live actor.
  void stop_actors(const std::string& reason);
  // Counts one drop decided elsewhere (the batcher's stale_version...).
  void count_drop(const std::string& reason, const std::string& detail);
  // Rank 0 of a learner group: the other ranks. A joining actor that may be
  // assigned (not one of this learner's local actors) goes to the rank with
  // the fewest actors, counting this one's: a rank other than this one is
  // named in an `assign` reply, and the actor joins there.
  void set_ranks(std::vector<RankRoute> ranks);
  int64_t actors_assigned_away() const { return assigned_away_.load(); }

  std::vector<int64_t> live_actors() const;
  std::map<std::string, int64_t> drops() const;
  int64_t drops_total() const;
  // Credits granted and not yet returned, over all actors.
  int64_t credits_outstanding() const { return credits_outstanding_.load(); }
  int64_t bytes_received() const { return bytes_received_.load(); }
  int64_t unrolls_accepted() const { return unrolls_accepted_.load(); }
  int64_t actors_declared_dead() const { return declared_dead_.load(); }
  // Unrolls whose policy version was older than the previous unroll of the
  // same actor incarnation: an actor loaded an older version after a newer
  // one (never, when weights go newest-first).
  int64_t version_regressions() const { return version_regressions_.load(); }
  // Process ids (from their hello) of the actors declared dead since the
  // last call: a stalled local actor is killed and restarted.
  std::vector<int64_t> take_dead_pids();
  // The latest `error` an actor reported ("actor-2: ..."), empty if none.
  std::string last_actor_error() const;
  // CPU seconds the hub's thread has used (for the benchmark's CPU share).
  double thread_cpu_seconds() const { return cpu_seconds_.load(); }

  // Why the hub's thread stopped, if an exception escaped it.
  const StageFailure& failure() const { return failure_; }

  // Every drop reason that can be counted (for fixed metric columns).
  static const std::vector<std::string>& drop_reasons();

 private:
  struct ActorState {
    std::string identity;  // ROUTER routing id
    int64_t incarnation = 0;
    std::chrono::steady_clock::time_point last_seen;
    int64_t last_sequence = -1;
    int64_t pid = 0;          // as the actor reported it
    int64_t outstanding = 0;  // credits granted and not yet returned
    int64_t delivered = 0;    // unrolls passed on and not yet consumed
    int64_t last_version = -1;  // policy version of its last unroll
    int64_t granted_at = 0;   // grant round of its last credit (fairness)
    bool live = false;
  };

  void handle_control(wire::Frames frames);
  void handle_unroll(wire::Frames frames);
  void handle_hello(const std::string& identity, const wire::WireMessage& m);
  // The steps of a hello: a rank-0 hub may send a relay or an actor to
  // another rank of its group (true when it did); else a relay gets the
  // ports and an actor a slot and the run's config.
  bool send_relay_to_rank(const std::string& identity, int64_t pid);
  void welcome_relay(const std::string& identity, int64_t pid);
  bool send_actor_to_rank(const std::string& identity, int64_t pid);
  void admit_actor(const std::string& identity, int64_t requested, int64_t pid);
  void drain_inbox();
  void check_liveness();
  void declare_dead(int64_t id, ActorState& actor, const char* why);
  void grant_credits();
  void deliver(Delivery delivery);
  void reply(const std::string& identity, wire::WireMessage message);
  int64_t free_actor_id(int64_t requested, const std::string& identity) const;

  HubConfig config_;
  BoundedQueue<Delivery>& out_;
  wire::UnrollLimits limits_;
  wire::Socket control_;
  wire::Socket unrolls_;
  wire::Wakeup wakeup_;
  std::string control_endpoint_;
  std::string bound_endpoint_;
  int unroll_port_ = 0;
  wire::Sender sender_;
  std::map<int64_t, ActorState> actors_;  // hub thread only
  int64_t outstanding_total_ = 0;
  bool stopping_ = false;  // stop was sent to every actor
  int64_t grant_round_ = 0;
  std::vector<std::unique_ptr<Unroll>> spare_;  // unrolls to decode into
  std::chrono::steady_clock::time_point last_liveness_check_;

  // Shared with other threads.
  mutable std::mutex mutex_;
  struct Returned {
    int64_t actor_id, incarnation;
  };
  std::vector<Returned> returned_;               // inbox: consumed unrolls
  std::vector<std::unique_ptr<Unroll>> recycled_;  // inbox: their memory
  std::vector<int64_t> exited_;                  // inbox: exited actor processes
  std::vector<RankRoute> ranks_;                 // the group's other ranks (rank 0)
  std::map<int, int> assigned_since_report_;     // rank -> actors sent there since its last report
  size_t relays_seen_ = 0;                       // host relays that joined (rank 0 spreads them)
  std::vector<std::string> stop_requests_;       // inbox: stop every actor, with this reason
  std::vector<int64_t> live_;                    // copy of the live set
  std::map<std::string, int64_t> drops_;
  std::vector<int64_t> dead_pids_;
  std::string last_actor_error_;
  std::atomic<int64_t> bytes_received_{0}, unrolls_accepted_{0}, declared_dead_{0}, version_regressions_{0};
  std::atomic<int64_t> assigned_away_{0};
  std::atomic<int64_t> credits_outstanding_{0};
  StageFailure failure_;
  int64_t credit_cap_said_ = 0;  // the raised per-actor cap last logged (hub thread)
  std::atomic<double> cpu_seconds_{0};

  std::thread thread_;
  std::atomic<bool> running_{false};
};

}  // namespace rl
