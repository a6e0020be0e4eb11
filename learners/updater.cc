#include "learners/updater.h"

#include <pthread.h>

#include <time.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "learners/learner_group.h"
#include "rl/runtime/logging.h"

namespace rl {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof(text), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(text, sizeof(text), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return text;
}

double mean_of(const std::deque<double>& values) {
  return values.empty() ? NAN
                        : std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// A fault hook for the tests: every update takes this much longer, as a
// large model's would (0: off).
int update_pause_ms() {
  const char* value = std::getenv("RL_FAULT_UPDATE_PAUSE_MS");
  return value ? std::atoi(value) : 0;
}

// CPU time of the whole learner process (every stage's thread).
double process_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double parameter_checksum(Learner& learner) {
  torch::NoGradGuard no_grad;
  double sum = 0;
  for (const auto& p : learner.model().parameters()) sum += p.to(torch::kDouble).sum().item<double>();
  return sum;
}

}  // namespace

Updater::Updater(UpdaterConfig config, Learner& learner, BatchSource& source, LearnerGroup* group,
                 UpdaterHooks hooks, MetricsCsv& metrics, TensorBoardWriter& tensorboard, RunCounters counters,
                 std::atomic<int64_t>& version)
    : config_(std::move(config)),
      learner_(learner),
      source_(source),
      group_(group),
      hooks_(std::move(hooks)),
      metrics_(metrics),
      tensorboard_(tensorboard),
      counters_(counters),
      version_(version) {
  version_.store(learner_.version());
  env_steps_now_.store(counters_.env_steps);
}

Updater::~Updater() { join(); }

void Updater::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "rl-updater");
    run();
  });
}

void Updater::join() {
  if (thread_.joinable()) thread_.join();
}

void Updater::run() {
  start_ = Clock::now();
  start_steps_ = counters_.env_steps;
  start_updates_ = learner_.updates();
  const int pause_ms = update_pause_ms();
  // runtime.discard_batches (rl_bench_learner --no-update): batches are
  // taken and counted but not trained on, so that the rate of the stages
  // before the updater shows.
  const bool no_update = config_.discard_batches;
  int64_t next_checkpoint = config_.checkpoint_every > 0
                                ? (counters_.env_steps / config_.checkpoint_every + 1) * config_.checkpoint_every
                                : INT64_MAX;
  ProgressLine progress_line(config_.log_every_seconds);
  try {
    while (counters_.env_steps < config_.total_steps) {
      const auto wait_start = Clock::now();
      Batch* batch = nullptr;
      while (!batch && !stop_requested_.load()) batch = source_.next(std::chrono::milliseconds(100));
      wait_seconds_ += seconds_since(wait_start);
      // In a group every member takes part in every collective: the step
      // count (total_steps is the group's budget) and a stop from any member
      // are shared first, so that all members update, stop and finish together.
      int64_t steps = batch ? batch->env_steps() : 0;
      bool stop = batch == nullptr;
      if (group_) {
        const auto sums = group_->sum({static_cast<double>(steps), stop ? 1.0 : 0.0});
        steps = static_cast<int64_t>(sums[0]);
        stop = sums[1] > 0;
      }
      if (stop) {
        if (batch) source_.release(batch);
        interrupted_ = true;
        break;
      }
      const double progress = static_cast<double>(counters_.env_steps) / static_cast<double>(config_.total_steps);
      counters_.env_steps += steps;
      env_steps_now_.store(counters_.env_steps);
      if (pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
      MetricRow update_metrics;
      if (!no_update) {
        update_metrics = learner_.update(*batch, progress);
        version_.store(learner_.version());
        hooks_.publish(learner_);
      }
      record(*batch, update_metrics);
      progress_line.update(
          [&] {
            const double elapsed = std::max(seconds_since(start_), 1e-9);
            const double sps = static_cast<double>(counters_.env_steps - start_steps_) / elapsed;
            const double eta = static_cast<double>(config_.total_steps - counters_.env_steps) / std::max(sps, 1e-9);
            const double lag = metric(update_metrics, "policy_lag_mean");
            char text[320];
            std::snprintf(text, sizeof(text), "%s %lld/%lld steps (%.0f%%) | %.0f steps/s | return %.2f (last %zu)%s | ETA %s",
                          config_.label.c_str(), static_cast<long long>(counters_.env_steps),
                          static_cast<long long>(config_.total_steps),
                          100.0 * static_cast<double>(counters_.env_steps) / static_cast<double>(config_.total_steps),
                          sps, mean_of(recent_returns_), recent_returns_.size(),
                          std::isnan(lag) ? "" : (" | lag " + std::to_string(static_cast<int>(std::lround(lag)))).c_str(),
                          format_duration(eta).c_str());
            return std::string(text);
          }(),
          /*force=*/counters_.env_steps >= config_.total_steps);
      source_.release(batch);
      if (counters_.env_steps >= next_checkpoint && counters_.env_steps < config_.total_steps) {
        hooks_.checkpoint(counters_.previous_wall + seconds_since(start_));
        next_checkpoint = (counters_.env_steps / config_.checkpoint_every + 1) * config_.checkpoint_every;
      }
    }
    progress_line.finish();
    seconds_ = seconds_since(start_);
    hooks_.checkpoint(counters_.previous_wall + seconds_);
    metrics_.flush();
    tensorboard_.flush();
  } catch (...) {
    progress_line.finish();
    error_ = std::current_exception();
  }
  seconds_ = seconds_since(start_);
  finished_ = true;
}

void Updater::record(const Batch& batch, const MetricRow& update_metrics) {
  for (const Batch::Source& source : batch.sources) {
    env_errors_ += source.env_errors;
    steps_by_actor_[source.actor_id] += source.num_envs * batch.num_steps;
  }
  for (const EpisodeRecord& episode : batch.episodes) {
    ++counters_.episodes;
    recent_returns_.push_back(episode.return_);
    recent_lengths_.push_back(episode.length);
    if (recent_returns_.size() > 100) {
      recent_returns_.pop_front();
      recent_lengths_.pop_front();
    }
  }
  const double elapsed = std::max(seconds_since(start_), 1e-9);
  MetricRow row = {
      {"env_steps", static_cast<double>(counters_.env_steps)},
      {"updates", static_cast<double>(learner_.updates())},
      {"episodes", static_cast<double>(counters_.episodes)},
      {"episode_return_mean", mean_of(recent_returns_)},
      {"episode_length_mean", mean_of(recent_lengths_)},
      {"env_steps_per_second", static_cast<double>(counters_.env_steps - start_steps_) / elapsed},
      {"updates_per_second", static_cast<double>(learner_.updates() - start_updates_) / elapsed},
      {"batch_env_steps", static_cast<double>(batch.env_steps())},
      {"batch_unrolls", static_cast<double>(batch.sources.size())},
      {"env_errors", static_cast<double>(env_errors_)},
      {"wait_fraction", wait_seconds_ / elapsed},
      {"process_cpu_seconds", process_cpu_seconds()},
      {"wall_seconds", counters_.previous_wall + elapsed}};
  row.insert(row.end(), update_metrics.begin(), update_metrics.end());
  if (group_) {
    row.push_back({"learners", static_cast<double>(group_->world_size())});
    row.push_back({"param_checksum", parameter_checksum(learner_)});
  }
  if (hooks_.runtime_metrics) {
    const MetricRow runtime = hooks_.runtime_metrics();
    row.insert(row.end(), runtime.begin(), runtime.end());
  }
  // Per-actor throughput of the env steps the learner took: a column for
  // every local actor from the start (metrics.csv fixes its columns on the
  // first row), and for remote ones as they come (TensorBoard). Worked out
  // once a second: with hundreds of actors it is the bulk of a row.
  if (per_actor_.empty() || seconds_since(per_actor_at_) > 1.0) {
    per_actor_.clear();
    for (int id = 0; id < config_.local_actors; ++id) steps_by_actor_.try_emplace(id, 0);
    for (const auto& [id, steps] : steps_by_actor_) {
      per_actor_.push_back(
          {"actor_" + std::to_string(id) + "_env_steps_per_second", static_cast<double>(steps) / elapsed});
    }
    per_actor_at_ = Clock::now();
  }
  row.insert(row.end(), per_actor_.begin(), per_actor_.end());
  metrics_.write(row);
  // TensorBoard plots points, not updates: twenty events a second at most
  // (a fast learner runs a thousand updates a second), the last one always.
  if (seconds_since(tensorboard_at_) >= 0.05 || counters_.env_steps >= config_.total_steps) {
    tensorboard_.write(row, counters_.env_steps,
                       std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
    tensorboard_at_ = Clock::now();
  }
}

}  // namespace rl
