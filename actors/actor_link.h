// An actor process's line to its learner, on a thread of its own, so that
// the thread that steps envs never touches a socket: heartbeats go out (and
// the learner's silence is noticed) while an unroll is being collected,
// the unroll just collected is sent while the next one is, credits are
// counted as they come, and weights requested from the learner's weights
// socket arrive and are decoded here, the newest replacing any older one.
//
//   control DEALER <-> learner ROUTER: heartbeat, credit, stop, error
//   unroll PUSH     -> learner PULL
//   weights DEALER <-> learner weights ROUTER: want / weights or current
//                      (when this actor has no weights board of its host)
//
// Weights by request: an asynchronous actor asks for the newest version as
// each credit arrives (the moment before the unroll it allows), so it
// receives at most one version per unroll and only versions newer than its
// own; the collector waits for that answer (one round trip, which overlaps
// the previous unroll whenever the actor holds a spare credit).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "rl/data/unroll.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"
#include "rl/wire/wakeup.h"
#include "rl/wire/weights_board.h"

namespace rl {

struct ActorLinkConfig {
  std::string unroll_endpoint;   // tcp://HOST:PORT of the learner's PULL
  std::string weights_endpoint;  // tcp://HOST:PORT of the learner's weights socket ("" : a board is used)
  int64_t actor_id = 0;
  double heartbeat_seconds = 1;
  double timeout_seconds = 15;   // learner silence after which the link gives up
  int send_queue = 4;            // PUSH high-water mark
  std::optional<wire::CurveKeyPair> curve;  // this actor's keys, with the learner's public key
  std::string curve_server_key;
  // A host agent's board: every arriving credit takes a ticket on it and
  // wakes the relay (demand_fd), which fetches the newest version meanwhile.
  wire::WeightsBoard* demand_board = nullptr;
  int demand_fd = -1;
};

class ActorLink {
 public:
  // Takes over `control` (connected, past hello/config) and connects the rest.
  ActorLink(ActorLinkConfig config, wire::Socket control, wire::Sender sender);
  ~ActorLink();  // stops the thread

  void start();

  // ---- The collecting thread ----
  // Waits up to `seconds` for a credit and takes it; false on timeout or
  // when the link has finished.
  bool take_credit(double seconds);
  // Hands over a collected unroll: encoded on the link's thread, after which
  // `unroll` may be refilled (the call waits for the previous hand-over to
  // be encoded first). False when the link has finished.
  bool send(const Unroll& unroll);
  // Asks the learner for weights newer than `have` (remote weights only);
  // `wait`: the answer comes when such a version exists (PPO).
  // `epoch`: the epoch `have` counts in (the loaded weights').
  void request_weights(int64_t have, bool wait, int64_t epoch = 0);
  // Waits up to `seconds` for the answer to a pending request, then returns
  // the newest weights received and not yet taken, if any (newer ones
  // replace older ones unseen).
  std::optional<wire::WeightsPayload> take_weights(double seconds);
  // Asynchronous actors: ask for weights newer than the loaded version at
  // every credit that arrives (on by default once `loaded` was called).
  void loaded(int64_t version, int64_t epoch);
  // Reports an error to the learner (why this actor stops).
  void report_error(const std::string& reason);

  // The ticket of the last credit's demand on the host board (0: none).
  uint32_t last_ticket() const { return last_ticket_.load(); }

  // Why the link ended: an ActorExit code, or -1 while it runs.
  int exit_code() const { return exit_code_.load(); }
  bool finished() const { return exit_code_.load() >= 0; }

 private:
  void run();
  void finish(int code);
  void handle_control(wire::Frames frames);

  ActorLinkConfig config_;
  wire::Socket control_;
  wire::Socket unrolls_;
  std::optional<wire::Socket> weights_;
  wire::Sender sender_;
  wire::Wakeup wakeup_;

  std::mutex mutex_;
  std::condition_variable changed_;
  int64_t credits_ = 0;
  const Unroll* outgoing_ = nullptr;          // handed over, not yet encoded
  std::optional<wire::WeightsPayload> weights_in_;
  struct Want {
    int64_t have = -1;
    bool wait = false;
    int64_t epoch = 0;
  };
  std::optional<Want> want_out_;              // a request to send
  bool request_pending_ = false;              // sent (or to send), not yet answered
  int64_t loaded_version_ = -2;               // the collector's (-2: before the first load)
  int64_t loaded_epoch_ = 0;                  // the epoch of the loaded weights
  std::string error_out_;                     // an error to send

  std::atomic<uint32_t> last_ticket_{0};
  std::atomic<int> exit_code_{-1};
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace rl
