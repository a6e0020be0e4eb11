#include "actors/actor_link.h"

#include <pthread.h>

#include <unistd.h>

#include <chrono>
#include <deque>

#include "actors/actor_process.h"
#include "rl/runtime/logging.h"

namespace rl {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::chrono::duration<double> seconds(double s) { return std::chrono::duration<double>(s); }

}  // namespace

ActorLink::ActorLink(ActorLinkConfig config, wire::Socket control, wire::Sender sender)
    : config_(std::move(config)),
      control_(std::move(control)),
      unrolls_(wire::SocketType::kPush),
      sender_(std::move(sender)) {
  auto secure = [&](wire::Socket& socket) {
    if (config_.curve) socket.set_curve_client(config_.curve_server_key, *config_.curve);
  };
  unrolls_.set_send_hwm(config_.send_queue);
  secure(unrolls_);
  unrolls_.connect(config_.unroll_endpoint);
  if (!config_.weights_endpoint.empty()) {
    weights_.emplace(wire::SocketType::kDealer);
    secure(*weights_);
    weights_->connect(config_.weights_endpoint);
  }
}

ActorLink::~ActorLink() {
  running_ = false;
  wakeup_.notify();
  if (thread_.joinable()) thread_.join();
}

void ActorLink::start() {
  running_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rl-link");
    try {
      run();
    } catch (const std::exception& e) {
      // The link is the actor's only way to the learner: without it the
      // actor ends (and its supervisor restarts it), it never runs deaf.
      logf(LogLevel::kError, "actor %lld: link thread: %s\n", static_cast<long long>(config_.actor_id), e.what());
      finish(kActorFailed);
    }
  });
}

void ActorLink::finish(int code) {
  int expected = -1;
  exit_code_.compare_exchange_strong(expected, code);
  std::lock_guard lock(mutex_);
  changed_.notify_all();
}

bool ActorLink::take_credit(double s) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, seconds(s), [&] { return credits_ > 0 || finished(); });
  if (finished() || credits_ <= 0) return false;
  --credits_;
  return true;
}

bool ActorLink::send(const Unroll& unroll) {
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return outgoing_ == nullptr || finished(); });
    if (finished()) return false;
    outgoing_ = &unroll;
  }
  wakeup_.notify();
  // Wait until the link has encoded it: the caller refills the same memory.
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return outgoing_ == nullptr || finished(); });
  return !finished();
}

void ActorLink::request_weights(int64_t have, bool wait, int64_t epoch) {
  {
    std::lock_guard lock(mutex_);
    want_out_ = Want{have, wait, epoch};
    request_pending_ = true;
  }
  wakeup_.notify();
}

std::optional<wire::WeightsPayload> ActorLink::take_weights(double s) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, seconds(s), [&] { return !request_pending_ || weights_in_.has_value() || finished(); });
  std::optional<wire::WeightsPayload> out;
  out.swap(weights_in_);
  return out;
}

void ActorLink::loaded(int64_t version, int64_t epoch) {
  std::lock_guard lock(mutex_);
  loaded_version_ = version;
  loaded_epoch_ = epoch;
}

void ActorLink::report_error(const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    error_out_ = reason;
  }
  wakeup_.notify();
}

void ActorLink::handle_control(wire::Frames frames) {
  try {
    const wire::WireMessage m = wire::parse(std::move(frames));
    if (m.kind == "stop") {
      finish(kActorStopped);
    } else if (m.kind == "credit") {
      const int64_t grant = m.get_int("grant");
      if (grant > 0) {
        if (config_.demand_board) {
          // The host's relay fetches the newest version while this message
          // is handled and the collector gets to the unroll.
          last_ticket_.store(config_.demand_board->take_ticket());
          const uint64_t one = 1;
          [[maybe_unused]] const ssize_t n = ::write(config_.demand_fd, &one, sizeof one);
        }
        std::lock_guard lock(mutex_);
        credits_ += grant;
        // The unroll this credit allows will start with the newest weights.
        if (weights_ && loaded_version_ > -2 && !request_pending_) {
          const bool waiting_same_epoch = weights_in_ && weights_in_->epoch == loaded_epoch_;
          const int64_t have = std::max(loaded_version_, waiting_same_epoch ? weights_in_->version : -1);
          want_out_ = Want{have, false, loaded_epoch_};
          request_pending_ = true;
        }
        changed_.notify_all();
      }
    } else if (m.kind == "error") {
      logf(LogLevel::kError, "actor %lld: the learner reports: %s\n", static_cast<long long>(config_.actor_id),
           m.get_string("reason").c_str());
      finish(kActorRefused);
    }
  } catch (const wire::WireError& e) {
    logf(LogLevel::kWarn, "actor %lld: dropped a bad control message: %s\n", static_cast<long long>(config_.actor_id),
         e.what());
  }
}

void ActorLink::run() {
  auto last_heard = Clock::now();
  // The first heartbeat goes out at once.
  Clock::time_point last_heartbeat =
      Clock::now() - std::chrono::duration_cast<Clock::duration>(seconds(config_.heartbeat_seconds));
  std::deque<wire::Frames> to_send;  // encoded unrolls waiting for room in the PUSH queue
  int64_t unrolls_sent = 0;
  while (running_.load() && !finished()) {
    std::vector<wire::Socket*> sockets{&control_};
    if (weights_) sockets.push_back(&*weights_);
    const auto ready = wire::poll_readable(sockets, {wakeup_.fd()}, to_send.empty() ? 50 : 2);
    if (ready.back()) wakeup_.drain();
    if (ready[0]) {
      while (auto frames = control_.receive(0)) {
        last_heard = Clock::now();
        handle_control(std::move(*frames));
      }
    }
    if (weights_ && ready[1]) {
      while (auto frames = weights_->receive(0)) {
        last_heard = Clock::now();
        try {
          wire::WireMessage m = wire::parse(std::move(*frames));
          if (m.kind == "current") {
            std::lock_guard lock(mutex_);
            request_pending_ = false;  // nothing newer than what this actor has
            changed_.notify_all();
            continue;
          }
          wire::WeightsPayload payload = wire::decode_weights(m);
          std::lock_guard lock(mutex_);
          // Newest wins: an older version still here is replaced unseen (a
          // version of another learner incarnation replaces it too).
          if (!weights_in_ || payload.version > weights_in_->version || payload.epoch != weights_in_->epoch) {
            weights_in_ = std::move(payload);
          }
          request_pending_ = false;
          changed_.notify_all();
        } catch (const std::exception& e) {
          logf(LogLevel::kWarn, "actor %lld: dropped bad weights: %s\n", static_cast<long long>(config_.actor_id),
               e.what());
          std::lock_guard lock(mutex_);
          request_pending_ = false;
          changed_.notify_all();
        }
      }
    }
    // What the collecting thread handed over.
    const Unroll* outgoing = nullptr;
    std::optional<Want> want;
    std::string error;
    {
      std::lock_guard lock(mutex_);
      outgoing = outgoing_;
      want.swap(want_out_);
      error.swap(error_out_);
    }
    if (outgoing) {
      to_send.push_back(wire::serialize(wire::encode_unroll(sender_, *outgoing)));
      std::lock_guard lock(mutex_);
      outgoing_ = nullptr;
      changed_.notify_all();
    }
    while (!to_send.empty() && unrolls_.send(std::move(to_send.front()), 0)) {
      to_send.pop_front();
      ++unrolls_sent;
    }
    if (want && weights_) weights_->send(wire::serialize(wire::make_want(sender_, want->have, want->wait, want->epoch)), 0);
    if (!error.empty()) control_.send(wire::serialize(wire::make_error(sender_, error)), 1000);
    if (seconds_since(last_heartbeat) >= config_.heartbeat_seconds) {
      wire::WireMessage beat = sender_.start("heartbeat");
      beat.body = {{"actor_id", config_.actor_id}, {"unrolls_sent", unrolls_sent}};
      control_.send(wire::serialize(std::move(beat)), 0);
      last_heartbeat = Clock::now();
    }
    if (seconds_since(last_heard) > config_.timeout_seconds) {
      logf(LogLevel::kWarn, "actor %lld: the learner has been silent for %.0f s\n",
           static_cast<long long>(config_.actor_id), config_.timeout_seconds);
      finish(kActorLearnerSilent);
    }
  }
  // An error report handed over at the end still goes out, and is given a
  // second to leave before the socket closes.
  std::string error;
  {
    std::lock_guard lock(mutex_);
    error.swap(error_out_);
  }
  if (!error.empty()) {
    control_.send(wire::serialize(wire::make_error(sender_, error)), 1000);
    control_.set_linger(1000);
  }
  if (!finished()) finish(kActorStopped);
}

}  // namespace rl
