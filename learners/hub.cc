#include "learners/hub.h"

#include <pthread.h>

#include <time.h>

#include <algorithm>

#include "rl/runtime/logging.h"

namespace rl {
namespace {

using Clock = std::chrono::steady_clock;

// Hello, heartbeat and error are a few hundred bytes; an error's text is
// the largest part.
constexpr int64_t kMaxControlBytes = 1 << 20;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double thread_cpu_now() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace

const std::vector<std::string>& Hub::drop_reasons() {
  static const std::vector<std::string> reasons = {
      "malformed",     "unknown_kind",  "frame_count",  "bad_dtype",      "bad_shape",   "size_mismatch",
      "oversize",      "missing_field", "missing_array", "shape_mismatch", "non_finite",  "bad_action",
      "bad_flag",      "bad_index",     "bad_field",    "bad_version",    "bad_run",     "unexpected_kind",
      "unknown_actor", "bad_actor_id",  "out_of_order", "stale_incarnation", "over_credit", "queue_full",
      "stale_version", "stale_lag",     "future_version", "duplicate",  "bad_count"};
  return reasons;
}

Hub::Hub(HubConfig config, BoundedQueue<Delivery>& out)
    : config_(std::move(config)),
      out_(out),
      control_(wire::SocketType::kRouter),
      unrolls_(wire::SocketType::kPull) {
  limits_.obs_size = config_.spec.obs_size();
  limits_.byte_obs = config_.spec.observation_space.is_uint8();
  limits_.discrete = config_.spec.action_space.is_discrete();
  limits_.num_actions = config_.spec.action_space.n();
  limits_.action_size = config_.spec.action_size();
  limits_.core_state_size = config_.core_state_size;
  limits_.num_steps = config_.num_steps;
  limits_.num_envs = config_.num_envs;
  limits_.max_actor_id = config_.max_actors;
  sender_.run = config_.run_id;
  sender_.from = "learner-0";

  const std::string host = wire::endpoint_host(config_.bind);
  if (config_.curve_server) {
    for (wire::Socket* socket : {&control_, &unrolls_}) socket->set_curve_server(*config_.curve_server);
  }
  control_.set_tcp_keepalive(std::max(1, static_cast<int>(config_.timeout_seconds)));
  control_.set_max_message_bytes(kMaxControlBytes);
  control_endpoint_ = control_.bind(config_.bind);
  bound_endpoint_ = control_endpoint_;
  const int control_port = wire::endpoint_port(control_endpoint_);
  int unroll_port = config_.unroll_port;
  if (unroll_port < 0) unroll_port = wire::endpoint_port(config_.bind) == 0 ? 0 : control_port + 1;
  // Room for every actor's credits; the hub drops what exceeds them. No
  // part larger than the largest valid unroll (or, on the control socket,
  // than any control message) is ever read off the network.
  unrolls_.set_receive_hwm(std::max(1000, config_.max_actors * (config_.unroll_queue + 1)));
  unrolls_.set_max_message_bytes(wire::max_unroll_bytes(limits_));
  unroll_port_ = wire::endpoint_port(unrolls_.bind("tcp://" + host + ":" + std::to_string(unroll_port)));
  // A wildcard bind reads back as 0.0.0.0: actors on this host use loopback.
  if (wire::endpoint_host(control_endpoint_) == "0.0.0.0") {
    control_endpoint_ = "tcp://127.0.0.1:" + std::to_string(control_port);
  }
  last_liveness_check_ = Clock::now();
}

Hub::~Hub() { stop(); }

void Hub::start() {
  running_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rl-hub");
    const double cpu_start = thread_cpu_now();
    const bool inject_fault = stage_fault_injected("hub");
    while (running_.load(std::memory_order_relaxed)) {
      try {
        serve(100);
        if (inject_fault && unrolls_accepted_.load() > 0) throw std::runtime_error("injected fault (RL_FAULT_STAGE_THROW)");
      } catch (const std::exception& e) {
        // A bad message is dropped inside serve(); what escapes it is a
        // fault of the hub itself: it stops, and the runner ends the run.
        failure_.record(std::string("hub: ") + e.what());
        break;
      }
      cpu_seconds_.store(thread_cpu_now() - cpu_start, std::memory_order_relaxed);
    }
  });
}

void Hub::stop() {
  if (!running_.exchange(false)) return;
  wakeup_.notify();
  if (thread_.joinable()) thread_.join();
}

int64_t Hub::drops_total() const {
  std::lock_guard lock(mutex_);
  int64_t n = 0;
  for (const auto& [reason, count] : drops_) n += count;
  return n;
}

std::map<std::string, int64_t> Hub::drops() const {
  std::lock_guard lock(mutex_);
  return drops_;
}

std::vector<int64_t> Hub::live_actors() const {
  std::lock_guard lock(mutex_);
  return live_;
}

std::string Hub::last_actor_error() const {
  std::lock_guard lock(mutex_);
  return last_actor_error_;
}

std::vector<int64_t> Hub::take_dead_pids() {
  std::lock_guard lock(mutex_);
  std::vector<int64_t> out;
  out.swap(dead_pids_);
  return out;
}

void Hub::count_drop(const std::string& reason, const std::string& detail) {
  int64_t n;
  {
    std::lock_guard lock(mutex_);
    n = ++drops_[reason];
  }
  // The first few of each reason, then every 1000th: a flood of bad messages
  // must not become a flood of log lines.
  if (n <= 5 || n % 1000 == 0) {
    logf(LogLevel::kWarn, "learner: dropped a message (%s, %lld so far): %s\n", reason.c_str(),
         static_cast<long long>(n), detail.c_str());
  }
}

void Hub::set_ranks(std::vector<RankRoute> ranks) {
  std::lock_guard lock(mutex_);
  ranks_ = std::move(ranks);
  assigned_since_report_.clear();
}

void Hub::consumed(int64_t actor_id, int64_t incarnation) {
  {
    std::lock_guard lock(mutex_);
    returned_.push_back({actor_id, incarnation});
  }
  wakeup_.notify();
}

void Hub::recycle(std::unique_ptr<Unroll> unroll) {
  std::lock_guard lock(mutex_);
  if (unroll && recycled_.size() < 256) recycled_.push_back(std::move(unroll));
}

void Hub::actor_exited(int64_t actor_id) {
  {
    std::lock_guard lock(mutex_);
    exited_.push_back(actor_id);
  }
  wakeup_.notify();
}

void Hub::stop_actors(const std::string& reason) {
  if (!running_.load()) {
    // No thread: serve the request here (tests, and after stop()).
    std::lock_guard lock(mutex_);
    stop_requests_.push_back(reason);
  } else {
    {
      std::lock_guard lock(mutex_);
      stop_requests_.push_back(reason);
    }
    wakeup_.notify();
    return;
  }
  drain_inbox();
}

void Hub::reply(const std::string& identity, wire::WireMessage message) {
  wire::Frames frames = wire::serialize(std::move(message));
  frames.insert(frames.begin(), identity);
  control_.send(std::move(frames), 0);
}

void Hub::deliver(Delivery delivery) {
  const int64_t id = delivery.actor_id, incarnation = delivery.incarnation;
  const bool is_unroll = delivery.kind == Delivery::Kind::kUnroll;
  if (out_.try_push(std::move(delivery))) return;
  // Only a peer that ignores its credits (or PPO's one unroll per version)
  // can fill the queue: drop, and give the credit back.
  if (is_unroll) {
    count_drop("queue_full", "unroll of actor " + std::to_string(id) + ": the batcher's queue is full");
    auto it = actors_.find(id);
    if (it != actors_.end() && it->second.incarnation == incarnation && it->second.live) {
      it->second.delivered = std::max<int64_t>(0, it->second.delivered - 1);
      if (it->second.outstanding > 0) {
        --it->second.outstanding;
        --outstanding_total_;
        credits_outstanding_.store(outstanding_total_);
      }
    }
  }
}

int64_t Hub::free_actor_id(int64_t requested, const std::string& identity) const {
  auto taken = [&](int64_t id) {
    auto it = actors_.find(id);
    return it != actors_.end() && it->second.live && it->second.identity != identity;
  };
  if (requested >= 0 && requested < config_.max_actors && !taken(requested)) return requested;
  // The lowest id that is not live: a dead actor's id is reused (its reward
  // accumulators with it; the scaler's state stays bounded by max_actors).
  for (int64_t id = 0; id < config_.max_actors; ++id) {
    if (!taken(id)) return id;
  }
  return -1;
}

void Hub::handle_hello(const std::string& identity, const wire::WireMessage& m) {
  // Every field first: a bad hello must change nothing.
  const int64_t requested = m.get_int("actor_id");
  const int64_t pid = m.get_int("pid");
  const bool relay = m.body.count("relay") && m.get_bool("relay");
  const bool assignable = m.body.count("assignable") && m.get_bool("assignable");
  if (relay) {
    if (!(assignable && send_relay_to_rank(identity, pid))) welcome_relay(identity, pid);
    return;
  }
  if (assignable && send_actor_to_rank(identity, pid)) return;
  admit_actor(identity, requested, pid);
}

bool Hub::send_relay_to_rank(const std::string& identity, int64_t pid) {
  // Rank 0 of a group spreads relays over the ranks and itself (every rank
  // has the same weights), so that no rank sends every host its copies.
  std::lock_guard lock(mutex_);
  if (ranks_.empty()) return false;
  const size_t pick = relays_seen_++ % (ranks_.size() + 1);
  if (pick == 0) return false;
  const RankRoute& route = ranks_[pick - 1];
  wire::WireMessage assign = sender_.start("assign");
  assign.body = {{"endpoint", route.endpoint}, {"rank", static_cast<int64_t>(route.rank)}};
  reply(identity, std::move(assign));
  logf(LogLevel::kInfo, "learner: a host relay (pid %lld) goes to rank %d at %s\n", static_cast<long long>(pid),
       route.rank, route.endpoint.c_str());
  return true;
}

void Hub::welcome_relay(const std::string& identity, int64_t pid) {
  // A host agent's weights relay: the ports and the run, no actor slot.
  // The run's config and action space let the host agent choose what its
  // actors run (rl_actor when it can run the policy).
  wire::WireMessage config = sender_.start("config");
  config.body = {{"relay", true},
                 {"sync", config_.sync},
                 {"unroll_port", static_cast<int64_t>(unroll_port_)},
                 {"weights_port", static_cast<int64_t>(config_.weights_port)},
                 {"config_yaml", config_.config_yaml},
                 {"action_space", config_.spec.action_space.to_string()},
                 // The shape of an inference board (runtime.inference: host).
                 {"obs_size", config_.spec.obs_size()},
                 {"action_floats", config_.spec.action_space.is_discrete() ? int64_t{0} : config_.spec.action_size()},
                 {"core_state_size", config_.core_state_size},
                 {"obs_bytes", config_.spec.observation_space.is_uint8()}};
  reply(identity, std::move(config));
  logf(LogLevel::kInfo, "learner: a host relay joined (pid %lld)\n", static_cast<long long>(pid));
}

bool Hub::send_actor_to_rank(const std::string& identity, int64_t pid) {
  // Rank 0 of a group: the rank with the fewest actors takes this one
  // (rank 0 itself when none has fewer than it).
  std::lock_guard lock(mutex_);
  if (ranks_.empty()) return false;
  int own = 0;
  for (const auto& [id, actor] : actors_) own += actor.live;
  const RankRoute* best = nullptr;
  int best_count = own;
  for (const RankRoute& route : ranks_) {
    const int count = route.live_actors + assigned_since_report_[route.rank];
    if (count < best_count) {
      best = &route;
      best_count = count;
    }
  }
  if (!best) return false;
  ++assigned_since_report_[best->rank];
  ++assigned_away_;
  wire::WireMessage assign = sender_.start("assign");
  assign.body = {{"endpoint", best->endpoint}, {"rank", static_cast<int64_t>(best->rank)}};
  reply(identity, std::move(assign));
  logf(LogLevel::kInfo, "learner: an actor (pid %lld) goes to rank %d at %s\n", static_cast<long long>(pid),
       best->rank, best->endpoint.c_str());
  return true;
}

void Hub::admit_actor(const std::string& identity, int64_t requested, int64_t pid) {
  const int64_t id = free_actor_id(requested, identity);
  if (id < 0) {
    reply(identity, wire::make_error(sender_, "the run is full: " + std::to_string(config_.max_actors) +
                                                  " actors are live (runtime.max_actors)"));
    return;
  }
  ActorState& actor = actors_[id];
  if (actor.live) declare_dead(id, actor, "replaced by a new hello");
  actor.identity = identity;
  ++actor.incarnation;
  actor.last_seen = Clock::now();
  actor.last_sequence = -1;
  actor.pid = pid;
  actor.outstanding = 0;
  actor.delivered = 0;
  actor.last_version = -1;
  actor.live = true;
  wire::WireMessage config = sender_.start("config");
  config.body = {{"actor_id", id},
                 {"incarnation", actor.incarnation},
                 {"algorithm", config_.algorithm},
                 {"config_yaml", config_.config_yaml},
                 {"obs_size", config_.spec.obs_size()},
                 {"action_space", config_.spec.action_space.to_string()},
                 {"sync", config_.sync},
                 {"credits", !config_.sync},
                 {"seed", static_cast<int64_t>(config_.seed >> 1)},
                 {"heartbeat_seconds", config_.heartbeat_seconds},
                 {"timeout_seconds", config_.timeout_seconds},
                 {"unroll_port", static_cast<int64_t>(unroll_port_)},
                 {"weights_port", static_cast<int64_t>(config_.weights_port)}};
  if (config_.inference_port >= 0) {
    // runtime.inference learner: the actor steps envs and asks the
    // learner's inference socket for each step's actions.
    config.body["inference_port"] = static_cast<int64_t>(config_.inference_port);
    config.body["action_floats"] = config_.spec.action_space.is_discrete() ? int64_t{0} : config_.spec.action_size();
    config.body["core_state_size"] = config_.core_state_size;
  }
  reply(identity, std::move(config));
  {
    std::lock_guard lock(mutex_);
    live_.push_back(id);
    std::sort(live_.begin(), live_.end());
  }
  deliver({.kind = Delivery::Kind::kJoined, .actor_id = id, .incarnation = actor.incarnation});
  logf(LogLevel::kInfo, "learner: actor %lld joined (pid %lld)\n", static_cast<long long>(id),
       static_cast<long long>(pid));
  grant_credits();
}

void Hub::handle_control(wire::Frames frames) {
  if (frames.size() < 2) return;
  const std::string identity = frames[0];
  frames.erase(frames.begin());
  int64_t bytes = 0;
  for (const auto& f : frames) bytes += static_cast<int64_t>(f.size());
  bytes_received_ += bytes;
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
      handle_hello(identity, m);
    } else if (m.kind == "heartbeat") {
      const int64_t id = m.get_int("actor_id");
      auto it = actors_.find(id);
      if (it == actors_.end() || it->second.identity != identity || !it->second.live) {
        count_drop("unknown_actor", "heartbeat of actor " + std::to_string(id));
        // A peer we declared dead keeps beating: tell it, so that it rejoins
        // or exits instead of collecting for nobody.
        if (it != actors_.end() && it->second.identity == identity) {
          reply(identity, wire::make_error(sender_, "actor " + std::to_string(id) +
                                                        " is not live (declared dead: silent for the timeout, or ended by its error); join again"));
        }
        return;
      }
      it->second.last_seen = Clock::now();
      reply(identity, sender_.start("heartbeat"));
    } else if (m.kind == "error") {
      const std::string text = m.from + ": " + m.get_string("reason");
      {
        std::lock_guard lock(mutex_);
        last_actor_error_ = text;
      }
      logf(LogLevel::kError, "learner: %s reports: %s\n", m.from.c_str(), m.get_string("reason").c_str());
      // An actor that reports an error is done: it is declared dead at once
      // (its credits return to the pool) and, if local, killed for a restart,
      // instead of holding its credits until its heartbeat times out.
      for (auto& [id, actor] : actors_) {
        if (!actor.live || actor.identity != identity) continue;
        {
          std::lock_guard lock(mutex_);
          dead_pids_.push_back(actor.pid);
        }
        declare_dead(id, actor, "reported an error; its credits return to the pool");
        grant_credits();
        break;
      }
    } else {
      count_drop("unexpected_kind", "control message of kind " + m.kind);
    }
  } catch (const wire::WireError& e) {
    count_drop(e.reason(), std::string("control: ") + e.what());
  }
}

void Hub::handle_unroll(wire::Frames frames) {
  int64_t bytes = 0;
  for (const auto& f : frames) bytes += static_cast<int64_t>(f.size());
  bytes_received_ += bytes;
  std::unique_ptr<Unroll> unroll;
  if (!spare_.empty()) {
    unroll = std::move(spare_.back());
    spare_.pop_back();
  } else {
    unroll = std::make_unique<Unroll>();
  }
  try {
    wire::WireMessage m = wire::parse(std::move(frames));
    if (m.proto != wire::kProtocolVersion) {
      throw wire::WireError("bad_version", "unroll of protocol " + std::to_string(m.proto));
    }
    if (m.run != config_.run_id) throw wire::WireError("bad_run", "unroll of run '" + m.run + "'");
    wire::decode_unroll(m, limits_, *unroll);
    auto it = actors_.find(unroll->actor_id);
    if (it == actors_.end()) {
      throw wire::WireError("unknown_actor", "unroll of actor " + std::to_string(unroll->actor_id));
    }
    ActorState& actor = it->second;
    if (unroll->incarnation != actor.incarnation || !actor.live) {
      throw wire::WireError("stale_incarnation", "unroll of actor " + std::to_string(unroll->actor_id) +
                                                     " incarnation " + std::to_string(unroll->incarnation) +
                                                     "; it is at " + std::to_string(actor.incarnation) +
                                                     (actor.live ? "" : " (dead)"));
    }
    if (unroll->sequence <= actor.last_sequence) {
      throw wire::WireError("out_of_order", "sequence " + std::to_string(unroll->sequence) + " after " +
                                                std::to_string(actor.last_sequence));
    }
    if (!config_.sync && actor.delivered >= actor.outstanding) {
      throw wire::WireError("over_credit", "actor " + std::to_string(unroll->actor_id) +
                                               " sent an unroll without a credit");
    }
    actor.last_sequence = unroll->sequence;
    actor.last_seen = Clock::now();
    if (unroll->policy_version < actor.last_version) ++version_regressions_;
    actor.last_version = unroll->policy_version;
    ++actor.delivered;
    ++unrolls_accepted_;
    deliver({.kind = Delivery::Kind::kUnroll,
             .actor_id = unroll->actor_id,
             .incarnation = actor.incarnation,
             .unroll = std::move(unroll)});
    return;
  } catch (const wire::WireError& e) {
    count_drop(e.reason(), std::string("unroll: ") + e.what());
  } catch (const std::exception& e) {
    count_drop("malformed", std::string("unroll: ") + e.what());
  }
  if (unroll) spare_.push_back(std::move(unroll));
}

void Hub::declare_dead(int64_t id, ActorState& actor, const char* why) {
  actor.live = false;
  outstanding_total_ -= actor.outstanding;
  credits_outstanding_.store(outstanding_total_);
  actor.outstanding = 0;
  actor.delivered = 0;
  {
    std::lock_guard lock(mutex_);
    live_.erase(std::remove(live_.begin(), live_.end(), id), live_.end());
  }
  deliver({.kind = Delivery::Kind::kLeft, .actor_id = id, .incarnation = actor.incarnation});
  logf(LogLevel::kInfo, "learner: actor %lld %s\n", static_cast<long long>(id), why);
}

void Hub::drain_inbox() {
  std::vector<Returned> returned;
  std::vector<int64_t> exited;
  std::vector<std::string> stops;
  {
    std::lock_guard lock(mutex_);
    returned.swap(returned_);
    exited.swap(exited_);
    stops.swap(stop_requests_);
    while (!recycled_.empty() && spare_.size() < 256) {
      spare_.push_back(std::move(recycled_.back()));
      recycled_.pop_back();
    }
    recycled_.clear();
  }
  for (const Returned& r : returned) {
    auto it = actors_.find(r.actor_id);
    // A credit of an incarnation that died came back when it was declared dead.
    if (it == actors_.end() || it->second.incarnation != r.incarnation || !it->second.live) continue;
    it->second.delivered = std::max<int64_t>(0, it->second.delivered - 1);
    if (it->second.outstanding > 0) {
      --it->second.outstanding;
      --outstanding_total_;
      credits_outstanding_.store(outstanding_total_);
    }
  }
  for (int64_t id : exited) {
    auto it = actors_.find(id);
    if (it != actors_.end() && it->second.live) declare_dead(id, it->second, "exited; its id is free");
  }
  for (const std::string& reason : stops) {
    stopping_ = true;  // actors that now go quiet are leaving, not dead
    for (const auto& [id, actor] : actors_) {
      if (!actor.live) continue;
      wire::WireMessage stop = sender_.start("stop");
      stop.body["reason"] = reason;
      reply(actor.identity, std::move(stop));
    }
  }
  if (!returned.empty() || !exited.empty()) grant_credits();
}

void Hub::grant_credits() {
  if (config_.sync) return;
  const int64_t limit = config_.unrolls_in_flight > 0 ? config_.unrolls_in_flight : INT64_MAX;
  // Per actor: runtime.unroll_queue, or more when the live fleet could not
  // otherwise hold a whole batch's credits (a batch would never form).
  int64_t live = 0;
  for (const auto& [id, actor] : actors_) live += actor.live;
  int64_t per_actor = config_.unroll_queue;
  if (live > 0 && live * config_.unroll_queue < config_.batch_unrolls) {
    per_actor = (config_.batch_unrolls + live - 1) / live;
  }
  if (per_actor != config_.unroll_queue && per_actor != credit_cap_said_) {
    logf(LogLevel::kWarn,
         "learner: %lld live actor(s) x runtime.unroll_queue=%d credits cannot fill a batch of %d unrolls; "
         "each actor may now hold %lld\n",
         static_cast<long long>(live), config_.unroll_queue, config_.batch_unrolls, static_cast<long long>(per_actor));
  }
  credit_cap_said_ = per_actor == config_.unroll_queue ? 0 : per_actor;
  std::map<int64_t, int64_t> grants;  // actor id -> credits granted now
  while (outstanding_total_ < limit) {
    // The live actor with the fewest credits out; among equals the one
    // served last: its process is warm (caches, weights already loaded), so
    // on a host with more actors than cores a few busy actors beat many
    // cold ones (measured: bench/fleet.sh). With credits enough for the
    // whole fleet every actor gets its share either way.
    ActorState* best = nullptr;
    int64_t best_id = -1;
    for (auto& [id, actor] : actors_) {
      if (!actor.live || actor.outstanding >= per_actor) continue;
      if (!best || actor.outstanding < best->outstanding ||
          (actor.outstanding == best->outstanding && actor.granted_at > best->granted_at)) {
        best = &actor;
        best_id = id;
      }
    }
    if (!best) break;
    ++best->outstanding;
    ++outstanding_total_;
    best->granted_at = ++grant_round_;
    ++grants[best_id];
  }
  for (const auto& [id, n] : grants) reply(actors_[id].identity, wire::make_credit(sender_, n));
  credits_outstanding_.store(outstanding_total_);
}

void Hub::check_liveness() {
  if (stopping_ || seconds_since(last_liveness_check_) < 0.1) return;
  last_liveness_check_ = Clock::now();
  bool any = false;
  for (auto& [id, actor] : actors_) {
    if (actor.live && seconds_since(actor.last_seen) > config_.timeout_seconds) {
      ++declared_dead_;
      {
        std::lock_guard lock(mutex_);
        dead_pids_.push_back(actor.pid);
      }
      logf(LogLevel::kWarn, "learner: actor %lld silent for %.0f s, declared dead\n", static_cast<long long>(id),
           config_.timeout_seconds);
      declare_dead(id, actor, "is dead; its credits return to the pool");
      any = true;
    }
  }
  if (any) grant_credits();
}

void Hub::serve(int timeout_ms) {
  const auto ready = wire::poll_readable({&control_, &unrolls_}, {wakeup_.fd()}, timeout_ms);
  if (ready[2]) wakeup_.drain();
  // Exits and returned credits first: a restarted actor's hello must find
  // its predecessor already dead.
  drain_inbox();
  if (ready[0]) {
    for (int n = 0; n < 1000; ++n) {
      auto frames = control_.receive(0);
      if (!frames) break;
      handle_control(std::move(*frames));
    }
  }
  if (ready[1]) {
    // A bounded round, then control gets its turn again.
    for (int n = 0; n < 256; ++n) {
      auto frames = unrolls_.receive(0);
      if (!frames) break;
      handle_unroll(std::move(*frames));
    }
  }
  check_liveness();
}

}  // namespace rl
