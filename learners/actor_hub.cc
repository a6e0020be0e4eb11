#include "learners/actor_hub.h"

#include <cstdio>

namespace rl {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

const std::vector<std::string>& ActorHub::drop_reasons() {
  static const std::vector<std::string> reasons = {
      "malformed",   "unknown_kind",  "frame_count", "bad_dtype",   "bad_shape",   "size_mismatch",
      "oversize",    "missing_field", "missing_array", "shape_mismatch", "non_finite", "bad_action",
      "bad_flag",    "bad_index",     "bad_field",   "bad_version", "bad_run",     "unexpected_kind",
      "unknown_actor", "out_of_order", "stale_version", "duplicate", "bad_count"};
  return reasons;
}

ActorHub::ActorHub(HubConfig config)
    : config_(std::move(config)),
      control_(wire::SocketType::kRouter),
      unrolls_(wire::SocketType::kPull),
      weights_(wire::SocketType::kXPub) {
  limits_.obs_size = config_.spec.obs_size();
  limits_.discrete = config_.spec.action_space.is_discrete();
  limits_.num_actions = config_.spec.action_space.n();
  limits_.action_size = config_.spec.action_size();
  limits_.max_steps = config_.max_steps;
  limits_.max_envs = config_.max_envs;
  sender_.run = config_.run_id;
  sender_.from = "learner-0";

  const std::string host = wire::endpoint_host(config_.bind);
  if (config_.curve_server) {
    if (config_.authorized_keys.empty()) throw std::invalid_argument("CURVE needs at least one authorized actor key");
    authenticator_ = std::make_unique<wire::CurveAuthenticator>(config_.authorized_keys);
    for (wire::Socket* socket : {&control_, &unrolls_, &weights_}) socket->set_curve_server(*config_.curve_server);
  } else if (!wire::is_loopback_host(host)) {
    std::fprintf(stderr,
                 "learner: WARNING: binding %s without CURVE keys: anyone who can reach these ports can join "
                 "the run, send unrolls and read the weights (runtime.curve_secret_key, rl_keygen; "
                 "docs/cluster.md)\n",
                 config_.bind.c_str());
  }
  control_endpoint_ = control_.bind(config_.bind);
  unrolls_.set_receive_hwm(config_.unroll_queue * 8);
  unroll_port_ = wire::endpoint_port(unrolls_.bind("tcp://" + host + ":0"));
  weights_.set_xpub_verbose(true);
  weights_port_ = wire::endpoint_port(weights_.bind("tcp://" + host + ":0"));
  // A wildcard bind reads back as 0.0.0.0: actors on this host use loopback.
  if (wire::endpoint_host(control_endpoint_) == "0.0.0.0") {
    control_endpoint_ = "tcp://127.0.0.1:" + std::to_string(wire::endpoint_port(control_endpoint_));
  }
  last_liveness_check_ = Clock::now();
}

int64_t ActorHub::drops_total() const {
  int64_t n = 0;
  for (const auto& [reason, count] : drops_) n += count;
  return n;
}

void ActorHub::count_drop(const std::string& reason, const std::string& detail) {
  const int64_t n = ++drops_[reason];
  // Log the first few of each reason, then every 1000th: a flood must not
  // become a flood of log lines.
  if (n <= 5 || n % 1000 == 0) {
    std::fprintf(stderr, "learner: dropped a message (%s, %lld so far): %s\n", reason.c_str(),
                 static_cast<long long>(n), detail.c_str());
  }
}

void ActorHub::reply(const std::string& identity, wire::WireMessage message) {
  wire::Frames frames = wire::serialize(std::move(message));
  frames.insert(frames.begin(), identity);
  control_.send(std::move(frames), 0);
}

void ActorHub::publish(const wire::WeightsPayload& weights) {
  current_ = weights;
  wire::Frames frames = wire::serialize(wire::encode_weights(sender_, weights));
  frames.insert(frames.begin(), "weights");
  weights_.send(std::move(frames), 0);
}

void ActorHub::handle_subscription(const wire::Frames& frames) {
  // XPUB delivers "\x01topic" for a subscription, "\x00topic" for its end.
  if (frames.empty() || frames[0].empty() || frames[0][0] != 1) return;
  const std::string topic = frames[0].substr(1);
  if (topic.rfind("sync/", 0) != 0 || !current_) return;
  wire::Frames out = wire::serialize(wire::encode_weights(sender_, *current_));
  out.insert(out.begin(), topic);
  weights_.send(std::move(out), 0);
}

void ActorHub::handle_control(wire::Frames frames) {
  if (frames.size() < 2) return;
  const std::string identity = frames[0];
  frames.erase(frames.begin());
  for (const auto& f : frames) bytes_received_ += static_cast<int64_t>(f.size());
  wire::WireMessage m;
  try {
    m = wire::parse(std::move(frames));
  } catch (const wire::WireError& e) {
    count_drop(e.reason(), std::string("control: ") + e.what());
    return;
  }
  if (m.proto != wire::kProtocolVersion) {
    count_drop("bad_version", "control message of protocol " + std::to_string(m.proto));
    reply(identity, wire::make_error(sender_, "protocol version " + std::to_string(m.proto) +
                                                  " is not supported; this learner speaks version " +
                                                  std::to_string(wire::kProtocolVersion)));
    return;
  }
  if (!m.run.empty() && m.run != config_.run_id) {
    count_drop("bad_run", "control message of run '" + m.run + "'");
    reply(identity, wire::make_error(sender_, "run '" + m.run + "' is not this learner's run '" +
                                                  config_.run_id + "'"));
    return;
  }
  try {
    if (m.kind == "hello") {
      // Every field first: a bad hello must change nothing.
      int64_t id = m.get_int("actor_id");
      const int64_t pid = m.get_int("pid");
      if (id < 0 || (actors_.count(id) && actors_[id].live && actors_[id].identity != identity)) {
        id = actors_.empty() ? 0 : actors_.rbegin()->first + 1;  // assign a free id
      }
      ActorState& actor = actors_[id];
      actor.identity = identity;
      ++actor.incarnation;
      actor.last_seen = Clock::now();
      actor.last_sequence = -1;
      actor.pid = pid;
      actor.live = true;
      wire::WireMessage config = sender_.start("config");
      config.body = {{"actor_id", id},
                     {"incarnation", actor.incarnation},
                     {"algorithm", config_.algorithm},
                     {"config_yaml", config_.config_yaml},
                     {"obs_size", config_.spec.obs_size()},
                     {"action_space", config_.spec.action_space.to_string()},
                     {"sync", config_.sync},
                     {"seed", static_cast<int64_t>(config_.seed >> 1)},
                     {"heartbeat_seconds", config_.heartbeat_seconds},
                     {"timeout_seconds", config_.timeout_seconds},
                     {"unroll_port", static_cast<int64_t>(unroll_port_)},
                     {"weights_port", static_cast<int64_t>(weights_port_)}};
      reply(identity, std::move(config));
      std::printf("learner: actor %lld joined (pid %lld)\n", static_cast<long long>(id),
                  static_cast<long long>(pid));
      std::fflush(stdout);
    } else if (m.kind == "heartbeat") {
      const int64_t id = m.get_int("actor_id");
      auto it = actors_.find(id);
      if (it == actors_.end() || it->second.identity != identity) {
        count_drop("unknown_actor", "heartbeat of actor " + std::to_string(id));
        return;
      }
      it->second.last_seen = Clock::now();
      it->second.live = true;
      reply(identity, sender_.start("heartbeat"));
    } else if (m.kind == "error") {
      last_actor_error_ = m.from + ": " + m.get_string("reason");
      std::fprintf(stderr, "learner: %s reports: %s\n", m.from.c_str(), m.get_string("reason").c_str());
    } else {
      count_drop("unexpected_kind", "control message of kind " + m.kind);
    }
  } catch (const wire::WireError& e) {
    count_drop(e.reason(), std::string("control: ") + e.what());
  }
}

std::optional<Unroll> ActorHub::handle_unroll(wire::Frames frames) {
  for (const auto& f : frames) bytes_received_ += static_cast<int64_t>(f.size());
  try {
    wire::WireMessage m = wire::parse(std::move(frames));
    if (m.proto != wire::kProtocolVersion) {
      throw wire::WireError("bad_version", "unroll of protocol " + std::to_string(m.proto));
    }
    if (m.run != config_.run_id) throw wire::WireError("bad_run", "unroll of run '" + m.run + "'");
    Unroll unroll = wire::decode_unroll(m, limits_);
    auto it = actors_.find(unroll.actor_id);
    if (it == actors_.end()) {
      throw wire::WireError("unknown_actor", "unroll of actor " + std::to_string(unroll.actor_id));
    }
    ActorState& actor = it->second;
    if (unroll.sequence <= actor.last_sequence) {
      throw wire::WireError("out_of_order", "sequence " + std::to_string(unroll.sequence) + " after " +
                                                std::to_string(actor.last_sequence));
    }
    actor.last_sequence = unroll.sequence;
    actor.last_seen = Clock::now();
    actor.live = true;
    // The credit that lets the actor send one more unroll (flow control:
    // an actor has at most unroll_queue unrolls in flight, which bounds
    // the policy lag whatever the kernel's socket buffers would hold).
    wire::WireMessage credit = sender_.start("heartbeat");
    credit.body["consumed"] = unroll.sequence;
    reply(actor.identity, std::move(credit));
    return unroll;
  } catch (const wire::WireError& e) {
    count_drop(e.reason(), std::string("unroll: ") + e.what());
  } catch (const std::exception& e) {
    count_drop("malformed", std::string("unroll: ") + e.what());
  }
  return std::nullopt;
}

void ActorHub::check_liveness() {
  if (seconds_since(last_liveness_check_) < 0.2) return;
  last_liveness_check_ = Clock::now();
  for (auto& [id, actor] : actors_) {
    if (actor.live && seconds_since(actor.last_seen) > config_.timeout_seconds) {
      actor.live = false;
      ++declared_dead_;
      dead_pids_.push_back(actor.pid);
      std::fprintf(stderr, "learner: actor %lld silent for %.0f s, declared dead\n",
                   static_cast<long long>(id), config_.timeout_seconds);
    }
  }
}

std::vector<int64_t> ActorHub::take_dead_pids() {
  std::vector<int64_t> out;
  out.swap(dead_pids_);
  return out;
}

std::optional<Unroll> ActorHub::receive(int timeout_ms) {
  const auto start = Clock::now();
  while (true) {
    const double elapsed_ms = seconds_since(start) * 1000.0;
    const int wait = timeout_ms <= 0 ? 0 : std::max(0, timeout_ms - static_cast<int>(elapsed_ms));
    const auto ready = wire::poll_readable({&control_, &weights_, &unrolls_}, wait);
    check_liveness();
    if (ready[0]) {
      while (auto frames = control_.receive(0)) handle_control(std::move(*frames));
    }
    if (ready[1]) {
      while (auto frames = weights_.receive(0)) handle_subscription(*frames);
    }
    if (ready[2]) {
      if (auto frames = unrolls_.receive(0)) {
        if (auto unroll = handle_unroll(std::move(*frames))) return unroll;
        continue;  // a dropped message does not end the wait
      }
    }
    if (wait == 0) return std::nullopt;
  }
}

void ActorHub::stop_actors(const std::string& reason) {
  for (const auto& [id, actor] : actors_) {
    if (!actor.live) continue;
    wire::WireMessage stop = sender_.start("stop");
    stop.body["reason"] = reason;
    reply(actor.identity, std::move(stop));
  }
}

std::vector<int64_t> ActorHub::live_actors() const {
  std::vector<int64_t> out;
  for (const auto& [id, actor] : actors_) {
    if (actor.live) out.push_back(id);
  }
  return out;
}

}  // namespace rl
