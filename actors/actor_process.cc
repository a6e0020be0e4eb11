#include "actors/actor_process.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "actors/actor_link.h"
#include "actors/actor_view.h"
#include "actors/host_agent.h"
#include "actors/inference_server.h"
#include "actors/remote_inference.h"
#include "actors/rollout_worker.h"
#include "envs/builtin.h"
#ifndef RL_ACTOR_NO_TORCH
#include "rl/nn/threads.h"  // libtorch's and OpenBLAS's threads
#endif
#include "rl/env/plugin.h"
#include "rl/runtime/config.h"
#include "rl/runtime/run_config.h"
#include "rl/runtime/supervisor.h"
#include "rl/wire/curve.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"
#include "rl/wire/weights_board.h"
#include "rl/runtime/logging.h"

namespace rl {
namespace {

using Clock = std::chrono::steady_clock;
using wire::Frames;
using wire::Socket;
using wire::SocketType;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Loads the newest weights there are into the worker's policy: from the
// host's weights board (local and host-agent actors) or from what the link
// received (remote actors). A version is loaded if newer than the worker's,
// or of another learner incarnation (epoch): a resumed learner's versions
// may be below the ones this actor had.
class WeightsIntake {
 public:
  WeightsIntake(RolloutWorker& worker, ActorLink& link, wire::WeightsBoard* board, int64_t actor_id)
      : worker_(worker), link_(link), board_(board), actor_id_(actor_id) {}

  bool have() const { return have_; }
  int64_t epoch() const { return epoch_; }
  // The version of the last unroll sent: PPO sends one per version. A new
  // incarnation's weights reset it.
  int64_t last_sent_version = -1;

  // Waits up to `wait_seconds` for a newer version when there is none.
  void load_newest(double wait_seconds) {
    const int64_t have = have_ ? worker_.policy().version() : -1;
    try {
      if (board_) {
        if (wait_seconds > 0) board_->wait_newer(board_seen_, wait_seconds);
        const auto version = board_->read_newer(board_seen_, board_frames_);
        if (!version) return;
        board_seen_ = *version;  // a version that fails to load is not retried
        const wire::WeightsPayload payload = wire::decode_weights(wire::parse(std::move(board_frames_)));
        worker_.policy().load(payload);
        loaded(payload);
        board_->count_load();
      } else {
        auto payload = link_.take_weights(wait_seconds);
        if (!payload || (have_ && payload->epoch == epoch_ && payload->version <= have)) return;
        worker_.policy().load(*payload);
        loaded(*payload);
        link_.loaded(payload->version, payload->epoch);
      }
      if (!have_) {
        logf(LogLevel::kInfo, "actor %lld: ready to collect %.0f ms after its start (first weights, version %lld)\n",
             static_cast<long long>(actor_id_), 1e3 * process_age_seconds(),
             static_cast<long long>(worker_.policy().version()));
      }
      have_ = true;
    } catch (const std::exception& e) {
      // A bad version is skipped; the next one replaces it.
      logf(LogLevel::kWarn, "actor %lld: dropped bad weights: %s\n", static_cast<long long>(actor_id_), e.what());
      if (!board_) link_.loaded(have, epoch_);
    }
  }

 private:
  void loaded(const wire::WeightsPayload& payload) {
    if (have_ && payload.epoch != epoch_) {
      logf(LogLevel::kInfo, "actor %lld: weights of a new learner incarnation (version %lld)\n",
           static_cast<long long>(actor_id_), static_cast<long long>(payload.version));
      last_sent_version = -1;
    }
    epoch_ = payload.epoch;
  }

  RolloutWorker& worker_;
  ActorLink& link_;
  wire::WeightsBoard* board_;
  int64_t actor_id_;
  bool have_ = false;
  int64_t epoch_ = 0;        // of the loaded weights
  int64_t board_seen_ = -1;  // the newest board version read, loaded or not
  wire::Frames board_frames_;
};

class Actor {
 public:
  explicit Actor(const ActorOptions& options) : options_(options), control_(SocketType::kDealer) {}

  int run() {
    if (options_.curve_key_file.empty() != options_.curve_server_key_file.empty()) {
      throw std::invalid_argument("--curve-key and --curve-server-key go together");
    }
    if (!options_.curve_key_file.empty()) {
      curve_ = wire::read_curve_key_file(options_.curve_key_file, /*need_secret=*/true);
      curve_server_key_ = wire::read_curve_key_file(options_.curve_server_key_file, false).public_key;
    }
    auto lost_at = Clock::now();
    for (int attempt = 0;; ++attempt) {
      if (attempt > 0) {
        // A fresh socket: the old one may hold messages for the dead learner.
        control_ = Socket(SocketType::kDealer);
      }
      // Say at once why the learner cannot be reached, rather than wait for
      // a config that cannot come.
      const std::string unreachable = wire::probe_endpoint(options_.learner, 2.0);
      int code = kActorLearnerSilent;
      if (unreachable.empty()) {
        code = join_and_serve();
      } else {
        logf(LogLevel::kError, "actor: cannot reach the learner at %s: %s%s", options_.learner.c_str(),
             unreachable.c_str(), options_.reconnect_seconds > 0 ? "; trying again" : "");
      }
      if (code != kActorLearnerSilent || options_.reconnect_seconds <= 0) return code;
      if (served_) {
        lost_at = Clock::now();  // it was working until now: a new window
        served_ = false;
      }
      if (seconds_since(lost_at) > options_.reconnect_seconds) {
        logf(LogLevel::kError, "actor: no learner at %s for %.0f s; giving up", options_.learner.c_str(),
             options_.reconnect_seconds);
        return code;
      }
      if (unreachable.empty()) {
        logf(LogLevel::kWarn, "actor: lost the learner at %s; trying to rejoin", options_.learner.c_str());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(unreachable.empty() ? 500 : 1000));
    }
  }

 private:
  // hello, config, then serve() until stopped or the learner goes silent.
  // In a learner group, rank 0 may answer `assign` instead: the actor then
  // says hello to the rank it names (and stays there).
  int join_and_serve() {
    endpoint_ = options_.learner;
    // Actors the learner started on its own host stay with their rank.
    bool assignable = !(options_.weights_fd >= 0 && options_.weights_signal_fd < 0);
    for (int hop = 0;; ++hop) {
      if (hop > 0) control_ = Socket(SocketType::kDealer);
      // Unique across hosts and containers (where every actor may be pid 1).
      control_.set_routing_id("actor-" + std::to_string(options_.actor_id) + "-" + std::to_string(::getpid()) +
                              "-" + std::to_string(joins_++) + "-" + std::to_string(std::random_device{}()));
      secure(control_);
      control_.connect(endpoint_);
      sender_.run = options_.run_id;
      sender_.from = "actor-" + std::to_string(options_.actor_id);
      wire::WireMessage hello = sender_.start("hello");
      hello.body = {{"actor_id", options_.actor_id},
                    {"pid", static_cast<int64_t>(::getpid())},
                    {"assignable", assignable}};
      control_.send(wire::serialize(std::move(hello)), 1000);
      const double wait = options_.reconnect_seconds > 0 ? std::min(options_.connect_timeout_seconds, 5.0)
                                                        : options_.connect_timeout_seconds;
      std::optional<wire::WireMessage> config = wait_control({"config", "assign"}, wait);
      if (!config) {
        logf(LogLevel::kError,
             "actor: %s accepts connections but sent no config within %.0f s (a learner of another protocol, or "
             "CURVE keys it does not accept: --curve-key, --curve-server-key)",
             endpoint_.c_str(), wait);
        return kActorLearnerSilent;
      }
      if (config->kind == "error") {
        logf(LogLevel::kError, "actor: the learner refused: %s\n", config->get_string("reason").c_str());
        return kActorRefused;
      }
      if (config->kind == "assign" && hop == 0) {
        endpoint_ = config->get_string("endpoint");
        assignable = false;
        logf(LogLevel::kInfo, "actor: assigned to the learner at %s\n", endpoint_.c_str());
        continue;
      }
      if (config->kind != "config") {
        logf(LogLevel::kError, "actor: %s answered %s, not a config\n", endpoint_.c_str(), config->kind.c_str());
        return kActorRefused;
      }
      served_ = true;
      return serve(*config);
    }
  }

  // Makes `socket` a CURVE client of the learner when keys were given.
  void secure(Socket& socket) {
    if (curve_) socket.set_curve_client(curve_server_key_, *curve_);
  }

  // The next control message of one of `kinds` (or an error), within `seconds`.
  std::optional<wire::WireMessage> wait_control(const std::vector<std::string>& kinds, double seconds) {
    const auto start = Clock::now();
    while (seconds_since(start) < seconds) {
      auto frames = control_.receive(100);
      if (!frames) continue;
      try {
        wire::WireMessage m = wire::parse(std::move(*frames));
        if (m.kind == "error" || std::find(kinds.begin(), kinds.end(), m.kind) != kinds.end()) return m;
      } catch (const wire::WireError& e) {
        logf(LogLevel::kWarn, "actor: dropped a bad control message: %s", e.what());
      }
    }
    return std::nullopt;
  }

  int serve(const wire::WireMessage& config) {
    const int64_t actor_id = config.get_int("actor_id");
    const int64_t incarnation = config.get_int("incarnation");
    sender_.run = config.run;
    sender_.from = "actor-" + std::to_string(actor_id);

    ActorView view;
    apply_yaml(fields_of(view), config.get_string("config_yaml"), "learner config", /*ignore_unknown=*/true);
#ifndef RL_ACTOR_NO_TORCH
    set_compute_threads(1);  // one actor, one core: no BLAS thread pool
#endif
    EnvRegistry registry;
    envs::register_builtin_envs(registry);
    for (const auto& plugin : view.run.plugin_paths()) load_env_plugin(plugin, registry);
    // Every actor, every restart of one, and every learner's actors (the
    // learner's seed differs per group member) get streams of their own.
    const uint64_t seed = derive_seed(static_cast<uint64_t>(config.get_int("seed")),
                                      static_cast<uint64_t>(actor_id) * 4096 + static_cast<uint64_t>(incarnation));
    std::unique_ptr<RolloutWorker> made;
    remote_.reset();  // a config of this join decides
    try {
      if (options_.inference_fd >= 0) {
        // The host's inference server acts: this actor only steps envs.
        if (options_.weights_fd < 0) throw std::invalid_argument("--inference-fd needs --weights-fd");
        if (!inference_board_) inference_board_.emplace(wire::InferenceBoard::attach(options_.inference_fd));
        const wire::InferenceLayout& layout = inference_board_->layout();
        if (layout.rows != view.rollout.num_envs) {
          throw std::invalid_argument("the inference board has slots of " + std::to_string(layout.rows) +
                                      " envs, and the run has rollout.num_envs " + std::to_string(view.rollout.num_envs));
        }
        inference_.emplace(*inference_board_, inference_board_->claim(::getpid()),
                           view.runtime.inference_timeout_seconds);
      } else if (config.body.count("inference_port") && options_.weights_fd < 0) {
        // runtime.inference learner, on another host: each step's actions
        // come from the learner over the wire.
        const std::string host = wire::endpoint_host(endpoint_);
        remote_.emplace(RemoteInferenceConfig{
            .endpoint = "tcp://" + host + ":" + std::to_string(config.get_int("inference_port")),
            .run_id = config.run,
            .actor_id = actor_id,
            .rows = view.rollout.num_envs,
            .obs_size = config.get_int("obs_size"),
            .action_floats = config.get_int("action_floats"),
            .state_size = config.get_int("core_state_size"),
            .timeout_seconds = view.runtime.inference_timeout_seconds,
            .curve = curve_,
            .curve_server_key = curve_server_key_});
      }
      wire::StepInference* steps = inference_ ? static_cast<wire::StepInference*>(&*inference_)
                                              : remote_ ? static_cast<wire::StepInference*>(&*remote_) : nullptr;
      made = std::make_unique<RolloutWorker>(registry, view.run.env, view.run.parsed_env_options(), view.rollout,
                                             view.policy, view.normalize, seed, actor_id, steps);
    } catch (const std::exception& e) {
      // An env or a policy this actor cannot make (rl_actor and a CNN, a
      // missing plugin): the learner hears why, and this actor ends.
      return refuse(actor_id, e.what());
    }
    RolloutWorker& worker = *made;
    worker.set_incarnation(incarnation);
    if (worker.spec().obs_size() != config.get_int("obs_size") ||
        worker.spec().action_space.to_string() != config.get_string("action_space")) {
      return refuse(actor_id, "env " + worker.spec().id + " here has other spaces than the learner's");
    }

    std::optional<wire::WeightsBoard> board;
    if (options_.weights_fd >= 0) board.emplace(wire::WeightsBoard::attach(options_.weights_fd));
    ActorLink link(link_config(config, view, board ? &*board : nullptr), std::move(control_), sender_);
    control_ = Socket(SocketType::kDealer);  // the link owns the joined one now
    link.start();
    if (inference_) return collect_with_server(config, worker, link, *board);
    if (remote_) return collect_with_learner(config, worker, link, *remote_);
    WeightsIntake weights(worker, link, board ? &*board : nullptr, actor_id);
    return collect_and_send(config, worker, link, weights, board ? &*board : nullptr);
  }

  // Tells the learner why this actor cannot serve its run, and ends.
  int refuse(int64_t actor_id, const std::string& reason) {
    logf(LogLevel::kError, "actor %lld: %s\n", static_cast<long long>(actor_id), reason.c_str());
    control_.send(wire::serialize(wire::make_error(sender_, reason)), 1000);
    control_.set_linger(1000);
    return kActorFailed;
  }

  // Where the link sends unrolls and gets weights (none: the board has them).
  ActorLinkConfig link_config(const wire::WireMessage& config, const ActorView& view,
                              wire::WeightsBoard* board) const {
    const std::string host = wire::endpoint_host(endpoint_);
    return {.unroll_endpoint = "tcp://" + host + ":" + std::to_string(config.get_int("unroll_port")),
            // No weights for an actor the learner's inference serves.
            .weights_endpoint = board || remote_ ? ""
                                                 : "tcp://" + host + ":" + std::to_string(config.get_int("weights_port")),
            .actor_id = config.get_int("actor_id"),
            .heartbeat_seconds = config.get_double("heartbeat_seconds"),
            .timeout_seconds = config.get_double("timeout_seconds"),
            .send_queue = std::max<int>(4, view.runtime.unroll_queue + 2),
            .curve = curve_,
            .curve_server_key = curve_server_key_,
            .demand_board = board && options_.weights_signal_fd >= 0 ? board : nullptr,
            .demand_fd = options_.weights_signal_fd};
  }

  // One unroll; false when the env keeps failing (rollout.env_error_limit),
  // after telling the learner why, so that its error says it.
  static bool collect_or_report(RolloutWorker& worker, ActorLink& link, Unroll& unroll, int64_t actor_id) {
    try {
      worker.collect(unroll);
      return true;
    } catch (const std::exception& e) {
      logf(LogLevel::kError, "actor %lld: %s\n", static_cast<long long>(actor_id), e.what());
      link.report_error(e.what());
      return false;
    }
  }

  // The actor's loop: newest weights, one unroll, send it; until the link
  // ends (the learner's stop, its loss) or the env keeps failing.
  int collect_and_send(const wire::WireMessage& config, RolloutWorker& worker, ActorLink& link,
                       WeightsIntake& weights, wire::WeightsBoard* board) {
    const int64_t actor_id = config.get_int("actor_id");
    const bool sync = config.get_bool("sync");
    const bool credits = config.body.count("credits") ? config.get_bool("credits") : !sync;
    Unroll buffers[2];
    int next_buffer = 0;
    if (!board) link.request_weights(-1, /*wait=*/true);  // the first weights
    while (!link.finished()) {
      if (sync) {
        // PPO: one unroll per version, with weights newer than the last.
        weights.load_newest(0);
        if (!weights.have() || worker.policy().version() <= weights.last_sent_version) {
          weights.load_newest(0.05);
          continue;
        }
      } else {
        if (!weights.have()) {
          weights.load_newest(0.05);
          continue;
        }
        if (credits && !link.take_credit(0.05)) continue;
        // The newest at the start of this unroll: on the board (a relayed
        // board once the relay answered this credit's ticket), or the answer
        // to the request its credit set off (asynchronous remote actors).
        if (board && options_.weights_signal_fd >= 0 && link.last_ticket() != 0) {
          board->wait_answered(link.last_ticket(), 1.0);
        }
        weights.load_newest(board ? 0 : 1.0);
      }
      Unroll& unroll = buffers[next_buffer];
      next_buffer = 1 - next_buffer;
      if (!collect_or_report(worker, link, unroll, actor_id)) return kActorFailed;
      weights.last_sent_version = unroll.policy_version;
      if (!link.send(unroll)) break;
      if (sync && !board) link.request_weights(weights.last_sent_version, /*wait=*/true, weights.epoch());
    }
    return link.exit_code() >= 0 ? link.exit_code() : kActorStopped;
  }

  // The loop of an actor whose actions come from the host's inference
  // server: the server loads the weights; the actor only asks that the
  // answers of an unroll use the board's newest at its start (for PPO, a
  // version newer than its last unroll's).
  int collect_with_server(const wire::WireMessage& config, RolloutWorker& worker, ActorLink& link,
                          wire::WeightsBoard& board) {
    const int64_t actor_id = config.get_int("actor_id");
    const bool sync = config.get_bool("sync");
    const bool credits = config.body.count("credits") ? config.get_bool("credits") : !sync;
    const bool relayed = options_.weights_signal_fd >= 0;
    int64_t last_sequence = -1;  // the board's sequence at the start of the last unroll sent
    bool ready = false;
    Unroll buffers[2];
    int next_buffer = 0;
    while (!link.finished()) {
      if (sync) {
        if (board.version() <= last_sequence) {
          board.wait_newer(last_sequence, 0.05);
          continue;
        }
      } else {
        if (board.version() < 0) {
          board.wait_newer(-1, 0.05);
          continue;
        }
        if (credits && !link.take_credit(0.05)) continue;
        if (relayed && link.last_ticket() != 0) board.wait_answered(link.last_ticket(), 1.0);
      }
      const int64_t sequence = board.version();
      inference_->set_min_weights(sequence);
      Unroll& unroll = buffers[next_buffer];
      next_buffer = 1 - next_buffer;
      if (!collect_or_report(worker, link, unroll, actor_id)) return kActorFailed;
      if (!ready) {
        logf(LogLevel::kInfo, "actor %lld: collecting through the host's inference server (slot %d) %.0f ms after its start\n",
             static_cast<long long>(actor_id), inference_->slot(), 1e3 * process_age_seconds());
        ready = true;
      }
      last_sequence = sequence;
      if (!link.send(unroll)) break;
    }
    return link.exit_code() >= 0 ? link.exit_code() : kActorStopped;
  }

  // The loop of an actor whose actions come from the learner over the wire:
  // no weights here at all; PPO asks that each unroll's answers use a
  // version newer than the last unroll's.
  int collect_with_learner(const wire::WireMessage& config, RolloutWorker& worker, ActorLink& link,
                           RemoteInference& remote) {
    const int64_t actor_id = config.get_int("actor_id");
    const bool sync = config.get_bool("sync");
    const bool credits = config.body.count("credits") ? config.get_bool("credits") : !sync;
    int64_t last_version = -1;
    bool ready = false;
    Unroll buffers[2];
    int next_buffer = 0;
    while (!link.finished()) {
      if (credits && !link.take_credit(0.05)) continue;
      remote.set_min_version(sync ? last_version + 1 : 0);
      Unroll& unroll = buffers[next_buffer];
      next_buffer = 1 - next_buffer;
      if (!collect_or_report(worker, link, unroll, actor_id)) return kActorFailed;
      if (!ready) {
        logf(LogLevel::kInfo, "actor %lld: collecting with the learner's inference %.0f ms after its start\n",
             static_cast<long long>(actor_id), 1e3 * process_age_seconds());
        ready = true;
      }
      last_version = unroll.policy_version;
      if (!link.send(unroll)) break;
    }
    return link.exit_code() >= 0 ? link.exit_code() : kActorStopped;
  }

  ActorOptions options_;
  std::optional<RemoteInference> remote_;
  std::optional<wire::InferenceBoard> inference_board_;
  std::optional<wire::InferenceClient> inference_;
  Socket control_;
  wire::Sender sender_;
  std::optional<wire::CurveKeyPair> curve_;  // this actor's keys
  std::string curve_server_key_;             // the learner's public key
  int joins_ = 0;        // hellos sent: each join gets its own routing id
  std::string endpoint_;  // the learner (rank) this actor joined
  bool served_ = false;  // the last join got a config
};

}  // namespace

int run_actor(const ActorOptions& options) {
  if (options.serve_inference) return run_inference_server(options);
  if (options.actors > 1) return run_host_agent(options);
  // Slurm's warning before a time limit (SIGUSR1) reaches every process of a
  // job's steps: an actor leaves the stop to its learner, which gets it too.
  std::signal(SIGUSR1, SIG_IGN);
  try {
    Actor actor(options);
    return actor.run();
  } catch (const std::exception& e) {
    logf(LogLevel::kError, "actor: error: %s", e.what());
    return kActorFailed;
  }
}

}  // namespace rl
