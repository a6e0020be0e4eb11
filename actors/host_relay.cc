#include "actors/host_relay.h"

#include <pthread.h>
#include <unistd.h>

#include <chrono>

#include "rl/runtime/logging.h"
#include "rl/wire/messages.h"

namespace rl {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The version of a weights message, checking its kind; -1 when it is not one.
int64_t version_of(const wire::Frames& frames) {
  try {
    wire::Frames copy = frames;
    const wire::WireMessage m = wire::parse(std::move(copy));
    if (m.kind != "weights") return -1;
    return m.get_int("version");
  } catch (const wire::WireError&) {
    return -1;
  }
}

}  // namespace

std::optional<wire::Frames> fetch_first_weights(wire::Socket& socket, const std::string& run_id, double seconds) {
  wire::Sender sender{run_id, "relay", 0};
  socket.send(wire::serialize(wire::make_want(sender, -1, /*wait=*/true)), 1000);
  const auto start = Clock::now();
  while (seconds_since(start) < seconds) {
    auto frames = socket.receive(100);
    if (frames && version_of(*frames) >= 0) return frames;
  }
  return std::nullopt;
}

HostRelay::HostRelay(HostRelayConfig config, wire::Socket socket, wire::WeightsBoard& board, int demand_fd)
    : config_(std::move(config)), socket_(std::move(socket)), board_(board), demand_fd_(demand_fd) {
  sender_.run = config_.run_id;
  sender_.from = "relay";
  learner_version_ = config_.version;
  epoch_ = config_.epoch;
  // Tickets taken from now on are the relay's to answer (read here, not on
  // its thread: a ticket taken before the thread runs would be missed).
  answered_at_start_ = board_.demand();
}

HostRelay::~HostRelay() { stop(); }

void HostRelay::start() {
  running_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rl-relay");
    run();
  });
}

void HostRelay::stop() {
  if (!running_.exchange(false)) return;
  if (thread_.joinable()) thread_.join();
}

void HostRelay::request(bool wait) {
  socket_.send(wire::serialize(wire::make_want(sender_, learner_version_, wait, epoch_)), 0);
  ++requests_;
}

void HostRelay::run() {
  bool pending = false;
  uint32_t pending_ticket = 0;   // the tickets the pending request answers
  uint32_t answered = answered_at_start_;
  auto sent_at = Clock::now();
  while (running_.load()) {
    // Actors asked: one request serves every ticket taken so far.
    if (!config_.sync && !pending && board_.demand() != answered) {
      pending_ticket = board_.demand();
      request(/*wait=*/false);
      pending = true;
      sent_at = Clock::now();
    }
    if (config_.sync && !pending) {
      request(/*wait=*/true);
      pending = true;
      sent_at = Clock::now();
    }
    // A request lost with a restarted learner is asked again.
    if (pending && seconds_since(sent_at) > (config_.sync ? 5.0 : 1.0)) {
      request(config_.sync);
      sent_at = Clock::now();
    }
    const auto ready = wire::poll_readable({&socket_}, {demand_fd_}, 100);
    if (ready[1]) {
      uint64_t count;
      [[maybe_unused]] const ssize_t n = ::read(demand_fd_, &count, sizeof count);
    }
    if (!ready[0]) continue;
    while (auto frames = socket_.receive(0)) {
      wire::Frames copy = *frames;
      std::string kind;
      int64_t version = -1, epoch = 0;
      try {
        const wire::WireMessage m = wire::parse(std::move(copy));
        kind = m.kind;
        if (kind == "weights") {
          version = m.get_int("version");
          epoch = m.body.count("epoch") ? m.get_int("epoch") : 0;
        }
      } catch (const wire::WireError& e) {
        logf(LogLevel::kWarn, "relay: dropped a bad answer from the learner: %s\n", e.what());
        continue;
      }
      if (kind == "weights" && (version > learner_version_ || epoch != epoch_)) {
        if (epoch != epoch_ && epoch_ != 0) {
          logf(LogLevel::kInfo, "relay: weights of a new learner incarnation (version %lld)\n",
               static_cast<long long>(version));
        }
        try {
          board_.publish(board_.version() + 1, *frames);
          learner_version_ = version;
          epoch_ = epoch;
          ++versions_;
        } catch (const std::exception& e) {
          logf(LogLevel::kWarn, "relay: weights of version %lld do not fit the board: %s\n",
               static_cast<long long>(version), e.what());
        }
      }
      if (kind == "weights" || kind == "current") {
        pending = false;
        if (!config_.sync) {
          board_.answer(pending_ticket);
          answered = pending_ticket;
        }
      }
    }
  }
}

}  // namespace rl
