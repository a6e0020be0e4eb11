// What the learner process runs for its actors: CURVE keys and their
// authenticator, the hub, the batcher and the publisher on their threads,
// and the supervisor of the local actor processes. The runner (training.cc)
// builds one, starts it, calls supervise() while the updater trains, and
// shuts it down; the updater sees it as a BatchSource and a place to
// publish weights.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "learners/batcher.h"
#include "learners/hub.h"
#include "learners/inference_bridge.h"
#include "learners/publisher.h"
#include "rl/runtime/metrics.h"
#include "rl/runtime/supervisor.h"
#include "rl/wire/curve.h"
#include "rl/wire/inference_board.h"

namespace rl {

struct ActorServiceConfig {
  std::string label;              // log prefix, "[impala CartPole-v1]"
  HubConfig hub;                  // bind, ports, pinned shape, liveness, flow control
  BatcherConfig batcher;
  PublisherConfig publisher;      // its port: runtime.weights_port
  int local_actors = 0;           // actor processes this program starts
  std::string actor_program;      // what they run ("": this program; rl_actor for fast-path policies)
  int max_restarts = 5;
  bool serve_remote = false;      // --role learner: remote actors may be all there is
  std::string curve_secret_key;   // key files (runtime.curve_*), both or neither
  std::string curve_authorized_keys;
  // runtime.inference for the local actors: actor (each runs its policy),
  // host (an inference process of `inference_program`, supervised here, runs
  // it for them) or learner (`serve_inference`, on a thread of this process).
  std::string inference = "actor";
  wire::InferenceLayout inference_layout;  // slots: local_actors
  std::string inference_program;
  // The learner placement's server: serves `board` with the weights of the
  // weights board behind `weights_fd` until `stop` is set.
  // `answered_fd` (or -1) is written after each pass.
  std::function<void(wire::InferenceBoard& board, int weights_fd, int answered_fd, const std::atomic<bool>& stop)>
      serve_inference;
};

class ActorService {
 public:
  // Binds every socket and publishes `initial_weights`; starts nothing yet.
  ActorService(ActorServiceConfig config, wire::WeightsPayload initial_weights,
               const std::atomic<int64_t>& learner_version);
  ~ActorService();  // shutdown()

  const std::string& control_endpoint() const { return hub_->control_endpoint(); }
  const std::string& bound_endpoint() const { return hub_->bound_endpoint(); }
  BatchSource& batches() { return *batcher_; }
  void publish(wire::WeightsPayload weights) { publisher_->publish(std::move(weights)); }

  // Starts the stages' threads and the local actor processes.
  void start();
  // From the runner's loop: restarts dead local actors (telling the hub, so
  // that a restarted actor keeps its id), kills stalled ones. Throws when no
  // actor is left and none can come back.
  void supervise();
  // Live actors, and how many the run waits for before its first update.
  int live_actors() const { return static_cast<int>(hub_->live_actors().size()); }
  int wanted_actors() const;
  MetricRow metrics() const;
  // The learner's watchdog (runtime.stall_seconds): what the hub has seen,
  // to say why no batch formed since the counts in `since` were taken.
  struct FlowCounts {
    int64_t accepted = 0;
    std::map<std::string, int64_t> drops;
  };
  FlowCounts flow_counts() const { return {hub_->unrolls_accepted(), hub_->drops()}; }
  std::string stall_reason(const FlowCounts& since) const;
  // The first stage thread (hub, batcher, publisher) that stopped on an
  // exception, with it: "hub: ...". The runner ends the run with it.
  std::optional<std::string> stage_failure() const;
  // Rank 0 of a group: where the other ranks are (hub.h, set_ranks).
  void set_ranks(std::vector<RankRoute> ranks) { hub_->set_ranks(std::move(ranks)); }
  // Stops actors (a stop message, then signals), reaps every local actor
  // process, and stops the stages. Idempotent.
  void shutdown();
  // Kills every local actor process at once and reaps it (a second stop signal).
  void kill_all() {
    if (supervisor_) supervisor_->stop_all(0.0);
    if (inference_supervisor_) inference_supervisor_->stop_all(0.0);
  }
  // The local inference server's process, or -1 (runtime.inference host).
  pid_t inference_server_pid() const { return inference_board_ ? inference_board_->server() : -1; }

 private:
  struct LocalKeys;
  // Makes the local actors' inference board and starts its server.
  void start_inference(const std::vector<std::string>& actor_args);
  ActorServiceConfig config_;
  std::unique_ptr<LocalKeys> keys_;
  std::unique_ptr<wire::CurveAuthenticator> authenticator_;
  BoundedQueue<Delivery> deliveries_;
  std::unique_ptr<Hub> hub_;
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<Batcher> batcher_;
  std::unique_ptr<ActorSupervisor> supervisor_;
  // runtime.inference host or learner: the local actors' board, and its
  // server's process (host) or thread (learner).
  std::optional<wire::InferenceBoard> inference_board_;
  std::unique_ptr<ActorSupervisor> inference_supervisor_;
  std::thread inference_thread_;
  // runtime.inference learner: remote actors' steps over the wire, and the
  // server thread of its board.
  std::unique_ptr<InferenceBridge> bridge_;
  std::thread bridge_server_;
  std::atomic<bool> inference_stop_{false};
  std::exception_ptr inference_failure_;
  bool shut_down_ = false;
};

}  // namespace rl
