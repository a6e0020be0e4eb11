#include "actors/host_agent.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <optional>
#include <thread>

#include "actors/host_relay.h"
#include "rl/runtime/logging.h"
#include "rl/runtime/supervisor.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"
#include "rl/wire/weights_board.h"

namespace rl {
namespace {

std::atomic<int> g_agent_stop{0};
extern "C" void on_agent_signal(int signal) { g_agent_stop.store(signal); }

using Clock = std::chrono::steady_clock;

}  // namespace

int run_host_agent(const ActorOptions& options) {
  try {
    std::optional<wire::CurveKeyPair> curve;
    std::string server_key;
    if (options.curve_key_file.empty() != options.curve_server_key_file.empty()) {
      throw std::invalid_argument("--curve-key and --curve-server-key go together");
    }
    if (!options.curve_key_file.empty()) {
      curve = wire::read_curve_key_file(options.curve_key_file, /*need_secret=*/true);
      server_key = wire::read_curve_key_file(options.curve_server_key_file, false).public_key;
    }
    auto secure = [&](wire::Socket& socket) {
      if (curve) socket.set_curve_client(server_key, *curve);
    };
    g_agent_stop.store(0);
    std::signal(SIGINT, on_agent_signal);
    std::signal(SIGTERM, on_agent_signal);
    std::signal(SIGUSR1, on_agent_signal);  // Slurm's warning before a time limit: stop as for SIGTERM

    // Where the weights are: a relay's hello, answered with the ports and
    // the run without joining as an actor (or, by rank 0 of a learner group,
    // with the rank to fetch them from).
    std::string learner = options.learner;
    std::optional<wire::WireMessage> config;
    const double wait = options.reconnect_seconds > 0 ? options.reconnect_seconds : options.connect_timeout_seconds;
    for (int hop = 0; hop < 2 && !config; ++hop) {
      wire::Socket control(wire::SocketType::kDealer);
      secure(control);
      control.connect(learner);
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
          return kActorRefused;
        }
        if (m.kind == "assign") {
          learner = m.get_string("endpoint");
          break;
        }
        if (m.kind == "config") {
          config = std::move(m);
          break;
        }
      }
      if (!config && learner == options.learner) break;  // no answer at all
    }
    if (!config) {
      logf(LogLevel::kError, "host agent: no answer from the learner at %s within %.0f s\n", learner.c_str(), wait);
      return kActorLearnerSilent;
    }
    const std::string run_id = config->run;
    const bool sync = config->get_bool("sync");
    const std::string weights_endpoint =
        "tcp://" + wire::endpoint_host(learner) + ":" + std::to_string(config->get_int("weights_port"));

    // The first version sizes the host's board; the actors start after it.
    wire::Socket weights(wire::SocketType::kDealer);
    secure(weights);
    weights.connect(weights_endpoint);
    auto first = fetch_first_weights(weights, run_id, wait);
    if (!first) {
      logf(LogLevel::kError, "host agent: no weights from %s\n", weights_endpoint.c_str());
      return kActorLearnerSilent;
    }
    size_t bytes = 0;
    for (const auto& f : *first) bytes += f.size();
    wire::WeightsBoard board = wire::WeightsBoard::create(bytes + bytes / 4 + first->size() * 16 + 4096);
    int64_t first_version = 0, first_epoch = 0;
    {
      wire::Frames copy = *first;
      const wire::WireMessage m = wire::parse(std::move(copy));
      first_version = m.get_int("version");
      first_epoch = m.body.count("epoch") ? m.get_int("epoch") : 0;
      board.publish(0, *first);  // the board's own sequence (host_relay.h)
    }
    const int demand_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (demand_fd < 0) throw std::runtime_error("eventfd failed");
    HostRelay relay({.weights_endpoint = weights_endpoint, .run_id = run_id, .sync = sync, .curve = curve,
                     .curve_server_key = server_key, .version = first_version, .epoch = first_epoch},
                    std::move(weights), board, demand_fd);
    relay.start();

    std::vector<std::string> args{"--role",       "actor", "--learner", options.learner, "--run-id", run_id,
                                  "--weights-fd", std::to_string(board.fd()), "--weights-signal-fd",
                                  std::to_string(demand_fd)};
    if (options.reconnect_seconds > 0) {
      args.insert(args.end(), {"--reconnect-seconds", std::to_string(options.reconnect_seconds)});
    }
    if (curve) {
      args.insert(args.end(), {"--curve-key", options.curve_key_file, "--curve-server-key",
                               options.curve_server_key_file});
    }
    ActorSupervisor supervisor(self_executable(), args, options.actors, options.max_restarts,
                               {board.fd(), demand_fd}, /*pin_ids=*/false);
    supervisor.start_all();
    logf(LogLevel::kInfo, "host agent: %d actors started for run %s, weights relayed from %s\n", options.actors,
         run_id.c_str(), weights_endpoint.c_str());
    bool all_clean = true;
    while (supervisor.available() > 0 && !g_agent_stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      for (const ActorEvent& event : supervisor.check()) {
        logf(LogLevel::kInfo, "host agent: %s\n", event.text.c_str());
        all_clean = all_clean && event.text.find("stopped") != std::string::npos;
      }
    }
    supervisor.stop_all(2.0);
    relay.stop();
    ::close(demand_fd);
    logf(LogLevel::kInfo, "host agent: done (%lld versions relayed for %lld requests, %llu loads on this host)\n",
         static_cast<long long>(relay.versions_received()), static_cast<long long>(relay.requests_sent()),
         static_cast<unsigned long long>(board.loads()));
    return all_clean || g_agent_stop.load() ? kActorStopped : kActorFailed;
  } catch (const std::exception& e) {
    logf(LogLevel::kError, "host agent: error: %s\n", e.what());
    return kActorFailed;
  }
}

}  // namespace rl
