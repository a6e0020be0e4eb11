// An actor process's line to its learner, on a thread of its own, so that
// the thread that steps envs never touches a socket: heartbeats go out (and
// the learner's silence is noticed) while an unroll is being collected,
// the unroll just collected is sent while the next one is, credits are
// counted as they come, and weights requested from the learner's weights
// socket arrive and are decoded here, the newest replacing any older one.
//
//   control DEALER <-> learner ROUTER: heartbeat, credit, stop, error
//   unroll PUSH     -> learner PULL
//   weights DEALER <-> learner weights ROUTER: want / weights (when this
//                      actor has no weights board of its host)
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
  // The newest weights received and not yet taken (remote weights only),
  // waiting up to `seconds`; newer ones replace older ones unseen.
  std::optional<wire::WeightsPayload> take_weights(double seconds);
  // The collector loaded `version`: ask the learner for the next one.
  void loaded(int64_t version);
  // Reports an error to the learner (why this actor stops).
  void report_error(const std::string& reason);

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
  int64_t want_after_ = -2;                   // a want to send: the version loaded (-2: none)
  std::string error_out_;                     // an error to send

  std::atomic<int> exit_code_{-1};
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace rl
