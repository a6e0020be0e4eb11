#include "learners/publisher.h"

#include <pthread.h>

#include <random>

#include "rl/runtime/logging.h"

namespace rl {
namespace {

size_t frames_size(const wire::Frames& frames) {
  size_t n = 0;
  for (const auto& f : frames) n += f.size();
  return n;
}

}  // namespace

int64_t Publisher::new_epoch() {
  std::random_device device;
  const uint64_t bits = (static_cast<uint64_t>(device()) << 32) ^ device();
  return static_cast<int64_t>(bits >> 2) + 1;  // positive: 0 means "not known"
}

Publisher::Publisher(PublisherConfig config, wire::WeightsPayload initial)
    : config_(std::move(config)), socket_(wire::SocketType::kRouter) {
  sender_.run = config_.run_id;
  sender_.from = "learner-0";
  if (config_.curve_server) socket_.set_curve_server(*config_.curve_server);
  port_ = wire::endpoint_port(socket_.bind("tcp://" + config_.bind_host + ":" + std::to_string(config_.port)));
  const int64_t version = initial.version;
  encode(std::move(initial));
  if (config_.board) {
    // Room for the largest message of this network: its size now, plus
    // slack for the header's numbers growing (versions, counts).
    board_.emplace(wire::WeightsBoard::create(frames_size(current_) + current_.size() * 16 + 4096));
    board_->set_live(true);  // every version goes on it: actors never wait for an answer
    board_->publish(version, current_);
  }
}

Publisher::~Publisher() { stop(); }

void Publisher::start() {
  running_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rl-publisher");
    const bool inject_fault = stage_fault_injected("publisher");
    while (running_.load(std::memory_order_relaxed)) {
      try {
        serve(100);
        if (inject_fault && published_.load() > 1) throw std::runtime_error("injected fault (RL_FAULT_STAGE_THROW)");
      } catch (const std::exception& e) {
        failure_.record(std::string("publisher: ") + e.what());
        break;
      }
    }
  });
}

void Publisher::stop() {
  if (!running_.exchange(false)) return;
  incoming_.close();
  wakeup_.notify();
  if (thread_.joinable()) thread_.join();
}

void Publisher::publish(wire::WeightsPayload weights) {
  incoming_.put(std::move(weights));
  wakeup_.notify();
}

void Publisher::encode(wire::WeightsPayload&& weights) {
  const int64_t version = weights.version;
  weights.epoch = epoch_;
  current_ = wire::serialize(wire::encode_weights(sender_, weights, config_.dtype));
  version_.store(version);
  ++published_;
}

void Publisher::send_to(const std::string& identity) {
  wire::Frames frames;
  frames.reserve(current_.size() + 1);
  frames.push_back(identity);
  frames.insert(frames.end(), current_.begin(), current_.end());
  const int64_t bytes = static_cast<int64_t>(frames_size(current_));
  // ROUTER drops a message for a peer that is gone; nothing waits.
  socket_.send(std::move(frames), 0);
  bytes_sent_ += bytes;
  ++copies_sent_;
}

void Publisher::serve(int timeout_ms) {
  const auto ready = wire::poll_readable({&socket_}, {wakeup_.fd()}, timeout_ms);
  if (ready[1]) wakeup_.drain();
  if (auto weights = incoming_.take(std::chrono::milliseconds(0))) {
    encode(std::move(*weights));
    // Versions put and never encoded: superseded while this thread was busy.
    skipped_.store(incoming_.puts() - (published_.load() - 1));
    if (board_) board_->publish(version_.load(), current_);
    // Every requester that waited for something newer gets this version.
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second < version_.load()) {
        send_to(it->first);
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (!ready[0]) return;
  for (int n = 0; n < 1000; ++n) {
    auto frames = socket_.receive(0);
    if (!frames) break;
    if (frames->size() < 2) continue;
    const std::string identity = (*frames)[0];
    frames->erase(frames->begin());
    try {
      const wire::WireMessage m = wire::parse(std::move(*frames));
      if (m.kind != "want" || m.proto != wire::kProtocolVersion || m.run != config_.run_id) continue;
      // A version counted by another learner (before a resume) says nothing
      // of this one's: the asker gets these weights.
      const int64_t asker_epoch = m.body.count("epoch") ? m.get_int("epoch") : 0;
      const int64_t have = asker_epoch == epoch_ ? m.get_int("have") : -1;
      const bool wait = m.body.count("wait") ? m.get_bool("wait") : true;
      if (have < version_.load()) {
        send_to(identity);
        waiting_.erase(identity);
      } else if (wait) {
        waiting_[identity] = have;  // answered when a newer version exists
      } else {
        wire::WireMessage current = sender_.start("current");
        current.body["version"] = version_.load();
        current.body["epoch"] = epoch_;
        wire::Frames frames = wire::serialize(std::move(current));
        frames.insert(frames.begin(), identity);
        socket_.send(std::move(frames), 0);
      }
    } catch (const wire::WireError&) {
      // Not a request we know: nothing to answer. (The hub counts drops of
      // actors' messages; this socket carries requests only.)
    }
  }
}

}  // namespace rl
