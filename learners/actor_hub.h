// The learner's side of the wire: the sockets actors connect to, the
// handshake, weights broadcast, liveness, and the validation of every
// unroll before it may enter a batch.
//
//   ROUTER (control) <-> actors' DEALER: hello/config, heartbeats, stop, error
//   PULL (unrolls)   <-  actors' PUSH, high-water mark = backpressure
//   XPUB (weights)    -> actors' SUB; a subscription to "sync/<id>/<n>/"
//                        tells the hub to send that actor the current weights
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rl/data/unroll.h"
#include "rl/env/env_spec.h"
#include "rl/wire/curve.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"

namespace rl {

struct HubConfig {
  std::string run_id;           // every message must carry it
  std::string algorithm;        // "ppo", "impala"
  std::string config_yaml;      // the resolved config, sent to actors
  std::string bind;             // control endpoint to bind; data ports are picked free
  EnvSpec spec;                 // what unrolls are checked against
  bool sync = false;            // PPO: actors wait for new weights after each unroll
  uint64_t seed = 0;            // actors derive their seeds from it, their id and incarnation
  double heartbeat_seconds = 1;
  double timeout_seconds = 15;  // silence after which an actor is declared dead
  int unroll_queue = 4;         // receive high-water mark, per actor
  int64_t max_steps = 1 << 16;  // largest unroll accepted
  int64_t max_envs = 1 << 14;
  // CURVE (rl/wire/curve.h): with a server key pair every socket is a CURVE
  // server and only `authorized_keys` may connect. Unset: plain TCP, and a
  // warning when `bind` is not a loopback address.
  std::optional<wire::CurveKeyPair> curve_server;
  std::set<std::string> authorized_keys;
};

class ActorHub {
 public:
  explicit ActorHub(HubConfig config);

  // The endpoint actors connect to (their --learner).
  const std::string& control_endpoint() const { return control_endpoint_; }

  // Broadcasts new weights and keeps them for actors that join later.
  void publish(const wire::WeightsPayload& weights);

  // Serves control messages and subscriptions for up to `timeout_ms` and
  // returns the first valid unroll that arrives, if any. Invalid messages
  // are dropped and counted by reason; they never leave this function.
  std::optional<Unroll> receive(int timeout_ms);

  // Counts one drop decided by the caller (a stale PPO version...).
  void count_drop(const std::string& reason, const std::string& detail);

  // Sends `stop` to every live actor.
  void stop_actors(const std::string& reason);

  std::vector<int64_t> live_actors() const;
  const std::map<std::string, int64_t>& drops() const { return drops_; }
  int64_t drops_total() const;
  int64_t bytes_received() const { return bytes_received_; }
  int64_t actors_declared_dead() const { return declared_dead_; }
  // Process ids (from their hello) of the actors declared dead since the
  // last call: a stalled local actor is killed and restarted by its
  // supervisor.
  std::vector<int64_t> take_dead_pids();
  // The latest `error` an actor reported ("actor-2: ..."), empty if none.
  const std::string& last_actor_error() const { return last_actor_error_; }

  // CURVE handshakes refused (unauthorized keys); 0 without CURVE.
  int64_t curve_refusals() const { return authenticator_ ? authenticator_->refused() : 0; }

  // Every drop reason that can be counted (for fixed metric columns).
  static const std::vector<std::string>& drop_reasons();

 private:
  struct ActorState {
    std::string identity;  // ROUTER routing id
    int64_t incarnation = 0;
    std::chrono::steady_clock::time_point last_seen;
    int64_t last_sequence = -1;
    int64_t pid = 0;  // as the actor reported it
    bool live = false;
  };

  void handle_control(wire::Frames frames);
  void handle_subscription(const wire::Frames& frames);
  std::optional<Unroll> handle_unroll(wire::Frames frames);
  void check_liveness();
  void reply(const std::string& identity, wire::WireMessage message);

  HubConfig config_;
  std::unique_ptr<wire::CurveAuthenticator> authenticator_;  // before the sockets bind
  wire::UnrollLimits limits_;
  wire::Socket control_;
  wire::Socket unrolls_;
  wire::Socket weights_;
  std::string control_endpoint_;
  int unroll_port_ = 0;
  int weights_port_ = 0;
  wire::Sender sender_;
  std::optional<wire::WeightsPayload> current_;
  std::map<int64_t, ActorState> actors_;
  std::map<std::string, int64_t> drops_;
  int64_t bytes_received_ = 0;
  int64_t declared_dead_ = 0;
  std::string last_actor_error_;
  std::vector<int64_t> dead_pids_;
  std::chrono::steady_clock::time_point last_liveness_check_;
};

}  // namespace rl
