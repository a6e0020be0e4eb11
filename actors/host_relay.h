// One subscriber per host: the weights relay of a host agent
// (`--role actor --actors N`). It asks the learner for weights on behalf of
// every actor of its host and puts what it gets on the host's weights
// board, so that the learner sends a host one copy of a version however
// many actors run there.
//
// Asynchronous algorithms: an actor about to start an unroll takes a ticket
// on the board and signals the relay (an eventfd); the relay asks for the
// newest version (`want`, no wait), publishes the answer and marks the
// tickets up to its request answered. A version reaches the host only when
// one of its actors starts an unroll, so the host receives at most one
// version per unroll it collects (usually far fewer: one request serves
// every actor that asked meanwhile).
// Synchronous algorithms (PPO): every actor needs every version, so the
// relay keeps one waiting request open and publishes each version.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "rl/wire/curve.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"
#include "rl/wire/weights_board.h"

namespace rl {

struct HostRelayConfig {
  std::string weights_endpoint;  // tcp://HOST:PORT of the learner's weights socket
  std::string run_id;
  bool sync = false;
  std::optional<wire::CurveKeyPair> curve;  // the host's keys, with the learner's public key
  std::string curve_server_key;
  // The weights already on the board (the first ones): their learner
  // version and epoch.
  int64_t version = -1;
  int64_t epoch = 0;
};

// The board's own sequence numbers order what the relay publishes, not the
// learner's versions: a learner resumed from a checkpoint (a new epoch)
// counts versions from below what the board had, and its weights must still
// reach the actors.
class HostRelay {
 public:
  // `socket`: a DEALER connected to the weights socket (already used for the
  // first weights); `demand_fd`: the eventfd actors signal.
  HostRelay(HostRelayConfig config, wire::Socket socket, wire::WeightsBoard& board, int demand_fd);
  ~HostRelay();  // stop()

  void start();
  void stop();

  int64_t versions_received() const { return versions_.load(); }
  int64_t requests_sent() const { return requests_.load(); }

 private:
  void run();
  void request(bool wait);

  HostRelayConfig config_;
  wire::Socket socket_;
  wire::WeightsBoard& board_;
  int demand_fd_;
  wire::Sender sender_;
  int64_t learner_version_ = -1, epoch_ = 0;  // of the weights on the board (relay thread)
  uint32_t answered_at_start_ = 0;            // the board's demand when the relay was made
  std::atomic<int64_t> versions_{0}, requests_{0};
  std::atomic<bool> running_{false};
  std::thread thread_;
};

// Fetches the first weights message over `socket` (a DEALER connected to the
// weights socket), waiting up to `seconds`: the frames, or nullopt.
std::optional<wire::Frames> fetch_first_weights(wire::Socket& socket, const std::string& run_id, double seconds);

}  // namespace rl
