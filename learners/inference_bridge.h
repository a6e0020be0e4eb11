// The learner's inference for actors on other hosts (runtime.inference:
// learner), SEED RL's placement: a ROUTER socket takes each remote actor's
// step ("act": observations, episode starts, the previous step's rewards
// and actions), writes it into that actor's slot of an inference board held
// in this process, and answers ("acted") once the learner's inference server
// has run the batch. The board keeps each actor's core state, so the actors
// carry none; the server is the same as for the learner's own host
// (actors/inference_server.h), on its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "learners/stage_queue.h"
#include "rl/wire/curve.h"
#include "rl/wire/inference_board.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"

namespace rl {

struct InferenceBridgeConfig {
  std::string bind_host = "127.0.0.1";
  int port = 0;                      // 0: a free port
  std::string run_id;
  wire::InferenceLayout layout;      // slots: actor ids served (runtime.max_actors)
  std::optional<wire::CurveKeyPair> curve_server;
  double idle_release_seconds = 2.0;  // an active slot silent this long stops holding up batches
};

class InferenceBridge {
 public:
  // Binds the socket and makes the board; starts nothing.
  explicit InferenceBridge(InferenceBridgeConfig config);
  ~InferenceBridge();  // stop()

  int port() const { return port_; }
  wire::InferenceBoard& board() { return board_; }
  // An eventfd the server writes after each pass, which wakes the bridge.
  int answered_fd() const { return answered_fd_; }

  void start();
  void stop();

  int64_t requests() const { return requests_.load(); }
  int64_t dropped() const { return dropped_.load(); }
  const StageFailure& failure() const { return failure_; }

 private:
  void run();
  // One "act": into its slot, or dropped (and the peer told why) when it
  // breaks the protocol.
  void take_request(std::string identity, wire::Frames frames);
  void answer_ready();
  void refuse(const std::string& identity, const std::string& reason);

  InferenceBridgeConfig config_;
  wire::Socket socket_;
  int port_ = 0;
  wire::InferenceBoard board_;
  int answered_fd_ = -1;
  wire::Sender sender_;
  struct Waiting {
    std::string identity;  // empty: no request in the board
    int64_t step = 0;
    bool closing = false;  // the actor's last step of an unroll: idle after the answer
    std::chrono::steady_clock::time_point last{};
  };
  std::vector<Waiting> waiting_;  // per slot
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> requests_{0}, dropped_{0};
  StageFailure failure_;
};

}  // namespace rl
