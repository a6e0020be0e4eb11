#include "actors/actor_process.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "actors/rollout_worker.h"
#include "envs/builtin.h"
#include "rl/nn/threads.h"
#include "rl/env/plugin.h"
#include "rl/runtime/config.h"
#include "rl/runtime/run_config.h"
#include "rl/wire/curve.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"

namespace rl {
namespace {

using Clock = std::chrono::steady_clock;
using wire::Frames;
using wire::Socket;
using wire::SocketType;

// The config sections an actor needs; the algorithm's sections of the
// learner's config are skipped.
struct ActorView {
  RunConfig run;
  RuntimeConfig runtime;
  RolloutConfig rollout;
  PolicyConfig policy;
  NormalizeConfig normalize;
  void visit(ConfigFields& f) {
    f("run", run);
    f("runtime", runtime);
    f("rollout", rollout);
    f("policy", policy);
    f("normalize", normalize);
  }
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

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
      const int code = join_and_serve();
      if (code != kActorLearnerSilent || options_.reconnect_seconds <= 0) return code;
      if (served_) {
        lost_at = Clock::now();  // it was working until now: a new window
        served_ = false;
      }
      if (seconds_since(lost_at) > options_.reconnect_seconds) {
        std::fprintf(stderr, "actor: no learner at %s for %.0f s; giving up\n", options_.learner.c_str(),
                     options_.reconnect_seconds);
        return code;
      }
      std::fprintf(stderr, "actor: lost the learner at %s; trying to rejoin\n", options_.learner.c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }

 private:
  // hello, config, then serve() until stopped or the learner goes silent.
  int join_and_serve() {
    control_.set_routing_id("actor-" + std::to_string(options_.actor_id) + "-" + std::to_string(::getpid()) +
                            "-" + std::to_string(joins_++));
    secure(control_);
    control_.connect(options_.learner);
    sender_.run = options_.run_id;
    sender_.from = "actor-" + std::to_string(options_.actor_id);
    wire::WireMessage hello = sender_.start("hello");
    hello.body = {{"actor_id", options_.actor_id}, {"pid", static_cast<int64_t>(::getpid())}};
    control_.send(wire::serialize(std::move(hello)), 1000);
    const double wait = options_.reconnect_seconds > 0 ? std::min(options_.connect_timeout_seconds, 5.0)
                                                      : options_.connect_timeout_seconds;
    std::optional<wire::WireMessage> config = wait_control("config", wait);
    if (!config) {
      std::fprintf(stderr, "actor: no config from %s within %.0f s\n", options_.learner.c_str(), wait);
      return kActorLearnerSilent;
    }
    if (config->kind == "error") {
      std::fprintf(stderr, "actor: the learner refused: %s\n", config->get_string("reason").c_str());
      return kActorRefused;
    }
    served_ = true;
    return serve(*config);
  }

  // Makes `socket` a CURVE client of the learner when keys were given.
  void secure(Socket& socket) {
    if (curve_) socket.set_curve_client(curve_server_key_, *curve_);
  }

  // The next control message of kind `kind` (or an error), within `seconds`.
  std::optional<wire::WireMessage> wait_control(const std::string& kind, double seconds) {
    const auto start = Clock::now();
    while (seconds_since(start) < seconds) {
      auto frames = control_.receive(100);
      if (!frames) continue;
      try {
        wire::WireMessage m = wire::parse(std::move(*frames));
        if (m.kind == kind || m.kind == "error") return m;
      } catch (const wire::WireError& e) {
        std::fprintf(stderr, "actor: dropped a bad control message: %s\n", e.what());
      }
    }
    return std::nullopt;
  }

  int serve(const wire::WireMessage& config) {
    next_sequence_ = 0;  // a new worker numbers its unrolls from 0
    consumed_ = -1;
    actor_id_ = config.get_int("actor_id");
    const int64_t incarnation = config.get_int("incarnation");
    sender_.run = config.run;
    sender_.from = "actor-" + std::to_string(actor_id_);
    sync_ = config.get_bool("sync");
    const double heartbeat = config.get_double("heartbeat_seconds");
    const double timeout = config.get_double("timeout_seconds");

    ActorView view;
    apply_yaml(fields_of(view), config.get_string("config_yaml"), "learner config", /*ignore_unknown=*/true);
    set_compute_threads(1);  // one actor, one core: no BLAS thread pool
    EnvRegistry registry;
    envs::register_builtin_envs(registry);
    for (const auto& plugin : view.run.plugin_paths()) load_env_plugin(plugin, registry);
    // Every actor, every restart of one, and every learner's actors (the
    // learner's seed differs per group member) get streams of their own.
    const uint64_t seed = derive_seed(static_cast<uint64_t>(config.get_int("seed")),
                                      static_cast<uint64_t>(actor_id_) * 4096 + static_cast<uint64_t>(incarnation));
    RolloutWorker worker(registry, view.run.env, view.run.parsed_env_options(), view.rollout, view.policy,
                         view.normalize, seed, actor_id_);
    if (worker.spec().obs_size() != config.get_int("obs_size") ||
        worker.spec().action_space.to_string() != config.get_string("action_space")) {
      send_error("env " + worker.spec().id + " here has other spaces than the learner's");
      return kActorFailed;
    }

    const std::string host = wire::endpoint_host(options_.learner);
    unroll_queue_ = view.runtime.unroll_queue;
    Socket unrolls(SocketType::kPush);
    unrolls.set_send_hwm(view.runtime.unroll_queue);
    secure(unrolls);
    unrolls.connect("tcp://" + host + ":" + std::to_string(config.get_int("unroll_port")));
    Socket weights(SocketType::kSub);
    secure(weights);
    const std::string sync_topic =
        "sync/" + std::to_string(actor_id_) + "/" + std::to_string(incarnation) + "/";
    weights.subscribe("weights");
    weights.subscribe(sync_topic);
    weights.connect("tcp://" + host + ":" + std::to_string(config.get_int("weights_port")));

    last_heard_ = Clock::now();
    auto last_heartbeat = Clock::now();
    int64_t last_sent_version = -1;
    bool have_weights = false;
    Unroll unroll;
    while (true) {
      // Between unrolls: every pending control message and the newest weights.
      // In sync mode (PPO) wait until weights newer than the last unroll's arrive.
      const bool must_wait = !have_weights || (sync_ && worker.policy().version() <= last_sent_version);
      const auto ready = wire::poll_readable({&control_, &weights}, must_wait ? 100 : 0);
      if (ready[0]) {
        if (int code = drain_control(); code >= 0) return code;
      }
      if (ready[1]) {
        while (auto frames = weights.receive(0)) {
          last_heard_ = Clock::now();
          if (frames->size() < 2) continue;
          frames->erase(frames->begin());  // the topic
          try {
            const wire::WeightsPayload payload = wire::decode_weights(wire::parse(std::move(*frames)));
            if (!have_weights || payload.version > worker.policy().version()) {
              worker.policy().load(payload);
              have_weights = true;
            }
          } catch (const std::exception& e) {
            std::fprintf(stderr, "actor %lld: dropped bad weights: %s\n", static_cast<long long>(actor_id_), e.what());
          }
        }
      }
      if (seconds_since(last_heartbeat) >= heartbeat) {
        wire::WireMessage beat = sender_.start("heartbeat");
        beat.body = {{"actor_id", actor_id_}, {"env_steps", worker.env_steps()}};
        control_.send(wire::serialize(std::move(beat)), 0);
        last_heartbeat = Clock::now();
      }
      if (seconds_since(last_heard_) > timeout) {
        std::fprintf(stderr, "actor %lld: the learner has been silent for %.0f s; exiting\n",
                     static_cast<long long>(actor_id_), timeout);
        return kActorLearnerSilent;
      }
      if (!have_weights || (sync_ && worker.policy().version() <= last_sent_version)) continue;
      // Flow control: at most unroll_queue unrolls not yet taken by the learner.
      if (next_sequence_ - consumed_ > unroll_queue_) {
        wire::poll_readable({&control_}, 100);
        if (int code = drain_control(); code >= 0) return code;
        continue;
      }

      try {
        worker.collect(unroll);
      } catch (const std::exception& e) {
        // An env that keeps failing (rollout.env_error_limit): tell the
        // learner why before exiting, so that its error says it.
        send_error(e.what());
        return kActorFailed;
      }
      last_sent_version = unroll.policy_version;
      next_sequence_ = unroll.sequence + 1;
      Frames frames = wire::serialize(wire::encode_unroll(sender_, unroll));
      // Backpressure: wait for room in the queue, still answering the learner.
      // (send leaves the frames untouched when it times out.)
      while (!unrolls.send(std::move(frames), 200)) {
        if (int code = drain_control(); code >= 0) return code;
        if (seconds_since(last_heard_) > timeout) return kActorLearnerSilent;
      }
    }
  }

  // Handles pending control messages; returns an exit code to stop with, or -1.
  int drain_control() {
    while (auto frames = control_.receive(0)) {
      last_heard_ = Clock::now();
      try {
        const wire::WireMessage m = wire::parse(std::move(*frames));
        if (m.kind == "stop") return kActorStopped;
        if (m.kind == "heartbeat" && m.body.count("consumed")) {
          consumed_ = std::max(consumed_, m.get_int("consumed"));
        }
        if (m.kind == "error") {
          std::fprintf(stderr, "actor %lld: the learner reports: %s\n", static_cast<long long>(actor_id_),
                       m.get_string("reason").c_str());
          return kActorRefused;
        }
      } catch (const wire::WireError& e) {
        std::fprintf(stderr, "actor: dropped a bad control message: %s\n", e.what());
      }
    }
    return -1;
  }

  void send_error(const std::string& reason) {
    std::fprintf(stderr, "actor %lld: %s\n", static_cast<long long>(actor_id_), reason.c_str());
    control_.send(wire::serialize(wire::make_error(sender_, reason)), 1000);
  }

  ActorOptions options_;
  Socket control_;
  wire::Sender sender_;
  int64_t actor_id_ = -1;
  bool sync_ = false;
  int64_t unroll_queue_ = 4;   // unrolls in flight at most
  int64_t next_sequence_ = 0;  // sequence of the next unroll
  int64_t consumed_ = -1;      // highest sequence the learner has taken
  Clock::time_point last_heard_ = Clock::now();
  std::optional<wire::CurveKeyPair> curve_;  // this actor's keys
  std::string curve_server_key_;             // the learner's public key
  int joins_ = 0;        // hellos sent: each join gets its own routing id
  bool served_ = false;  // the last join got a config
};

}  // namespace

int run_actor(const ActorOptions& options) {
  try {
    Actor actor(options);
    return actor.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actor: error: %s\n", e.what());
    return kActorFailed;
  }
}

}  // namespace rl
