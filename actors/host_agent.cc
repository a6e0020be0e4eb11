#include "actors/host_agent.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>
#include <thread>

#include "actors/actor_view.h"
#include "actors/host_relay.h"
#include "rl/nn/policy_config.h"
#include "rl/runtime/config.h"
#include "rl/runtime/run_config.h"
#include "rl/runtime/logging.h"
#include "rl/runtime/supervisor.h"
#include "rl/wire/inference_board.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"
#include "rl/wire/weights_board.h"

namespace rl {
namespace {

std::atomic<int> g_agent_stop{0};
extern "C" void on_agent_signal(int signal) { g_agent_stop.store(signal); }

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// The agent's CURVE keys, when the run has them: its sockets are clients of
// the learner's.
struct AgentKeys {
  std::optional<wire::CurveKeyPair> curve;
  std::string server_key;

  explicit AgentKeys(const ActorOptions& options) {
    if (options.curve_key_file.empty() != options.curve_server_key_file.empty()) {
      throw std::invalid_argument("--curve-key and --curve-server-key go together");
    }
    if (options.curve_key_file.empty()) return;
    curve = wire::read_curve_key_file(options.curve_key_file, /*need_secret=*/true);
    server_key = wire::read_curve_key_file(options.curve_server_key_file, false).public_key;
  }
  void secure(wire::Socket& socket) const {
    if (curve) socket.set_curve_client(server_key, *curve);
  }
};

// What the learner answered a relay's hello: the run's config (with the
// ports), or the exit code when it refused or stayed silent.
struct RunFound {
  std::optional<wire::WireMessage> config;
  std::string learner;  // the endpoint that answered (rank 0 may send the agent to another rank)
  int exit_code = kActorStopped;
};

// Says hello as a relay, without joining as an actor; rank 0 of a learner
// group may assign the agent to the rank to fetch weights from (one hop).
RunFound find_run(const ActorOptions& options, const AgentKeys& keys, double wait) {
  RunFound found{.learner = options.learner};
  for (int hop = 0; hop < 2 && !found.config; ++hop) {
    wire::Socket control(wire::SocketType::kDealer);
    keys.secure(control);
    control.connect(found.learner);
    wire::Sender sender{options.run_id, "relay", 0};
    wire::WireMessage hello = sender.start("hello");
    hello.body = {{"actor_id", int64_t{-1}},
                  {"pid", static_cast<int64_t>(::getpid())},
                  {"relay", true},
                  {"assignable", hop == 0}};
    control.send(wire::serialize(std::move(hello)), 1000);
    const auto start = Clock::now();
    while (std::chrono::duration<double>(Clock::now() - start).count() < wait && !g_agent_stop.load()) {
      auto frames = control.receive(100);
      if (!frames) continue;
      wire::WireMessage m = wire::parse(std::move(*frames));
      if (m.kind == "error") {
        logf(LogLevel::kError, "host agent: the learner refused: %s\n", m.get_string("reason").c_str());
        found.exit_code = kActorRefused;
        return found;
      }
      if (m.kind == "assign") {
        found.learner = m.get_string("endpoint");
        break;
      }
      if (m.kind == "config") {
        found.config = std::move(m);
        break;
      }
    }
    if (!found.config && found.learner == options.learner) break;  // no answer at all
  }
  if (!found.config) {
    logf(LogLevel::kError, "host agent: no answer from the learner at %s within %.0f s\n", found.learner.c_str(),
         wait);
    found.exit_code = kActorLearnerSilent;
  }
  return found;
}

// The host's weights board, sized by the first version with room to grow,
// holding it; and that version's number and publisher epoch.
struct FirstWeights {
  wire::WeightsBoard board;
  int64_t version = 0, epoch = 0;
};
FirstWeights board_for(const wire::Frames& first) {
  size_t bytes = 0;
  for (const auto& f : first) bytes += f.size();
  FirstWeights out{wire::WeightsBoard::create(bytes + bytes / 4 + first.size() * 16 + 4096)};
  wire::Frames copy = first;
  const wire::WireMessage m = wire::parse(std::move(copy));
  out.version = m.get_int("version");
  out.epoch = m.body.count("epoch") ? m.get_int("epoch") : 0;
  out.board.publish(0, first);  // the board's own sequence (host_relay.h)
  return out;
}

// The command line of the host's actor processes: they read weights from
// the inherited board and wake the relay through its eventfd.
std::vector<std::string> actor_args(const ActorOptions& options, const std::string& run_id, int board_fd,
                                    int demand_fd) {
  std::vector<std::string> args{"--role",       "actor", "--learner", options.learner, "--run-id", run_id,
                                "--weights-fd", std::to_string(board_fd), "--weights-signal-fd",
                                std::to_string(demand_fd)};
  if (options.reconnect_seconds > 0) {
    args.insert(args.end(), {"--reconnect-seconds", std::to_string(options.reconnect_seconds)});
  }
  if (!options.curve_key_file.empty()) {
    args.insert(args.end(), {"--curve-key", options.curve_key_file, "--curve-server-key",
                             options.curve_server_key_file});
  }
  return args;
}

// What the host's actors run: rl_actor (no libtorch), next to this program,
// when it can run the run's policy and the run did not ask for the training
// program (runtime.actor_program); else this program. Learners before the
// relay's config named the policy leave this program.
std::string actor_program_for(const wire::WireMessage& config) {
  const fs::path lite = fs::path(self_executable()).parent_path() / "rl_actor";
  if (!config.body.count("config_yaml") || !config.body.count("action_space") || !fs::exists(lite)) {
    return self_executable();
  }
  struct View {
    RuntimeConfig runtime;
    PolicyConfig policy;
    void visit(ConfigFields& f) {
      f("runtime", runtime);
      f("policy", policy);
    }
  } view;
  apply_yaml(fields_of(view), config.get_string("config_yaml"), "learner config", /*ignore_unknown=*/true);
  const bool discrete = config.get_string("action_space").rfind("Discrete", 0) == 0;
  const bool runs = view.policy.actor_fast_path_applies() && (view.policy.encoder == "mlp" || discrete);
  return runs && view.runtime.actor_program != "trainer" ? lite.string() : self_executable();
}

// The inference board for `actors` actors when the run places inference on
// the host (runtime.inference host or learner), from the shapes the
// learner's config message carries; nullopt when the actors run the policy.
std::optional<wire::InferenceLayout> inference_layout_for(const wire::WireMessage& config, int actors) {
  if (!config.body.count("config_yaml") || !config.body.count("core_state_size")) return std::nullopt;
  ActorView view;
  apply_yaml(fields_of(view), config.get_string("config_yaml"), "learner config", /*ignore_unknown=*/true);
  if (view.runtime.inference == "actor") return std::nullopt;
  return wire::InferenceLayout{.slots = actors,
                               .rows = view.rollout.num_envs,
                               .obs_size = static_cast<int32_t>(config.get_int("obs_size")),
                               .action_floats = static_cast<int32_t>(config.get_int("action_floats")),
                               .state_size = static_cast<int32_t>(config.get_int("core_state_size")),
                               .obs_bytes = config.body.count("obs_bytes") && config.get_bool("obs_bytes") ? 1 : 0};
}

// Restarts actors as they fail until none is left to restart or a signal
// stops the agent. Returns whether every actor that ended had stopped cleanly.
bool supervise(ActorSupervisor& supervisor, ActorSupervisor* server) {
  bool all_clean = true;
  while (supervisor.available() > 0 && !g_agent_stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (server) {
      for (const ActorEvent& event : server->check()) {
        logf(LogLevel::kWarn, "host agent: inference server: %s\n", event.text.c_str());
        if (event.out_of_restarts) return false;
      }
    }
    for (const ActorEvent& event : supervisor.check()) {
      logf(LogLevel::kInfo, "host agent: %s\n", event.text.c_str());
      all_clean = all_clean && event.text.find("stopped") != std::string::npos;
    }
  }
  return all_clean;
}

}  // namespace

int run_host_agent(const ActorOptions& options) {
  try {
    const AgentKeys keys(options);
    g_agent_stop.store(0);
    std::signal(SIGINT, on_agent_signal);
    std::signal(SIGTERM, on_agent_signal);
    std::signal(SIGUSR1, on_agent_signal);  // Slurm's warning before a time limit: stop as for SIGTERM

    const double wait = options.reconnect_seconds > 0 ? options.reconnect_seconds : options.connect_timeout_seconds;
    RunFound run = find_run(options, keys, wait);
    if (!run.config) return run.exit_code;
    const std::string run_id = run.config->run;
    const std::string weights_endpoint =
        "tcp://" + wire::endpoint_host(run.learner) + ":" + std::to_string(run.config->get_int("weights_port"));

    // The first version sizes the host's board; the actors start after it.
    wire::Socket weights(wire::SocketType::kDealer);
    keys.secure(weights);
    weights.connect(weights_endpoint);
    const auto first = fetch_first_weights(weights, run_id, wait);
    if (!first) {
      logf(LogLevel::kError, "host agent: no weights from %s\n", weights_endpoint.c_str());
      return kActorLearnerSilent;
    }
    FirstWeights held = board_for(*first);
    const int demand_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (demand_fd < 0) throw std::runtime_error("eventfd failed");
    HostRelay relay({.weights_endpoint = weights_endpoint, .run_id = run_id, .sync = run.config->get_bool("sync"),
                     .curve = keys.curve, .curve_server_key = keys.server_key, .version = held.version,
                     .epoch = held.epoch},
                    std::move(weights), held.board, demand_fd);
    relay.start();

    std::string program = actor_program_for(*run.config);
    std::vector<std::string> args = actor_args(options, run_id, held.board.fd(), demand_fd);
    std::vector<int> inherited{held.board.fd(), demand_fd};
    // runtime.inference host (or learner, which on another host than the
    // learner's is served the same way): one inference process runs the
    // policy for this host's actors, which then only step envs.
    std::optional<wire::InferenceBoard> inference;
    std::unique_ptr<ActorSupervisor> server;
    if (const auto layout = inference_layout_for(*run.config, options.actors)) {
      inference.emplace(wire::InferenceBoard::create(*layout, run.config->get_string("config_yaml")));
      std::vector<std::string> server_args = args;
      server_args.insert(server_args.end(), {"--inference-fd", std::to_string(inference->fd()), "--serve-inference"});
      // This program serves: a training program's libtorch runs batched
      // CNNs fastest; rl_actor serves what it runs.
      server = std::make_unique<ActorSupervisor>(self_executable(), server_args, 1, options.max_restarts,
                                                 std::vector<int>{held.board.fd(), inference->fd()});
      server->start_all();
      args.insert(args.end(), {"--inference-fd", std::to_string(inference->fd())});
      inherited.push_back(inference->fd());
      const fs::path lite = fs::path(self_executable()).parent_path() / "rl_actor";
      if (fs::exists(lite)) program = lite.string();
      logf(LogLevel::kInfo, "host agent: an inference process serves the policy to this host's %d actors\n",
           options.actors);
    }
    ActorSupervisor supervisor(program, args, options.actors, options.max_restarts, inherited, /*pin_ids=*/false);
    supervisor.start_all();
    logf(LogLevel::kInfo, "host agent: %d actors (%s) started for run %s, weights relayed from %s\n", options.actors,
         fs::path(program).filename().c_str(), run_id.c_str(), weights_endpoint.c_str());
    const bool all_clean = supervise(supervisor, server.get());
    supervisor.stop_all(2.0);
    if (server) server->stop_all(1.0);
    relay.stop();
    ::close(demand_fd);
    logf(LogLevel::kInfo, "host agent: done (%lld versions relayed for %lld requests, %llu loads on this host)\n",
         static_cast<long long>(relay.versions_received()), static_cast<long long>(relay.requests_sent()),
         static_cast<unsigned long long>(held.board.loads()));
    return all_clean || g_agent_stop.load() ? kActorStopped : kActorFailed;
  } catch (const std::exception& e) {
    logf(LogLevel::kError, "host agent: error: %s\n", e.what());
    return kActorFailed;
  }
}

}  // namespace rl
