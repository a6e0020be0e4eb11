#include "learners/inference_bridge.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "rl/runtime/logging.h"
#include "rl/wire/wire_message.h"

namespace rl {
namespace {

using Clock = std::chrono::steady_clock;

template <typename T>
bool all_finite(const wire::WireArray& a) {
  const T* v = a.data<T>();
  for (int64_t i = 0; i < a.count(); ++i) {
    if (!std::isfinite(v[i])) return false;
  }
  return true;
}

}  // namespace

InferenceBridge::InferenceBridge(InferenceBridgeConfig config)
    : config_(std::move(config)),
      socket_(wire::SocketType::kRouter),
      board_(wire::InferenceBoard::create(config_.layout, "")),
      waiting_(static_cast<size_t>(config_.layout.slots)) {
  if (config_.curve_server) socket_.set_curve_server(*config_.curve_server);
  // The largest valid request: a slot's observations as floats, and room.
  socket_.set_max_message_bytes(static_cast<int64_t>(config_.layout.rows) * config_.layout.obs_size * 4 + (1 << 16));
  socket_.set_linger(0);
  port_ = wire::endpoint_port(socket_.bind("tcp://" + config_.bind_host + ":" + std::to_string(config_.port)));
  answered_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (answered_fd_ < 0) throw std::runtime_error("inference bridge: eventfd failed");
  sender_.run = config_.run_id;
  sender_.from = "learner-inference";
}

InferenceBridge::~InferenceBridge() {
  stop();
  if (answered_fd_ >= 0) ::close(answered_fd_);
}

void InferenceBridge::start() {
  thread_ = std::thread([this] {
    try {
      run();
    } catch (const std::exception& e) {
      failure_.record(std::string("inference bridge: ") + e.what());
    }
  });
}

void InferenceBridge::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void InferenceBridge::run() {
  int pending = 0;
  while (!stop_.load()) {
    // Short waits while requests are in the server's hands: their answers
    // wake the eventfd, but a pass may end between the checks.
    const auto ready = wire::poll_readable({&socket_}, {answered_fd_}, pending > 0 ? 5 : 100);
    if (ready[1]) {
      uint64_t count = 0;
      [[maybe_unused]] const ssize_t got = ::read(answered_fd_, &count, sizeof count);
    }
    while (auto frames = socket_.receive(0)) {
      if (frames->size() < 2) continue;
      std::string identity = std::move(frames->front());
      frames->erase(frames->begin());
      take_request(std::move(identity), std::move(*frames));
    }
    answer_ready();
    pending = 0;
    const auto now = Clock::now();
    for (size_t slot = 0; slot < waiting_.size(); ++slot) {
      Waiting& w = waiting_[slot];
      if (!w.identity.empty()) {
        ++pending;
      } else if (w.last != Clock::time_point{} && now - w.last > std::chrono::duration<double>(config_.idle_release_seconds)) {
        // An actor gone quiet mid-unroll (dead) stops holding batches up.
        board_.set_idle(static_cast<int>(slot));
        w.last = Clock::time_point{};
      }
    }
  }
}

void InferenceBridge::refuse(const std::string& identity, const std::string& reason) {
  dropped_.fetch_add(1);
  wire::Frames frames = wire::serialize(wire::make_error(sender_, reason));
  frames.insert(frames.begin(), identity);
  socket_.send(std::move(frames), 0);
}

void InferenceBridge::take_request(std::string identity, wire::Frames frames) {
  const wire::InferenceLayout& l = board_.layout();
  wire::WireMessage m;
  try {
    m = wire::parse(std::move(frames));
    if (m.kind != "act") throw wire::WireError("unexpected_kind", "'" + m.kind + "' on the inference socket");
    if (m.proto != wire::kProtocolVersion) throw wire::WireError("bad_version", "protocol " + std::to_string(m.proto));
    if (!config_.run_id.empty() && m.run != config_.run_id) throw wire::WireError("bad_run", "run '" + m.run + "'");
    const int64_t actor = m.get_int("actor_id");
    if (actor < 0 || actor >= l.slots) {
      throw wire::WireError("bad_actor_id", "actor " + std::to_string(actor) + " (at most " + std::to_string(l.slots - 1) + ")");
    }
    Waiting& w = waiting_[static_cast<size_t>(actor)];
    if (!w.identity.empty()) throw wire::WireError("out_of_order", "a step of actor " + std::to_string(actor) + " is pending");
    const wire::WireArray& obs = m.array("obs");
    const wire::WireArray& starts = m.array("starts");
    const bool previous = m.get_bool("previous");
    const wire::DType obs_type = l.obs_bytes ? wire::DType::kUInt8 : wire::DType::kFloat32;
    if (obs.dtype != obs_type || obs.count() != static_cast<int64_t>(l.rows) * l.obs_size ||
        starts.dtype != wire::DType::kUInt8 || starts.count() != l.rows) {
      throw wire::WireError("shape_mismatch", "observations or starts of another shape than the run's (" +
                                                  std::to_string(l.rows) + " envs of " + std::to_string(l.obs_size) + ")");
    }
    if (!l.obs_bytes && !all_finite<float>(obs)) throw wire::WireError("non_finite", "an observation is not finite");
    const wire::InferenceSlotView v = board_.slot(static_cast<int>(actor));
    if (previous) {
      const wire::WireArray& rewards = m.array("rewards");
      const wire::WireArray& actions = m.array("previous_actions");
      const bool discrete = l.action_floats == 0;
      if (rewards.dtype != wire::DType::kFloat32 || rewards.count() != l.rows ||
          actions.dtype != (discrete ? wire::DType::kInt64 : wire::DType::kFloat32) ||
          actions.count() != static_cast<int64_t>(l.rows) * std::max(1, l.action_floats)) {
        throw wire::WireError("shape_mismatch", "the previous step's rewards or actions");
      }
      if (!all_finite<float>(rewards)) throw wire::WireError("non_finite", "a reward is not finite");
      std::copy_n(rewards.data<float>(), l.rows, v.rewards);
      if (discrete) {
        std::copy_n(actions.data<int64_t>(), l.rows, v.previous_discrete);
      } else {
        std::copy_n(actions.data<float>(), actions.count(), v.previous_box);
      }
    }
    const uint8_t* s = starts.data<uint8_t>();
    for (int64_t i = 0; i < l.rows; ++i) v.starts[i] = s[i] ? 1 : 0;
    if (l.obs_bytes) {
      std::copy_n(obs.data<uint8_t>(), obs.count(), v.obs_u8);
    } else {
      std::copy_n(obs.data<float>(), obs.count(), v.obs);
    }
    w.identity = std::move(identity);
    w.closing = m.body.count("closing") && m.get_bool("closing");
    w.step = m.get_int("step");
    w.last = Clock::now();
    requests_.fetch_add(1);
    board_.request(static_cast<int>(actor), previous ? wire::InferenceBoard::kPreviousStep : 0u,
                   m.get_int("min_version"));
  } catch (const wire::WireError& e) {
    logf(LogLevel::kDebug, "inference bridge: dropped a request: %s\n", e.what());
    refuse(identity, e.what());
  }
}

void InferenceBridge::answer_ready() {
  const wire::InferenceLayout& l = board_.layout();
  for (size_t slot = 0; slot < waiting_.size(); ++slot) {
    Waiting& w = waiting_[slot];
    if (w.identity.empty() || !board_.answered(static_cast<int>(slot))) continue;
    const wire::InferenceSlotView v = board_.slot(static_cast<int>(slot));
    wire::WireMessage m = sender_.start("acted");
    m.body = {{"step", w.step},
              {"version", board_.answered_version(static_cast<int>(slot))},
              {"epoch", board_.answered_epoch(static_cast<int>(slot))}};
    if (l.action_floats == 0) {
      m.add_array("actions", wire::DType::kInt64, {l.rows}, v.discrete, static_cast<size_t>(l.rows));
    } else {
      m.add_array("actions", wire::DType::kFloat32, {l.rows, l.action_floats}, v.box,
                  static_cast<size_t>(l.rows) * l.action_floats);
    }
    m.add_array("log_probs", wire::DType::kFloat32, {l.rows}, v.log_probs, static_cast<size_t>(l.rows));
    m.add_array("values", wire::DType::kFloat32, {l.rows}, v.values, static_cast<size_t>(l.rows));
    m.add_array("start_state", wire::DType::kFloat32, {l.rows, l.state_size}, v.start_state,
                static_cast<size_t>(l.rows) * l.state_size);
    wire::Frames frames = wire::serialize(std::move(m));
    frames.insert(frames.begin(), w.identity);
    socket_.send(std::move(frames), 0);  // a peer that is gone loses its answer, nothing else
    w.identity.clear();
    if (w.closing) {
      board_.set_idle(static_cast<int>(slot));
      w.last = Clock::time_point{};
    }
  }
}

}  // namespace rl
