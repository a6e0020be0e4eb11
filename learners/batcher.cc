#include "learners/batcher.h"

#include <pthread.h>

#include <algorithm>
#include <optional>

#include "rl/runtime/logging.h"

namespace rl {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

Batcher::Batcher(BatcherConfig config, Hub& hub, BoundedQueue<Delivery>& in,
                 const std::atomic<int64_t>& learner_version)
    : config_(config), hub_(hub), in_(in), learner_version_(learner_version) {
  free_.try_push(&buffers_[0]);
  free_.try_push(&buffers_[1]);
}

Batcher::~Batcher() { stop(); }

void Batcher::start() {
  running_ = true;
  expected_version_ = learner_version_.load();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rl-batcher");
    run();
  });
}

void Batcher::stop() {
  if (!running_.exchange(false)) return;
  free_.close();
  full_.close();
  if (thread_.joinable()) thread_.join();
}

Batch* Batcher::next(milliseconds timeout) {
  auto batch = full_.pop(timeout);
  if (!batch) return nullptr;
  // The credits of its unrolls return now, as the update on them starts:
  // unrolls granted and not yet trained on never exceed the in-flight limit,
  // batches waiting here included.
  for (const Batch::Source& source : (*batch)->sources) hub_.consumed(source.actor_id, source.incarnation);
  return *batch;
}

void Batcher::release(Batch* batch) { free_.try_push(batch); }

void Batcher::drop(std::unique_ptr<Unroll> unroll, int64_t incarnation, const char* reason,
                   const std::string& detail) {
  hub_.count_drop(reason, detail);
  hub_.consumed(unroll->actor_id, incarnation);
  hub_.recycle(std::move(unroll));
}

void Batcher::run() {
  const bool inject_fault = stage_fault_injected("batcher");
  while (running_.load(std::memory_order_relaxed)) {
    try {
      if (inject_fault && emitted_ > 0) throw std::runtime_error("injected fault (RL_FAULT_STAGE_THROW)");
      for (Delivery& delivery : in_.pop_all(milliseconds(50))) {
        take(std::move(delivery));
        if (!config_.sync && started_ && static_cast<int>(pending_.size()) >= config_.unrolls_per_batch) emit();
      }
      if (config_.sync ? sync_batch_ready()
                       : started_ && static_cast<int>(pending_.size()) >= config_.unrolls_per_batch) {
        emit();
      }
    } catch (const std::exception& e) {
      // Its unrolls stay with it; the runner ends the run.
      failure_.record(std::string("batcher: ") + e.what());
      break;
    }
  }
}

void Batcher::take(Delivery delivery) {
  switch (delivery.kind) {
    case Delivery::Kind::kJoined:
      live_[delivery.actor_id] = delivery.incarnation;
      break;
    case Delivery::Kind::kLeft: {
      auto it = live_.find(delivery.actor_id);
      if (it != live_.end() && it->second == delivery.incarnation) live_.erase(it);
      break;
    }
    case Delivery::Kind::kUnroll: {
      std::unique_ptr<Unroll>& unroll = delivery.unroll;
      const int64_t version = learner_version_.load();
      if (config_.sync) {
        if (unroll->policy_version != expected_version_) {
          const std::string detail = "unroll of version " + std::to_string(unroll->policy_version) +
                                     "; the batch is of version " + std::to_string(expected_version_);
          drop(std::move(unroll), delivery.incarnation, "stale_version", detail);
          return;
        }
        for (const Pending& p : pending_) {
          if (p.unroll->actor_id == unroll->actor_id) {
            const std::string detail = "second unroll of actor " + std::to_string(p.unroll->actor_id) +
                                       " for version " + std::to_string(expected_version_);
            drop(std::move(unroll), delivery.incarnation, "duplicate", detail);
            return;
          }
        }
        if (pending_.empty()) first_arrival_ = Clock::now();
      } else if (unroll->policy_version > version) {
        // No honest actor has a version the learner has not published yet.
        const std::string detail = "unroll of version " + std::to_string(unroll->policy_version) +
                                   ", learner at " + std::to_string(version);
        drop(std::move(unroll), delivery.incarnation, "future_version", detail);
        return;
      } else if (config_.max_policy_lag > 0 && version - unroll->policy_version > config_.max_policy_lag) {
        const std::string detail = "unroll of version " + std::to_string(unroll->policy_version) +
                                   ", learner at " + std::to_string(version) + " (runtime.max_policy_lag " +
                                   std::to_string(config_.max_policy_lag) + ")";
        drop(std::move(unroll), delivery.incarnation, "stale_lag", detail);
        return;
      }
      pending_.push_back({std::move(unroll), delivery.incarnation});
      break;
    }
  }
  live_count_.store(static_cast<int>(live_.size()));
  started_ = started_ || static_cast<int>(live_.size()) >= config_.min_actors;
}

bool Batcher::sync_batch_ready() const {
  if (pending_.empty() || !started_) return false;
  bool complete = true;
  for (const auto& [id, incarnation] : live_) {
    const bool delivered = std::any_of(pending_.begin(), pending_.end(),
                                       [&](const Pending& p) { return p.unroll->actor_id == id; });
    complete = complete && delivered;
  }
  if (complete) return true;
  // An actor alive but late (its unroll dropped as invalid, or lost): the
  // update goes on without it after the straggler timeout.
  if (seconds_since(first_arrival_) > config_.straggler_seconds) {
    logf(LogLevel::kWarn, "learner: the update of version %lld goes on with %zu of %zu actors' unrolls\n",
         static_cast<long long>(expected_version_), pending_.size(), live_.size());
    return true;
  }
  return false;
}

void Batcher::emit() {
  std::optional<Batch*> buffer;
  while (running_.load() && !(buffer = free_.pop(milliseconds(100)))) {
  }
  if (!buffer) return;
  if (!config_.sync && config_.max_policy_lag > 0) {
    // The learner may have moved on while the batch filled: the cap holds
    // at the moment the batch is made, too.
    const int64_t version = learner_version_.load();
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (version - it->unroll->policy_version > config_.max_policy_lag) {
        const std::string detail = "unroll of version " + std::to_string(it->unroll->policy_version) +
                                   ", learner at " + std::to_string(version);
        drop(std::move(it->unroll), it->incarnation, "stale_lag", detail);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    if (static_cast<int>(pending_.size()) < config_.unrolls_per_batch) {
      free_.try_push(*buffer);
      return;
    }
  }
  if (config_.sync) {
    // In arrival order the batch's layout, and with it the order of every
    // sum in the update, would depend on which actor the scheduler ran
    // first: a seeded synchronous run would not repeat itself under load.
    std::sort(pending_.begin(), pending_.end(),
              [](const Pending& a, const Pending& b) { return a.unroll->actor_id < b.unroll->actor_id; });
  }
  std::vector<const Unroll*> unrolls;
  for (const Pending& p : pending_) unrolls.push_back(p.unroll.get());
  (*buffer)->assemble(unrolls);
  for (Pending& p : pending_) hub_.recycle(std::move(p.unroll));
  pending_.clear();
  if (config_.sync) ++expected_version_;
  while (running_.load() && !full_.push(*buffer, milliseconds(100))) {
  }
  ++emitted_;
}

}  // namespace rl
