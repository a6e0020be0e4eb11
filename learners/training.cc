#include "learners/training.h"

#include <nlohmann/json.hpp>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>

#include "actors/rollout_worker.h"
#include "envs/builtin.h"
#include "learners/actor_hub.h"
#include "learners/json_files.h"
#include "learners/learner_group.h"
#include "learners/supervisor.h"
#include "rl/wire/curve.h"
#include "rl/nn/gemm/gemm.h"
#include "rl/nn/threads.h"
#include "rl/env/evaluation.h"
#include "rl/env/plugin.h"
#include "rl/runtime/checkpoint.h"
#include "rl/runtime/logging.h"
#include "rl/runtime/metrics.h"
#include "rl/runtime/tensorboard.h"

namespace rl {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int> g_stop_signal{0};
extern "C" void on_stop_signal(int signal) {
  g_stop_signal.store(signal);
  // A second Ctrl-C ends the process at once.
  std::signal(signal, SIG_DFL);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string default_run_dir(const TrainingSetup& setup) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + setup.algorithm + "-" + setup.run.env + "-s" + std::to_string(setup.run.seed) +
         "-" + stamp;
}

std::string format_number(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

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

wire::WeightsPayload weights_of(Learner& learner) {
  wire::WeightsPayload w;
  w.version = learner.version();
  for (const auto& item : learner.model().named_parameters(/*recurse=*/true)) {
    const torch::Tensor cpu = item.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
    w.parameters.push_back({item.key(), cpu.sizes().vec(),
                            std::vector<float>(cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel())});
  }
  w.obs_mean = learner.obs_stats().mean();
  w.obs_var = learner.obs_stats().var();
  w.obs_count = learner.obs_stats().count();
  return w;
}

// Where the unrolls of an update come from.
class UnrollSource {
 public:
  virtual ~UnrollSource() = default;
  // Fills `batch` for the next update of `learner`; false when a stop signal came.
  virtual bool next(Learner& learner, std::vector<Unroll>& batch) = 0;
  // The learner has new weights.
  virtual void publish(Learner& learner) = 0;
  virtual MetricRow metrics() { return {}; }
  virtual void shutdown() {}
};

// --actors 0: a rollout worker in this process (for debugging).
class InProcessSource final : public UnrollSource {
 public:
  InProcessSource(const TrainingSetup& setup, const EnvRegistry& registry)
      : setup_(setup),
        worker_(registry, setup.run.env, setup.run.parsed_env_options(), setup.rollout, setup.policy,
                setup.normalize, setup.run.seed, /*actor_id=*/0) {}
  bool next(Learner&, std::vector<Unroll>& batch) override {
    batch.resize(setup_.unrolls_per_update);
    for (auto& unroll : batch) worker_.collect(unroll);
    return g_stop_signal.load() == 0;
  }
  void publish(Learner& learner) override {
    worker_.policy().load(learner.model(), learner.obs_stats(), learner.version());
  }
  RolloutWorker& worker() { return worker_; }

 private:
  const TrainingSetup& setup_;
  RolloutWorker worker_;
};

// Actor processes over ZeroMQ: local ones under a supervisor, remote ones
// that join the hub by themselves.
class ActorSource final : public UnrollSource {
 public:
  ActorSource(const TrainingSetup& setup, const EnvSpec& spec, const std::string& run_id, int rank)
      : setup_(setup),
        local_keys_(LocalActorKeys::make(setup)),
        hub_(HubConfig{.run_id = run_id,
                       .algorithm = setup.algorithm,
                       .config_yaml = setup.config_yaml,
                       .bind = setup.runtime.bind,
                       .spec = spec,
                       .sync = setup.sync,
                       .seed = derive_seed(setup.run.seed, 0xAC70000ull + static_cast<uint64_t>(rank)),
                       .heartbeat_seconds = setup.runtime.heartbeat_seconds,
                       .timeout_seconds = setup.runtime.actor_timeout_seconds,
                       .unroll_queue = setup.runtime.unroll_queue,
                       .curve_server = local_keys_.server,
                       .authorized_keys = local_keys_.authorized}) {
    logf(LogLevel::kInfo, "[%s %s] learner listening on %s (run id %s)\n", setup.algorithm.c_str(),
                setup.run.env.c_str(), hub_.control_endpoint().c_str(), run_id.c_str());
    if (setup.runtime.actors > 0) {
      std::vector<std::string> args{"--role", "actor", "--learner", hub_.control_endpoint(), "--run-id", run_id};
      if (local_keys_.server) {
        args.insert(args.end(), {"--curve-key", local_keys_.actor_key_file.string(), "--curve-server-key",
                                 local_keys_.server_public_file.string()});
      }
      supervisor_ = std::make_unique<ActorSupervisor>(self_executable(), args, setup.runtime.actors,
                                                      setup.runtime.max_restarts);
      supervisor_->start_all();
    }
  }

  ~ActorSource() override { shutdown(); }

  void wait_for_actors() {
    const int wanted = std::max(setup_.runtime.min_actors, setup_.runtime.actors);
    const auto start = Clock::now();
    while (static_cast<int>(hub_.live_actors().size()) < wanted) {
      // An actor that joined first may already be sending: keep its unrolls.
      if (auto unroll = hub_.receive(100)) pending_.push_back(std::move(*unroll));
      supervise();
      if (g_stop_signal.load()) return;
      if (seconds_since(start) > setup_.runtime.actor_timeout_seconds * 4) {
        throw std::runtime_error("only " + std::to_string(hub_.live_actors().size()) + " of " +
                                 std::to_string(wanted) + " actors joined within " +
                                 std::to_string(static_cast<int>(setup_.runtime.actor_timeout_seconds * 4)) + " s");
      }
    }
    started_ = Clock::now();  // per-actor throughput counts from here
  }

  bool next(Learner& learner, std::vector<Unroll>& batch) override {
    const auto start = Clock::now();
    batch.clear();
    if (setup_.sync) {
      // PPO: one unroll of the current version from every live actor. An
      // unroll that never comes (dropped as invalid, lost with its actor)
      // does not stall the run: after the actor timeout the update goes on
      // with what arrived.
      std::map<int64_t, Unroll> by_actor;
      while (true) {
        const auto live = hub_.live_actors();
        bool complete = !by_actor.empty();
        for (int64_t id : live) complete = complete && by_actor.count(id);
        if (complete) break;
        if (!by_actor.empty() && seconds_since(start) > setup_.runtime.actor_timeout_seconds) {
          logf(LogLevel::kWarn, "learner: update %lld goes on with %zu of %zu actors' unrolls\n",
                       static_cast<long long>(learner.updates()), by_actor.size(), live.size());
          break;
        }
        if (auto unroll = receive(100)) {
          if (unroll->policy_version != learner.version()) {
            hub_.count_drop("stale_version", "unroll of version " + std::to_string(unroll->policy_version) +
                                                 ", learner at " + std::to_string(learner.version()));
          } else if (by_actor.count(unroll->actor_id)) {
            hub_.count_drop("duplicate", "second unroll of actor " + std::to_string(unroll->actor_id));
          } else {
            by_actor.emplace(unroll->actor_id, std::move(*unroll));
          }
        }
        if (!supervise()) return false;
      }
      for (auto& [id, unroll] : by_actor) batch.push_back(std::move(unroll));
      for (const Unroll& unroll : batch) steps_by_actor_[unroll.actor_id] += unroll.num_samples();
    } else {
      // IMPALA: whatever arrives, of any version.
      while (static_cast<int>(batch.size()) < setup_.unrolls_per_update) {
        if (auto unroll = receive(100)) {
          steps_by_actor_[unroll->actor_id] += unroll->num_samples();
          batch.push_back(std::move(*unroll));
        }
        if (!supervise()) return false;
      }
    }
    wait_seconds_ += seconds_since(start);
    return true;
  }

  void publish(Learner& learner) override { hub_.publish(weights_of(learner)); }

  MetricRow metrics() override {
    MetricRow row = {{"live_actors", static_cast<double>(hub_.live_actors().size())},
                     {"actor_restarts", static_cast<double>(supervisor_ ? supervisor_->restarts() : 0)},
                     {"wait_seconds", wait_seconds_},
                     {"bytes_received", static_cast<double>(hub_.bytes_received())},
                     {"dropped_messages", static_cast<double>(hub_.drops_total())},
                     {"curve_refusals", static_cast<double>(hub_.curve_refusals())}};
    for (const auto& reason : ActorHub::drop_reasons()) {
      auto it = hub_.drops().find(reason);
      row.push_back({"dropped_" + reason, it == hub_.drops().end() ? 0.0 : static_cast<double>(it->second)});
    }
    // Per-actor throughput of the env steps the learner took: a column for
    // every local actor from the start (metrics.csv fixes its columns on
    // the first row), and for remote ones as they come (TensorBoard).
    const double elapsed = std::max(seconds_since(started_), 1e-9);
    for (int id = 0; id < setup_.runtime.actors; ++id) steps_by_actor_.try_emplace(id, 0);
    for (const auto& [id, steps] : steps_by_actor_) {
      row.push_back({"actor_" + std::to_string(id) + "_env_steps_per_second", static_cast<double>(steps) / elapsed});
    }
    return row;
  }

  void shutdown() override {
    if (done_) return;
    done_ = true;
    hub_.stop_actors("the run is over");
    if (supervisor_) {
      // Give actors the stop message's worth of time, then the supervisor's signals.
      const auto start = Clock::now();
      while (supervisor_->running() > 0 && seconds_since(start) < 2.0) {
        hub_.receive(20);
        supervisor_->check();
      }
      supervisor_->stop_all(1.0);
    }
  }

 private:
  std::map<int64_t, int64_t> steps_by_actor_;  // env steps taken from each actor
  Clock::time_point started_ = Clock::now();

  std::optional<Unroll> receive(int timeout_ms) {
    if (!pending_.empty()) {
      Unroll unroll = std::move(pending_.front());
      pending_.pop_front();
      return unroll;
    }
    return hub_.receive(timeout_ms);
  }

  // Restarts dead local actors; false when a stop signal came. Throws when no
  // actor is left at all.
  bool supervise() {
    if (g_stop_signal.load()) return false;
    if (supervisor_) {
      // A local actor declared dead (stalled, no heartbeats) may still be
      // running: kill it so that the supervisor restarts it.
      for (const int64_t pid : hub_.take_dead_pids()) {
        if (supervisor_->kill_actor(static_cast<pid_t>(pid))) {
          logf(LogLevel::kWarn, "[%s %s] actor process %lld stopped answering; killed for a restart\n",
               setup_.algorithm.c_str(), setup_.run.env.c_str(), static_cast<long long>(pid));
        }
      }
      for (const auto& event : supervisor_->check()) {
        logf(LogLevel::kInfo, "[%s %s] %s\n", setup_.algorithm.c_str(), setup_.run.env.c_str(), event.c_str());
      }
      if (supervisor_->available() == 0 && hub_.live_actors().empty() && !setup_.serve_remote) {
        throw std::runtime_error("every actor has failed and none can be restarted" +
                                 (hub_.last_actor_error().empty() ? std::string()
                                                                  : "; the last error: " + hub_.last_actor_error()));
      }
    }
    return true;
  }

  // CURVE keys of the run: the learner's pair and the authorized actors
  // from the config, plus a pair made for this process's local actors
  // (written 0600 into a private temporary folder, removed at the end).
  struct LocalActorKeys {
    std::optional<wire::CurveKeyPair> server;
    std::set<std::string> authorized;
    fs::path dir, actor_key_file, server_public_file;

    static LocalActorKeys make(const TrainingSetup& setup) {
      LocalActorKeys keys;
      if (setup.runtime.curve_secret_key.empty()) return keys;
      keys.server = wire::read_curve_key_file(setup.runtime.curve_secret_key, /*need_secret=*/true);
      keys.authorized = wire::read_authorized_keys(setup.runtime.curve_authorized_keys);
      if (setup.runtime.actors > 0) {
        keys.dir = fs::temp_directory_path() / ("rl-actor-keys-" + std::to_string(::getpid()));
        fs::remove_all(keys.dir);
        fs::create_directories(keys.dir);
        fs::permissions(keys.dir, fs::perms::owner_all);
        const wire::CurveKeyPair local = wire::generate_curve_keypair();
        wire::write_curve_keys(keys.dir, "local-actor", local);
        wire::write_curve_keys(keys.dir, "learner", {keys.server->public_key, ""});
        fs::remove(keys.dir / "learner.key");  // only the public half is needed
        keys.actor_key_file = keys.dir / "local-actor.key";
        keys.server_public_file = keys.dir / "learner.pub";
        keys.authorized.insert(local.public_key);
      }
      return keys;
    }
    ~LocalActorKeys() {
      std::error_code ignored;
      if (!dir.empty()) fs::remove_all(dir, ignored);
    }
    LocalActorKeys() = default;
    LocalActorKeys(LocalActorKeys&& other) noexcept
        : server(std::move(other.server)),
          authorized(std::move(other.authorized)),
          dir(std::move(other.dir)),
          actor_key_file(std::move(other.actor_key_file)),
          server_public_file(std::move(other.server_public_file)) {
      other.dir.clear();
    }
  };

  const TrainingSetup& setup_;
  LocalActorKeys local_keys_;
  ActorHub hub_;
  std::unique_ptr<ActorSupervisor> supervisor_;
  std::deque<Unroll> pending_;  // received while waiting for actors to join
  double wait_seconds_ = 0;
  bool done_ = false;
};

// Starts the other members of a learner group on this host: this program
// with the same arguments and the torchrun variables. They die with us.
std::vector<pid_t> start_group_members(const TrainingSetup& setup, int port, const fs::path& run_dir) {
  std::vector<pid_t> pids;
  const std::string program = self_executable();
  for (int rank = 1; rank < setup.learners; ++rank) {
    // The same arguments, with the run directory made explicit (a default
    // one is named after the time, which could differ by a second).
    std::vector<std::string> args{program};
    for (size_t i = 0; i < setup.program_args.size(); ++i) {
      const std::string& a = setup.program_args[i];
      if (a == "--run-dir") {
        ++i;
        continue;
      }
      if (a.rfind("--run-dir=", 0) == 0) continue;
      args.push_back(a);
    }
    args.push_back("--run-dir");
    args.push_back(run_dir.string());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("cannot start learner " + std::to_string(rank));
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(setup.learners).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      ::execv(program.c_str(), argv.data());
      ::_exit(127);
    }
    pids.push_back(pid);
  }
  return pids;
}

double parameter_checksum(Learner& learner) {
  torch::NoGradGuard no_grad;
  double sum = 0;
  for (const auto& p : learner.model().parameters()) sum += p.to(torch::kDouble).sum().item<double>();
  return sum;
}

// Installs the stop-signal handlers for the life of a run.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal.store(0);
    previous_int_ = std::signal(SIGINT, on_stop_signal);
    previous_term_ = std::signal(SIGTERM, on_stop_signal);
  }
  ~StopSignals() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

}  // namespace

TrainingSummary train(const TrainingSetup& setup) {
  const RunConfig& run = setup.run;
  EnvRegistry& registry = default_registry();
  if (!registry.contains("CartPole-v1")) envs::register_builtin_envs(registry);
  for (const auto& plugin : run.plugin_paths()) load_env_plugin(plugin, registry);
  const EnvOptions env_options = run.parsed_env_options();
  const EnvSpec spec = [&] {
    VectorEnvConfig c;
    c.env_options = env_options;
    return VectorEnv(registry, run.env, c).spec();
  }();

  // ---- Learner group ----------------------------------------------------------
  // From torchrun's variables, or --learners N: this process is rank 0 and
  // starts the others. Rank 0 writes the run directory's checkpoints and
  // summary; rank r > 0 writes metrics.csv and summary.json into rank-<r>/.
  std::optional<GroupInfo> group_info = group_from_environment();
  if (!group_info && setup.learners > 1) group_info = GroupInfo{0, setup.learners, "127.0.0.1", 0};
  const int rank = group_info ? group_info->rank : 0;
  const bool writes_checkpoints = rank == 0;

  // ---- Run directory --------------------------------------------------------
  const fs::path main_run_dir =
      run.run_dir.empty() ? fs::path(default_run_dir(setup)) : fs::path(run.run_dir);
  const fs::path run_dir = rank == 0 ? main_run_dir : main_run_dir / ("rank-" + std::to_string(rank));
  const fs::path checkpoints = main_run_dir / "checkpoints";
  if (rank > 0) {
    // Checked by rank 0.
  } else if (setup.resume) {
    if (!fs::exists(checkpoints / "latest")) {
      throw std::invalid_argument("--resume: " + run_dir.string() + " has no checkpoint to resume from");
    }
  } else if (fs::exists(checkpoints / "latest")) {
    throw std::invalid_argument("run directory " + run_dir.string() +
                                " already holds a run; pass --resume to continue it or choose "
                                "another --run-dir");
  }
  fs::create_directories(run_dir);
  if (writes_checkpoints) fs::create_directories(checkpoints);
  write_text(run_dir / "config.yaml", setup.config_yaml);

  set_compute_threads(run.torch_threads);
  torch::manual_seed(run.seed);  // the initial weights
  const torch::Device device = resolve_device(run.device);
  std::unique_ptr<Learner> learner = setup.make_learner(spec, device);
  std::optional<CheckpointStore> store;
  if (writes_checkpoints) store.emplace(checkpoints, run.keep_checkpoints);
  StopSignals stop_signals;
  std::vector<pid_t> group_members;
  std::unique_ptr<LearnerGroup> group;
  if (group_info) {
    group = std::make_unique<LearnerGroup>(*group_info, device, setup.runtime.actor_timeout_seconds * 4,
                                           [&](int port) {
                                             if (rank == 0 && !group_from_environment()) {
                                               group_members = start_group_members(setup, port, main_run_dir);
                                             }
                                           });
    logf(LogLevel::kInfo, "[%s %s] learner %d of a group of %d (c10d Gloo)\n", setup.algorithm.c_str(),
                run.env.c_str(), rank, group->world_size());
  }

  int64_t env_steps = 0;
  int64_t episodes = 0;
  int64_t env_errors = 0;  // env failures the actors recovered from (this session)
  double previous_wall = 0;  // wall seconds of the run before this process
  std::optional<std::array<uint64_t, 4>> saved_actor_rng;
  if (setup.resume) {
    // Every member reads the main run directory (a shared file system).
    const fs::path dir = verify_checkpoint(main_run_dir);
    learner->load(dir);
    const nlohmann::json state = read_json(dir / "state.json");
    if (state.at("env").get<std::string>() != run.env || state.at("algorithm") != setup.algorithm) {
      throw std::invalid_argument("--resume: the checkpoint is of " + state.at("algorithm").get<std::string>() +
                                  " on " + state.at("env").get<std::string>() + ", not " +
                                  setup.algorithm + " on " + run.env);
    }
    env_steps = state.at("env_steps").get<int64_t>();
    episodes = state.at("episodes").get<int64_t>();
    previous_wall = state.at("wall_seconds").get<double>();
    saved_actor_rng = state.at("actor_rng").get<std::array<uint64_t, 4>>();
    logf(LogLevel::kInfo, "[%s %s] resuming %s at %lld env steps, %lld updates\n", setup.algorithm.c_str(),
                run.env.c_str(), dir.c_str(), static_cast<long long>(env_steps),
                static_cast<long long>(learner->updates()));
  }

  // Every member starts from rank 0's parameters.
  if (group) learner->join_group(group.get());

  // ---- Where unrolls come from ------------------------------------------------
  std::unique_ptr<UnrollSource> source;
  InProcessSource* in_process = nullptr;
  if (setup.runtime.actors == 0 && !setup.serve_remote) {
    auto local = std::make_unique<InProcessSource>(setup, registry);
    in_process = local.get();
    if (saved_actor_rng) {
      local->worker().policy().rng().set_state(*saved_actor_rng);
      // Episodes in flight at the checkpoint are not saved: envs start anew,
      // from a seed that depends only on the checkpoint.
      local->worker().reset_envs(derive_seed(run.seed, 0x5EED0000ull + learner->updates()));
    }
    source = std::move(local);
  } else {
    const std::string run_id =
        main_run_dir.filename().string() + (rank > 0 ? "-rank-" + std::to_string(rank) : "");
    auto actors = std::make_unique<ActorSource>(setup, spec, run_id, rank);
    actors->publish(*learner);
    actors->wait_for_actors();
    source = std::move(actors);
  }
  source->publish(*learner);

  MetricsCsv metrics(run_dir / "metrics.csv", /*append=*/setup.resume);
  TensorBoardWriter tensorboard(run_dir / "tb");  // the same scalars, for TensorBoard
  auto save_checkpoint = [&](double wall) {
    if (!store) return;
    store->write(env_steps, [&](const fs::path& dir) {
      learner->save(dir);
      write_text(dir / "config.yaml", setup.config_yaml);
      const std::array<uint64_t, 4> actor_rng =
          in_process ? in_process->worker().policy().rng().state() : std::array<uint64_t, 4>{};
      const nlohmann::ordered_json state = {{"algorithm", setup.algorithm},
                                            {"env", run.env},
                                            {"env_options", run.env_options},
                                            {"seed", run.seed},
                                            {"env_steps", env_steps},
                                            {"episodes", episodes},
                                            {"wall_seconds", wall},
                                            {"actor_rng", actor_rng}};
      write_text(dir / "state.json", state.dump(2) + "\n");
    });
  };

  const std::string compute = learner->fast_path()
                                  ? std::string("fast path, Eigen ") + gemm_kernels().name
                                  : "libtorch, " + blas_description();
  logf(LogLevel::kInfo, "[%s %s] run directory %s, device %s (%s), %lld env steps, %s\n", setup.algorithm.c_str(),
              run.env.c_str(), run_dir.c_str(), device.str().c_str(), compute.c_str(),
              static_cast<long long>(run.total_steps),
              in_process ? "collecting in this process" :
                           (std::to_string(setup.runtime.actors) + " local actor processes").c_str());
  const auto start = Clock::now();
  auto wall_now = [&] { return previous_wall + seconds_since(start); };
  const int64_t start_steps = env_steps;
  const int64_t start_updates = learner->updates();
  ProgressLine progress_line(run.log_every_seconds);
  int64_t next_checkpoint = run.checkpoint_every > 0
                                ? (env_steps / run.checkpoint_every + 1) * run.checkpoint_every
                                : INT64_MAX;
  std::deque<double> recent_returns, recent_lengths;  // the last 100 episodes
  std::vector<Unroll> batch;
  std::vector<const Unroll*> pointers;
  bool interrupted = false;

  while (env_steps < run.total_steps) {
    const double progress = static_cast<double>(env_steps) / static_cast<double>(run.total_steps);
    const bool got_batch = source->next(*learner, batch);
    int64_t batch_steps = 0;
    if (got_batch) {
      for (const auto& unroll : batch) batch_steps += unroll.num_samples();
    }
    // In a group every member takes part in every collective: the step count
    // (total_steps is the group's budget) and a stop from any member are
    // shared first, so that all members update, stop and finish together.
    bool stop = !got_batch;
    if (group) {
      const auto sums = group->sum({static_cast<double>(batch_steps), stop ? 1.0 : 0.0});
      batch_steps = static_cast<int64_t>(sums[0]);
      stop = sums[1] > 0;
    }
    if (stop) {
      interrupted = true;
      break;
    }
    env_steps += batch_steps;
    pointers.clear();
    for (const auto& unroll : batch) {
      pointers.push_back(&unroll);
      env_errors += unroll.env_errors;
      for (const auto& episode : unroll.episodes) {
        ++episodes;
        recent_returns.push_back(episode.return_);
        recent_lengths.push_back(episode.length);
        if (recent_returns.size() > 100) {
          recent_returns.pop_front();
          recent_lengths.pop_front();
        }
      }
    }
    MetricRow update_metrics = learner->update(pointers, progress);
    source->publish(*learner);

    const double wall = wall_now();
    const double seconds_here = std::max(seconds_since(start), 1e-9);
    const double sps = static_cast<double>(env_steps - start_steps) / seconds_here;
    const double ups = static_cast<double>(learner->updates() - start_updates) / seconds_here;
    auto mean_of = [](const std::deque<double>& values) {
      return values.empty() ? NAN
                            : std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
    };
    const double mean_return = mean_of(recent_returns);
    MetricRow row = {{"env_steps", static_cast<double>(env_steps)},
                     {"updates", static_cast<double>(learner->updates())},
                     {"episodes", static_cast<double>(episodes)},
                     {"episode_return_mean", mean_return},
                     {"episode_length_mean", mean_of(recent_lengths)},
                     {"env_steps_per_second", sps},
                     {"updates_per_second", ups},
                     {"env_errors", static_cast<double>(env_errors)},
                     {"wall_seconds", wall}};
    row.insert(row.end(), update_metrics.begin(), update_metrics.end());
    if (group) {
      row.push_back({"learners", static_cast<double>(group->world_size())});
      row.push_back({"param_checksum", parameter_checksum(*learner)});
    }
    MetricRow source_metrics = source->metrics();
    for (auto& [name, value] : source_metrics) {
      if (name == "wait_seconds") {
        row.push_back({"wait_fraction", value / seconds_here});
      } else {
        row.push_back({name, value});
      }
    }
    metrics.write(row);
    tensorboard.write(row, env_steps,
                      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());

    {
      const double eta = static_cast<double>(run.total_steps - env_steps) / std::max(sps, 1e-9);
      char text[320];
      const double lag = metric(row, "policy_lag_mean");
      std::snprintf(text, sizeof(text),
                    "[%s %s] %lld/%lld steps (%.0f%%) | %.0f steps/s | return %.2f (last %zu)%s | ETA %s",
                    setup.algorithm.c_str(), run.env.c_str(), static_cast<long long>(env_steps),
                    static_cast<long long>(run.total_steps),
                    100.0 * static_cast<double>(env_steps) / static_cast<double>(run.total_steps), sps,
                    mean_return, recent_returns.size(),
                    std::isnan(lag) ? "" : (" | lag " + format_number(lag, 1)).c_str(),
                    format_duration(eta).c_str());
      progress_line.update(text, /*force=*/env_steps >= run.total_steps);
    }
    if (env_steps >= next_checkpoint && env_steps < run.total_steps) {
      save_checkpoint(wall);
      next_checkpoint = (env_steps / run.checkpoint_every + 1) * run.checkpoint_every;
    }
  }
  progress_line.finish();
  const double wall = wall_now();
  save_checkpoint(wall);
  source->shutdown();
  if (interrupted) {
    logf(LogLevel::kInfo, "[%s %s] stopped by signal %d at %lld env steps; checkpoint written\n",
                setup.algorithm.c_str(), run.env.c_str(), g_stop_signal.load(),
                static_cast<long long>(env_steps));
  }

  TrainingSummary summary;
  summary.run_dir = run_dir.string();
  summary.total_env_steps = env_steps;
  summary.wall_seconds = wall;
  summary.env_steps_per_second = static_cast<double>(env_steps - start_steps) /
                                 std::max(seconds_since(start), 1e-9);
  for (pid_t pid : group_members) ::waitpid(pid, nullptr, 0);
  if (run.eval_episodes > 0 && !interrupted && rank == 0) {
    PolicyActor eval_actor(spec, setup.policy, setup.normalize, derive_seed(run.seed, 0xE7A1));
    eval_actor.load(learner->model(), learner->obs_stats(), learner->version());
    VectorEnvConfig eval_config;
    eval_config.num_envs = std::min(run.eval_episodes, 8);
    eval_config.env_options = env_options;
    VectorEnv eval_env(registry, run.env, eval_config);
    ActorBatchPolicy policy(eval_actor, spec.action_space, /*deterministic=*/true);
    const EpisodeStatistics stats =
        run_episodes(eval_env, policy, run.eval_episodes, derive_seed(run.seed, 0xE7A1));
    summary.final_eval_mean_return = stats.return_summary().mean;
    summary.final_eval_std_return = stats.return_summary().std;
    logf(LogLevel::kInfo, "[%s %s] final evaluation: %d deterministic episodes, return %.2f +- %.2f\n",
                setup.algorithm.c_str(), run.env.c_str(), run.eval_episodes,
                summary.final_eval_mean_return, summary.final_eval_std_return);
  }
  const nlohmann::ordered_json out = {{"env", run.env},
                                      {"algorithm", setup.algorithm},
                                      {"seed", run.seed},
                                      {"total_env_steps", summary.total_env_steps},
                                      {"wall_seconds", summary.wall_seconds},
                                      {"env_steps_per_second", summary.env_steps_per_second},
                                      {"final_eval_mean_return", summary.final_eval_mean_return},
                                      {"final_eval_std_return", summary.final_eval_std_return},
                                      {"final_eval_episodes", run.eval_episodes},
                                      {"updates", learner->updates()},
                                      {"actors", setup.runtime.actors},
                                      {"learners", group ? group->world_size() : 1},
                                      {"rank", rank},
                                      {"interrupted", interrupted}};
  write_text(run_dir / "summary.json", out.dump(2) + "\n");
  logf(LogLevel::kInfo, "[%s %s] done in %s: %s/summary.json\n", setup.algorithm.c_str(), run.env.c_str(),
              format_duration(wall).c_str(), run_dir.c_str());
  return summary;
}

}  // namespace rl
