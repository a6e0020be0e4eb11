#include "learners/actor_service.h"

#include <unistd.h>

#include <thread>

#include "rl/runtime/logging.h"

namespace rl {
namespace fs = std::filesystem;

// CURVE keys of the run: the learner's pair and the authorized actors from
// the config, plus a pair made for this process's local actors (written
// 0600 into a private temporary folder, removed at the end).
struct ActorService::LocalKeys {
  std::optional<wire::CurveKeyPair> server;
  std::set<std::string> authorized;
  fs::path dir, actor_key_file, server_public_file;

  LocalKeys(const ActorServiceConfig& config) {
    if (config.curve_secret_key.empty()) return;
    server = wire::read_curve_key_file(config.curve_secret_key, /*need_secret=*/true);
    authorized = wire::read_authorized_keys(config.curve_authorized_keys);
    if (config.local_actors == 0) return;
    dir = fs::temp_directory_path() / ("rl-actor-keys-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all);
    const wire::CurveKeyPair local = wire::generate_curve_keypair();
    wire::write_curve_keys(dir, "local-actor", local);
    wire::write_curve_keys(dir, "learner", {server->public_key, ""});
    fs::remove(dir / "learner.key");  // only the public half is needed
    actor_key_file = dir / "local-actor.key";
    server_public_file = dir / "learner.pub";
    authorized.insert(local.public_key);
  }
  ~LocalKeys() {
    std::error_code ignored;
    if (!dir.empty()) fs::remove_all(dir, ignored);
  }
};

ActorService::ActorService(ActorServiceConfig config, wire::WeightsPayload initial_weights,
                           const std::atomic<int64_t>& learner_version)
    : config_(std::move(config)),
      keys_(std::make_unique<LocalKeys>(config_)),
      // Every actor's credits, PPO's one unroll per actor and news of joins:
      // the hub drops (and counts) what a misbehaving peer would add.
      deliveries_(static_cast<size_t>(config_.hub.max_actors) * (config_.hub.unroll_queue + 2) + 64) {
  const std::string host = wire::endpoint_host(config_.hub.bind);
  const int port = wire::endpoint_port(config_.hub.bind);
  if (keys_->server) {
    // The ZAP handler must exist before any CURVE server socket binds.
    if (keys_->authorized.empty()) throw std::invalid_argument("CURVE needs at least one authorized actor key");
    authenticator_ = std::make_unique<wire::CurveAuthenticator>(keys_->authorized);
    config_.hub.curve_server = keys_->server;
    config_.publisher.curve_server = keys_->server;
  } else if (!wire::is_loopback_host(host)) {
    logf(LogLevel::kWarn,
         "learner: WARNING: binding %s without CURVE keys: anyone who can reach these ports can join the run, "
         "send unrolls and read the weights (runtime.curve_secret_key, rl_keygen; docs/cluster.md)\n",
         config_.hub.bind.c_str());
  }
  config_.publisher.bind_host = host;
  if (config_.publisher.port < 0) config_.publisher.port = port == 0 ? 0 : port + 2;
  // The learner's inference server reads the weights from a board too.
  config_.publisher.board = config_.local_actors > 0 || config_.inference == "learner";
  publisher_ = std::make_unique<Publisher>(config_.publisher, std::move(initial_weights));
  config_.hub.weights_port = publisher_->port();
  if (config_.inference == "learner") {
    wire::InferenceLayout layout = config_.inference_layout;
    layout.slots = config_.hub.max_actors;  // slot = actor id (pages are touched only by the actors that come)
    bridge_ = std::make_unique<InferenceBridge>(InferenceBridgeConfig{
        .bind_host = host, .port = port == 0 ? 0 : port + 3, .run_id = config_.hub.run_id, .layout = layout,
        .curve_server = keys_->server});
    config_.hub.inference_port = bridge_->port();
  }
  hub_ = std::make_unique<Hub>(config_.hub, deliveries_);
  batcher_ = std::make_unique<Batcher>(config_.batcher, *hub_, deliveries_, learner_version);
}

ActorService::~ActorService() { shutdown(); }

int ActorService::wanted_actors() const { return std::max(config_.batcher.min_actors, config_.local_actors); }

void ActorService::start() {
  hub_->start();
  publisher_->start();
  batcher_->start();
  if (bridge_) {
    if (!config_.serve_inference) throw std::logic_error("runtime.inference=learner: no server given");
    bridge_->start();
    bridge_server_ = std::thread([this] {
      try {
        config_.serve_inference(bridge_->board(), publisher_->board_fd(), bridge_->answered_fd(), inference_stop_);
      } catch (...) {
        inference_failure_ = std::current_exception();
      }
    });
  }
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (cores > 0 && config_.local_actors > cores) {
    // Allowed (it is how a fleet is tried on a laptop), and it still learns:
    // credits keep the lag bounded. But the throughput is that of the cores.
    logf(LogLevel::kWarn,
         "%s %d actor processes on %d cores: they take turns, and env steps per second are what %d cores give "
         "(more actors than cores adds no throughput here)\n",
         config_.label.c_str(), config_.local_actors, cores, cores);
  }
  if (config_.local_actors > 0) {
    std::vector<std::string> args{"--role",   "actor", "--learner", hub_->control_endpoint(), "--run-id",
                                  config_.hub.run_id, "--weights-fd", std::to_string(publisher_->board_fd())};
    if (keys_->server) {
      args.insert(args.end(), {"--curve-key", keys_->actor_key_file.string(), "--curve-server-key",
                               keys_->server_public_file.string()});
    }
    std::vector<int> inherited{publisher_->board_fd()};
    if (config_.inference != "actor") {
      start_inference(args);
      args.insert(args.end(), {"--inference-fd", std::to_string(inference_board_->fd())});
      inherited.push_back(inference_board_->fd());
    }
    const std::string program = config_.actor_program.empty() ? self_executable() : config_.actor_program;
    logf(LogLevel::kDebug, "%s local actors run %s\n", config_.label.c_str(), program.c_str());
    supervisor_ = std::make_unique<ActorSupervisor>(program, args, config_.local_actors, config_.max_restarts,
                                                    inherited);
    supervisor_->start_all();
  }
}

void ActorService::start_inference(const std::vector<std::string>& actor_args) {
  wire::InferenceLayout layout = config_.inference_layout;
  layout.slots = config_.local_actors;
  inference_board_.emplace(wire::InferenceBoard::create(layout, config_.hub.config_yaml));
  if (config_.inference == "learner") {
    if (!config_.serve_inference) throw std::logic_error("runtime.inference=learner: no server given");
    inference_thread_ = std::thread([this] {
      try {
        config_.serve_inference(*inference_board_, publisher_->board_fd(), -1, inference_stop_);
      } catch (...) {
        inference_failure_ = std::current_exception();
      }
    });
    logf(LogLevel::kInfo, "%s the learner's process runs the policy for its %d local actors\n", config_.label.c_str(),
         config_.local_actors);
    return;
  }
  // host: a process of its own, restarted like an actor when it fails.
  std::vector<std::string> args = actor_args;
  args.insert(args.end(), {"--inference-fd", std::to_string(inference_board_->fd()), "--serve-inference"});
  inference_supervisor_ = std::make_unique<ActorSupervisor>(
      config_.inference_program.empty() ? self_executable() : config_.inference_program, args, 1,
      config_.max_restarts, std::vector<int>{publisher_->board_fd(), inference_board_->fd()});
  inference_supervisor_->start_all();
  logf(LogLevel::kInfo, "%s an inference process (%s) runs the policy for the %d local actors\n",
       config_.label.c_str(), fs::path(config_.inference_program).filename().c_str(), config_.local_actors);
}

void ActorService::supervise() {
  if (!supervisor_) return;
  // A local actor declared dead (stalled, no heartbeats) may still be
  // running: kill it so that the supervisor restarts it.
  for (const int64_t pid : hub_->take_dead_pids()) {
    if (supervisor_->kill_actor(static_cast<pid_t>(pid))) {
      logf(LogLevel::kWarn, "%s actor process %lld is dead to the learner; killed for a restart\n", config_.label.c_str(),
           static_cast<long long>(pid));
    }
  }
  for (const ActorEvent& event : supervisor_->check()) {
    // The hub frees the id at once: the restarted process takes it, and a
    // synchronous update does not wait for the dead one.
    hub_->actor_exited(event.actor_id);
    logf(LogLevel::kInfo, "%s %s\n", config_.label.c_str(), event.text.c_str());
    if (event.out_of_restarts) {
      // A crash loop past its budget is a fault to fix, not a fleet to shrink.
      const std::string last = hub_->last_actor_error();
      throw std::runtime_error(event.text + ": the run stops" +
                               (last.empty() ? std::string() : "; the last actor error: " + last));
    }
  }
  if (inference_supervisor_) {
    for (const ActorEvent& event : inference_supervisor_->check()) {
      logf(LogLevel::kWarn, "%s inference server: %s\n", config_.label.c_str(), event.text.c_str());
      if (event.out_of_restarts) throw std::runtime_error("the inference server " + event.text + ": the run stops");
    }
  }
  if (inference_failure_) std::rethrow_exception(inference_failure_);
  if (supervisor_->available() == 0 && hub_->live_actors().empty() && !config_.serve_remote) {
    const std::string last = hub_->last_actor_error();
    throw std::runtime_error("every actor has failed and none can be restarted" +
                             (last.empty() ? std::string() : "; the last error: " + last));
  }
}

MetricRow ActorService::metrics() const {
  MetricRow row = {{"live_actors", static_cast<double>(hub_->live_actors().size())},
                   {"actor_restarts", static_cast<double>(supervisor_ ? supervisor_->restarts() : 0)},
                   {"bytes_received", static_cast<double>(hub_->bytes_received())},
                   {"dropped_messages", static_cast<double>(hub_->drops_total())},
                   {"curve_refusals", static_cast<double>(authenticator_ ? authenticator_->refused() : 0)},
                   {"weights_versions_published", static_cast<double>(publisher_->versions_published())},
                   {"weights_versions_skipped", static_cast<double>(publisher_->versions_skipped())},
                   {"weights_bytes_sent", static_cast<double>(publisher_->bytes_sent())},
                   {"weights_copies_sent", static_cast<double>(publisher_->copies_sent())},
                   {"hub_cpu_seconds", hub_->thread_cpu_seconds()},
                   {"policy_version_regressions", static_cast<double>(hub_->version_regressions())},
                   {"actors_assigned_away", static_cast<double>(hub_->actors_assigned_away())}};
  if (bridge_) {
    row.push_back({"remote_inference_requests", static_cast<double>(bridge_->requests())});
    row.push_back({"remote_inference_dropped", static_cast<double>(bridge_->dropped())});
  }
  if (inference_board_) {
    // Rows and actors per forward pass, over the run: how well it batches.
    const double batches = static_cast<double>(inference_board_->batches());
    row.push_back({"inference_batches", batches});
    row.push_back({"inference_rows_per_batch",
                   batches > 0 ? static_cast<double>(inference_board_->rows_served()) / batches : 0.0});
    row.push_back({"inference_actors_per_batch",
                   batches > 0 ? static_cast<double>(inference_board_->slots_served()) / batches : 0.0});
    row.push_back({"inference_restarts",
                   static_cast<double>(inference_supervisor_ ? inference_supervisor_->restarts() : 0)});
  }
  const auto drops = hub_->drops();
  for (const auto& reason : Hub::drop_reasons()) {
    auto it = drops.find(reason);
    row.push_back({"dropped_" + reason, it == drops.end() ? 0.0 : static_cast<double>(it->second)});
  }
  return row;
}

std::optional<std::string> ActorService::stage_failure() const {
  for (const StageFailure* failure : {&hub_->failure(), &batcher_->failure(), &publisher_->failure()}) {
    if (auto what = failure->what()) return what;
  }
  if (bridge_) {
    if (auto what = bridge_->failure().what()) return what;
  }
  return std::nullopt;
}

std::string ActorService::stall_reason(const FlowCounts& since) const {
  const FlowCounts now = flow_counts();
  const int64_t live = static_cast<int64_t>(hub_->live_actors().size());
  std::string dropped;
  int64_t dropped_total = 0;
  for (const auto& [reason, count] : now.drops) {
    const auto before = since.drops.find(reason);
    const int64_t delta = count - (before == since.drops.end() ? 0 : before->second);
    if (delta <= 0) continue;
    dropped += (dropped.empty() ? "" : ", ") + std::to_string(delta) + " " + reason;
    dropped_total += delta;
  }
  const int64_t accepted = now.accepted - since.accepted;
  std::string out = std::to_string(live) + " of " + std::to_string(wanted_actors()) + " actors live, " +
                    std::to_string(hub_->credits_outstanding()) + " credits out; since then " +
                    std::to_string(accepted) + " unrolls accepted, " + std::to_string(dropped_total) + " dropped" +
                    (dropped.empty() ? "" : " (" + dropped + ")");
  if (live == 0) {
    out += ": no actor is live" + (hub_->last_actor_error().empty() ? std::string() : " (last actor error: " +
                                                                                          hub_->last_actor_error() + ")");
  } else if (accepted == 0 && dropped_total == 0) {
    out += ": the live actors hold their credits and send nothing";
  } else if (accepted == 0) {
    out += ": every unroll was dropped";
  }
  return out;
}

void ActorService::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  hub_->stop_actors("the run is over");
  if (supervisor_) {
    // The stop message's worth of time, then the supervisor's signals; when
    // stop_all returns every local actor process has been reaped.
    const auto start = std::chrono::steady_clock::now();
    while (supervisor_->running() > 0 && std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500)) {
      supervisor_->reap();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    supervisor_->stop_all(0.5);
  }
  // The server after its actors: none of them waits for an answer now.
  if (inference_supervisor_) inference_supervisor_->stop_all(1.0);
  inference_stop_.store(true);
  if (inference_thread_.joinable()) inference_thread_.join();
  if (bridge_server_.joinable()) bridge_server_.join();
  if (bridge_) bridge_->stop();
  batcher_->stop();
  publisher_->stop();
  hub_->stop();
}

}  // namespace rl
