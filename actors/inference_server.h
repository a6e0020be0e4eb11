// InferenceServer: runs one host's actors' policy in batches, over an
// inference board (rl/wire/inference_board.h), with the newest weights of
// the host's weights board. It answers whatever requests are waiting, after
// waiting a bounded time for more (adaptive batching: up to a number of
// rows, within a latency bound), as Sample Factory's policy workers do.
//
// It runs as a process of its own (runtime.inference: host; the training
// program or a host agent starts and supervises it) or on a thread of the
// learner's process (runtime.inference: learner, for the actors on the
// learner's host). It keeps nothing an actor needs: core states live in the
// board, so a restarted server carries on where the last one stopped.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <cstdint>
#include <vector>

#include "actors/policy_actor.h"
#include "rl/wire/inference_board.h"
#include "rl/wire/socket.h"
#include "rl/wire/weights_board.h"

namespace rl {

struct ActorOptions;

struct InferenceServerConfig {
  int max_rows = 0;             // rows per forward pass (0: every slot's rows)
  double wait_seconds = 0.002;  // after the first request, how long to wait for the others
  int threads = 1;              // a forward pass's rows are split over this many threads
  int answered_fd = -1;         // an eventfd written after each pass (the learner's bridge to remote actors)
  // Where a CNN or a core runs ("cpu", "cuda", "cuda:N"); MLPs without a
  // core stay on the CPU's fast path.
  std::string device = "cpu";
};

class InferenceServer {
 public:
  InferenceServer(wire::InferenceBoard& board, const wire::WeightsBoard& weights, const EnvSpec& spec,
                  const PolicyConfig& policy, const NormalizeConfig& normalize, uint64_t seed,
                  InferenceServerConfig config);
  ~InferenceServer();

  // Answers one batch of requests, waiting up to `timeout_seconds` for the
  // first; false when none came (or no weights did).
  bool serve_batch(double timeout_seconds);
  // Serves until `stop` is set.
  void run(const std::atomic<bool>& stop);

 private:
  // The slots of the coming batch: those waiting now, then those that come
  // within the latency bound, up to max_rows.
  std::vector<int> gather_requests(double timeout_seconds);
  // The policy config the server runs: on libtorch or the actors' kernels,
  // whichever is faster for a CNN at the server's batch size.
  PolicyConfig faster_path(const EnvSpec& spec, const PolicyConfig& policy, const NormalizeConfig& normalize) const;
  // Loads the board's newest weights; false when they are below `min_sequence`.
  bool load_weights(int64_t min_sequence);
  // One forward pass over the gathered rows, split over the threads.
  void forward(int64_t rows);
  void forward_part(int part, int64_t rows);
  void helper_loop(int part);

  wire::InferenceBoard& board_;
  const wire::WeightsBoard& weights_;
  // A copy of the policy per thread (each with its own sampling stream).
  std::vector<std::unique_ptr<PolicyActor>> policies_;
  InferenceServerConfig config_;
  // The threads beyond the caller's, each running its part of a pass.
  std::vector<std::thread> helpers_;
  std::mutex mutex_;
  std::condition_variable work_, done_;
  uint64_t pass_ = 0;   // forward passes handed to the helpers
  int64_t pass_rows_ = 0;
  int parts_left_ = 0;
  bool quit_ = false;
  int64_t weights_seen_ = -1;  // the weights board's sequence loaded
  bool have_weights_ = false;
  wire::Frames frames_;
  std::vector<float> obs_, state_, log_probs_, values_, box_;
  std::vector<int64_t> discrete_;
};

// The inference process of a host (--inference-fd, --serve-inference):
// builds the policy from the run's config on the board, announces itself
// and serves until SIGTERM. Returns an ActorExit code.
int run_inference_server(const ActorOptions& options);

}  // namespace rl
