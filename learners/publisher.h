// The learner's last stage: weights out. The updater hands each new version
// over and goes on; the publisher serializes the newest one it finds (a
// version superseded before the publisher got to it is skipped, never
// encoded) and delivers it two ways:
//   - to this host's actors through a weights board in shared memory
//     (rl/wire/weights_board.h): no socket, no copy per actor;
//   - to actors and host relays on other hosts, on request: a `want` on the
//     weights socket (ROUTER, PORT + 2) is answered with the first version
//     newer than the one the requester has, now or when it exists. A
//     requester asks again only after it loaded what it got, so no host is
//     sent a version it will not use, and none more than one per unroll it
//     starts (docs/wire-protocol.md, "Weights").
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "learners/stage_queue.h"
#include "rl/wire/curve.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"
#include "rl/wire/wakeup.h"
#include "rl/wire/weights_board.h"

namespace rl {

struct PublisherConfig {
  std::string run_id;
  std::string bind_host = "127.0.0.1";  // the interface of the learner's other sockets
  int port = 0;                         // weights socket port (0: any free one)
  wire::DType dtype = wire::DType::kFloat32;  // parameters on the wire: f32, f16 or bf16
  bool board = true;                    // a weights board for this host's actors
  std::optional<wire::CurveKeyPair> curve_server;
};

class Publisher {
 public:
  // Binds the weights socket and publishes `initial` (the learner's weights
  // before its first update), which also sizes the board.
  Publisher(PublisherConfig config, wire::WeightsPayload initial);
  ~Publisher();  // stop()

  int port() const { return port_; }
  // The board's descriptor, for local actors to inherit (-1 without one).
  int board_fd() const { return board_ ? board_->fd() : -1; }

  void start();
  void stop();

  // Why the publisher's thread stopped, if an exception escaped it.
  const StageFailure& failure() const { return failure_; }

  // From the updater: the newest weights. Never waits.
  void publish(wire::WeightsPayload weights);

  int64_t versions_published() const { return published_.load(); }
  int64_t versions_skipped() const { return skipped_.load(); }
  int64_t bytes_sent() const { return bytes_sent_.load(); }       // on the weights socket
  int64_t copies_sent() const { return copies_sent_.load(); }     // weights messages on the socket
  int64_t version() const { return version_.load(); }
  // This learner process's incarnation, carried by its weights (WeightsPayload::epoch).
  int64_t epoch() const { return epoch_; }

 private:
  void encode(wire::WeightsPayload&& weights);
  void serve(int timeout_ms);
  void send_to(const std::string& identity);

  PublisherConfig config_;
  wire::Socket socket_;
  wire::Wakeup wakeup_;
  std::optional<wire::WeightsBoard> board_;
  int port_ = 0;
  wire::Sender sender_;
  Latest<wire::WeightsPayload> incoming_;
  wire::Frames current_;                    // the newest version, serialized
  std::map<std::string, int64_t> waiting_;  // requester -> the version it has
  std::atomic<int64_t> version_{-1}, published_{0}, skipped_{0}, bytes_sent_{0}, copies_sent_{0};
  static int64_t new_epoch();
  const int64_t epoch_ = new_epoch();
  std::thread thread_;
  std::atomic<bool> running_{false};
  StageFailure failure_;
};

}  // namespace rl
