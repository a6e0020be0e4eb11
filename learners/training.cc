#include "learners/training.h"

#include <nlohmann/json.hpp>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <thread>

#include "envs/builtin.h"
#include "learners/actor_service.h"
#include "learners/in_process.h"
#include "learners/json_files.h"
#include "learners/learner_group.h"
#include "learners/updater.h"
#include "rl/env/evaluation.h"
#include "rl/env/plugin.h"
#include "rl/nn/gemm/gemm.h"
#include "rl/nn/threads.h"
#include "rl/runtime/checkpoint.h"
#include "rl/runtime/logging.h"
#include "rl/runtime/metrics.h"
#include "rl/runtime/supervisor.h"
#include "rl/runtime/tensorboard.h"

namespace rl {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// Stop signals (SIGINT, SIGTERM), docs/errors.md:
//  - while the run starts (nothing is trained yet, nothing to save), the
//    first signal ends the process at once;
//  - once training runs, the first one stops it after the current update,
//    with a last checkpoint; the second stops it at once, leaving the last
//    complete checkpoint and a summary that says it was interrupted;
//  - a third, if anything hangs, ends the process there and then.
std::atomic<int> g_stop_signal{0};
std::atomic<int> g_stop_count{0};
std::atomic<bool> g_training{false};
extern "C" void on_stop_signal(int signal) {
  g_stop_signal.store(signal);
  const int count = g_stop_count.fetch_add(1) + 1;
  if (!g_training.load() || count >= 3) {
    static const char text[] = "stopped by a signal\n";
    [[maybe_unused]] const ssize_t n = ::write(2, text, sizeof text - 1);
    ::_exit(128 + signal);
  }
}

// Installs the stop-signal handlers for the life of a run.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal.store(0);
    g_stop_count.store(0);
    g_training.store(false);
    previous_int_ = std::signal(SIGINT, on_stop_signal);
    previous_term_ = std::signal(SIGTERM, on_stop_signal);
  }
  ~StopSignals() {
    g_training.store(false);
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string default_run_dir(const TrainingSetup& setup) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + setup.algorithm + "-" + setup.run.env + "-s" + std::to_string(setup.run.seed) + "-" + stamp;
}

// The run's directories: rank 0 writes the main one (checkpoints, summary);
// rank r > 0 writes metrics.csv and summary.json into rank-<r>/.
struct RunDirectory {
  fs::path main, own, checkpoints;

  RunDirectory(const TrainingSetup& setup, int rank) {
    main = setup.run.run_dir.empty() ? fs::path(default_run_dir(setup)) : fs::path(setup.run.run_dir);
    own = rank == 0 ? main : main / ("rank-" + std::to_string(rank));
    checkpoints = main / "checkpoints";
    if (rank == 0 && setup.resume && !fs::exists(checkpoints / "latest")) {
      throw std::invalid_argument("--resume: " + main.string() + " has no checkpoint to resume from");
    }
    // A run directory is never overwritten: a new run needs an empty one.
    // (The rank-<r> folders of the other ranks of this group, which may
    // start at the same moment, do not count.)
    std::string held;
    int shown = 0;
    if (!setup.resume && fs::exists(own)) {
      for (const auto& entry : fs::directory_iterator(own)) {
        if (entry.is_directory() && entry.path().filename().string().rfind("rank-", 0) == 0) continue;
        if (shown++ < 4) held += (held.empty() ? "" : ", ") + entry.path().filename().string();
      }
      if (shown > 4) held += ", ...";
    }
    if (shown > 0) {
      throw std::invalid_argument("run directory " + own.string() + " is not empty (it holds " + held +
                                  "): choose another --run-dir" +
                                  (fs::exists(checkpoints / "latest") ? ", or --resume to continue the run in it"
                                                                       : ""));
    }
    fs::create_directories(own);
    if (rank == 0) fs::create_directories(checkpoints);
    write_text(own / "config.yaml", setup.config_yaml);
  }
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
    const std::string rank_text = std::to_string(rank), world = std::to_string(setup.learners),
                      port_text = std::to_string(port);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("cannot start learner " + rank_text);
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      ::setenv("RANK", rank_text.c_str(), 1);
      ::setenv("WORLD_SIZE", world.c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", port_text.c_str(), 1);
      ::execv(program.c_str(), argv.data());
      ::_exit(127);
    }
    pids.push_back(pid);
  }
  return pids;
}

// The other learners of a --learners N group, started by rank 0: reaped on
// every path out of train(); on an error they are stopped first (on the
// normal path they end with the group).
class GroupMembers {
 public:
  ~GroupMembers() {
    for (pid_t pid : pids) ::kill(pid, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    for (pid_t pid : pids) {
      while (::waitpid(pid, nullptr, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
          ::kill(pid, SIGKILL);
          ::waitpid(pid, nullptr, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }
  // The normal end: they finish with the group.
  void wait_all() {
    for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
    pids.clear();
  }
  std::vector<pid_t> pids;
};

// Reads the latest checkpoint into `learner`; returns the run's counters.
RunCounters resume_from(const TrainingSetup& setup, const fs::path& main_dir, Learner& learner,
                        std::optional<std::array<uint64_t, 4>>& actor_rng) {
  const fs::path dir = verify_checkpoint(main_dir);
  learner.load(dir);
  const nlohmann::json state = read_json(dir / "state.json");
  if (state.at("env").get<std::string>() != setup.run.env || state.at("algorithm") != setup.algorithm) {
    throw std::invalid_argument("--resume: the checkpoint is of " + state.at("algorithm").get<std::string>() + " on " +
                                state.at("env").get<std::string>() + ", not " + setup.algorithm + " on " +
                                setup.run.env);
  }
  actor_rng = state.at("actor_rng").get<std::array<uint64_t, 4>>();
  logf(LogLevel::kInfo, "[%s %s] resuming %s at %lld env steps, %lld updates\n", setup.algorithm.c_str(),
       setup.run.env.c_str(), dir.c_str(), static_cast<long long>(state.at("env_steps").get<int64_t>()),
       static_cast<long long>(learner.updates()));
  return {.env_steps = state.at("env_steps").get<int64_t>(),
          .episodes = state.at("episodes").get<int64_t>(),
          .previous_wall = state.at("wall_seconds").get<double>()};
}

wire::DType weights_dtype(const std::string& name) {
  if (name == "f16") return wire::DType::kFloat16;
  if (name == "bf16") return wire::DType::kBFloat16;
  return wire::DType::kFloat32;
}

// A checkpoint directory's files as one string (name, size, bytes each), for
// rank 0 to hand its checkpoint to ranks without a shared file system.
std::string pack_directory(const fs::path& dir) {
  std::string blob;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    blob += entry.path().filename().string() + "\n" + std::to_string(bytes.size()) + "\n" + bytes;
  }
  return blob;
}

void unpack_directory(const std::string& blob, const fs::path& dir) {
  fs::create_directories(dir);
  size_t at = 0;
  while (at < blob.size()) {
    const size_t name_end = blob.find('\n', at), size_end = blob.find('\n', name_end + 1);
    if (name_end == std::string::npos || size_end == std::string::npos) {
      throw std::runtime_error("the checkpoint received from rank 0 is truncated");
    }
    const std::string name = blob.substr(at, name_end - at);
    const size_t size = std::stoull(blob.substr(name_end + 1, size_end - name_end - 1));
    if (name.find('/') != std::string::npos || size_end + 1 + size > blob.size()) {
      throw std::runtime_error("the checkpoint received from rank 0 is malformed");
    }
    std::ofstream(dir / name, std::ios::binary).write(blob.data() + size_end + 1, static_cast<std::streamsize>(size));
    at = size_end + 1 + size;
  }
}

// A rank's view of the others (rank 0 assigns actors to the one with the
// fewest): every rank writes its actor endpoint once and its live actors now
// and then into the group's store; rank 0 reads them.
class GroupRoster {
 public:
  GroupRoster(LearnerGroup& group, ActorService& actors, const std::string& endpoint)
      : group_(group), actors_(actors) {
    group_.store_set("rl/endpoint/" + std::to_string(group_.rank()), endpoint);
  }
  void refresh() {
    if (std::chrono::steady_clock::now() - last_ < std::chrono::milliseconds(500)) return;
    last_ = std::chrono::steady_clock::now();
    group_.store_set("rl/actors/" + std::to_string(group_.rank()), std::to_string(actors_.live_actors()));
    if (group_.rank() != 0) return;
    std::vector<RankRoute> routes;
    for (int r = 1; r < group_.world_size(); ++r) {
      const auto endpoint = group_.store_try_get("rl/endpoint/" + std::to_string(r));
      if (!endpoint) continue;
      const auto count = group_.store_try_get("rl/actors/" + std::to_string(r));
      routes.push_back({r, *endpoint, count ? std::atoi(count->c_str()) : 0});
    }
    actors_.set_ranks(std::move(routes));
  }

 private:
  LearnerGroup& group_;
  ActorService& actors_;
  std::chrono::steady_clock::time_point last_{};
};

ActorServiceConfig actor_service_config(const TrainingSetup& setup, const EnvSpec& spec, const std::string& run_id,
                                        int rank) {
  const RuntimeConfig& rt = setup.runtime;
  ActorServiceConfig c;
  c.label = "[" + setup.algorithm + " " + setup.run.env + "]";
  c.hub = HubConfig{.run_id = run_id,
                    .algorithm = setup.algorithm,
                    .config_yaml = setup.config_yaml,
                    .bind = rt.bind,
                    .unroll_port = rt.unroll_port,
                    .spec = spec,
                    .num_steps = setup.rollout.num_steps,
                    .num_envs = setup.rollout.num_envs,
                    .core_state_size = setup.policy.core_state_size(spec.action_space.is_discrete() ? spec.action_space.n()
                                                                                              : spec.action_space.flat_size()),
                    .sync = setup.sync,
                    .seed = derive_seed(setup.run.seed, 0xAC70000ull + static_cast<uint64_t>(rank)),
                    .heartbeat_seconds = rt.heartbeat_seconds,
                    .timeout_seconds = rt.actor_timeout_seconds,
                    .max_actors = rt.max_actors,
                    .unroll_queue = rt.unroll_queue,
                    .unrolls_in_flight = rt.unrolls_in_flight > 0 ? rt.unrolls_in_flight : 2 * setup.unrolls_per_update,
                    .batch_unrolls = setup.sync ? 0 : setup.unrolls_per_update};
  c.batcher = BatcherConfig{.sync = setup.sync,
                            .unrolls_per_batch = setup.unrolls_per_update,
                            .max_policy_lag = rt.max_policy_lag,
                            .min_actors = std::max(rt.min_actors, rt.actors),
                            .straggler_seconds = rt.actor_timeout_seconds};
  c.publisher = PublisherConfig{.run_id = run_id, .port = rt.weights_port, .dtype = weights_dtype(rt.weights_dtype)};
  c.local_actors = rt.actors;
  c.max_restarts = rt.max_restarts;
  c.serve_remote = setup.serve_remote;
  c.curve_secret_key = rt.curve_secret_key;
  c.curve_authorized_keys = rt.curve_authorized_keys;
  return c;
}

}  // namespace

TrainingSummary train(const TrainingSetup& setup) {
  StopSignals stop_signals;  // from the start: a signal while starting ends the process at once
  const RunConfig& run = setup.run;
  const std::string label = "[" + setup.algorithm + " " + run.env + "]";
  EnvRegistry& registry = default_registry();
  if (!registry.contains("CartPole-v1")) envs::register_builtin_envs(registry);
  for (const auto& plugin : run.plugin_paths()) {
    try {
      load_env_plugin(plugin, registry);
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(e.what());  // a file the user gave: a usage error
    }
  }
  const EnvOptions env_options = run.parsed_env_options();
  const EnvSpec spec = [&] {
    VectorEnvConfig c;
    c.env_options = env_options;
    return VectorEnv(registry, run.env, c).spec();
  }();

  // ---- The learner, its group and its run directory ----------------------------
  std::optional<GroupInfo> group_info = group_from_environment();
  if (!group_info && setup.learners > 1) group_info = GroupInfo{0, setup.learners, "127.0.0.1", 0};
  const int rank = group_info ? group_info->rank : 0;
  const RunDirectory dirs(setup, rank);
  set_compute_threads(run.torch_threads);
  torch::manual_seed(run.seed);  // the initial weights
  const torch::Device device = resolve_device(run.device);
  std::unique_ptr<Learner> learner = setup.make_learner(spec, device);
  std::optional<CheckpointStore> store;
  if (rank == 0) store.emplace(dirs.checkpoints, run.keep_checkpoints);
  GroupMembers group_members;
  std::unique_ptr<LearnerGroup> group;
  if (group_info) {
    group = std::make_unique<LearnerGroup>(*group_info, device, setup.runtime.actor_timeout_seconds * 4, [&](int port) {
      if (rank == 0 && !group_from_environment()) group_members.pids = start_group_members(setup, port, dirs.main);
    });
    logf(LogLevel::kInfo, "%s learner %d of a group of %d (c10d Gloo)\n", label.c_str(), rank, group->world_size());
  }
  std::optional<std::array<uint64_t, 4>> saved_actor_rng;
  // Rank 0 holds the checkpoints; the other ranks receive rank 0's latest
  // through the group's store (no shared file system needed).
  fs::path resume_dir = dirs.main;
  const fs::path received = fs::temp_directory_path() / ("rl-resume-" + std::to_string(::getpid()));
  if (group && setup.resume) {
    if (rank == 0) {
      group->store_set("rl/resume", pack_directory(verify_checkpoint(dirs.main)));
    } else {
      fs::remove_all(received);
      unpack_directory(group->store_get("rl/resume"), received);
      resume_dir = received;
    }
  }
  const RunCounters counters = setup.resume ? resume_from(setup, resume_dir, *learner, saved_actor_rng) : RunCounters{};
  if (resume_dir == received) fs::remove_all(received);
  if (group) learner->join_group(group.get());  // every member starts from rank 0's parameters

  // From here on a stop signal is handled in order (the main loop below asks
  // the updater to stop): nothing blocks for long any more.
  g_training.store(true);

  // ---- Where batches come from, where weights go ----------------------------------
  std::atomic<int64_t> learner_version{learner->version()};
  std::unique_ptr<InProcessCollector> in_process;
  std::unique_ptr<ActorService> actors;
  std::unique_ptr<GroupRoster> roster;
  BatchSource* source = nullptr;
  std::function<void(Learner&)> publish;
  if (setup.runtime.actors == 0 && !setup.serve_remote) {
    in_process = std::make_unique<InProcessCollector>(registry, run.env, env_options, setup.rollout, setup.policy,
                                                      setup.normalize, run.seed, setup.sync ? 1 : setup.unrolls_per_update);
    if (saved_actor_rng) {
      in_process->worker().policy().rng().set_state(*saved_actor_rng);
      // Episodes in flight at the checkpoint are not saved: envs start anew,
      // from a seed that depends only on the checkpoint.
      in_process->worker().reset_envs(derive_seed(run.seed, 0x5EED0000ull + learner->updates()));
    }
    in_process->load(*learner);
    source = in_process.get();
    publish = [&](Learner& l) { in_process->load(l); };
  } else {
    // One run id for every rank, rank 0's (its run directory's name): rank 0
    // assigns actors to the others, and they keep the run id they joined with.
    std::string run_id = dirs.main.filename().string();
    if (group && rank == 0) group->store_set("rl/run_id", run_id);
    if (group && rank > 0) run_id = group->store_get("rl/run_id");
    actors = std::make_unique<ActorService>(actor_service_config(setup, spec, run_id, rank), learner->snapshot(),
                                            learner_version);
    logf(LogLevel::kInfo, "%s learner listening on %s (run id %s)\n", label.c_str(), actors->control_endpoint().c_str(),
         run_id.c_str());
    source = &actors->batches();
    publish = [&](Learner& l) { actors->publish(l.snapshot()); };
    if (group) {
      // The address other hosts reach this rank at: runtime.advertise_host,
      // else this host's address on its route to rank 0.
      const std::string host = !setup.runtime.advertise_host.empty()
                                   ? setup.runtime.advertise_host
                                   : local_address_towards(group_info->master_addr, group->master_port());
      const std::string endpoint =
          "tcp://" + host + ":" + std::to_string(wire::endpoint_port(actors->control_endpoint()));
      roster = std::make_unique<GroupRoster>(*group, *actors, endpoint);
      logf(LogLevel::kInfo, "%s rank %d serves actors at %s\n", label.c_str(), rank, endpoint.c_str());
    }
  }

  // ---- Train -----------------------------------------------------------------------
  MetricsCsv metrics(dirs.own / "metrics.csv", /*append=*/setup.resume);
  TensorBoardWriter tensorboard(dirs.own / "tb");
  const auto save_checkpoint = [&](double wall, const RunCounters& c) {
    if (!store) return;
    store->write(c.env_steps, [&](const fs::path& dir) {
      learner->save(dir);
      write_text(dir / "config.yaml", setup.config_yaml);
      const std::array<uint64_t, 4> actor_rng =
          in_process ? in_process->worker().policy().rng().state() : std::array<uint64_t, 4>{};
      const nlohmann::ordered_json state = {{"algorithm", setup.algorithm}, {"env", run.env},
                                            {"env_options", run.env_options}, {"seed", run.seed},
                                            {"env_steps", c.env_steps},     {"episodes", c.episodes},
                                            {"wall_seconds", wall},         {"actor_rng", actor_rng}};
      write_text(dir / "state.json", state.dump(2) + "\n");
    });
  };
  Updater* updater_ptr = nullptr;
  Updater updater(
      UpdaterConfig{.label = label, .total_steps = run.total_steps, .checkpoint_every = run.checkpoint_every,
                    .log_every_seconds = run.log_every_seconds, .local_actors = actors ? setup.runtime.actors : 0,
                    .discard_batches = setup.runtime.discard_batches},
      *learner, *source, group.get(),
      UpdaterHooks{.publish = publish,
                   .checkpoint = [&](double wall) { save_checkpoint(wall, updater_ptr->counters()); },
                   .runtime_metrics = [&] { return actors ? actors->metrics() : MetricRow{}; }},
      metrics, tensorboard, counters, learner_version);
  updater_ptr = &updater;
  const std::string compute = learner->fast_path() ? std::string("fast path, Eigen ") + gemm_kernels().name
                                                   : "libtorch, " + blas_description();
  logf(LogLevel::kInfo, "%s run directory %s, device %s (%s), %lld env steps, %s\n", label.c_str(), dirs.own.c_str(),
       device.str().c_str(), compute.c_str(), static_cast<long long>(run.total_steps),
       in_process ? "collecting in this process" : (std::to_string(setup.runtime.actors) + " local actor processes").c_str());

  if (actors) actors->start();
  updater.start();
  // The runner's own loop: signals, actor supervision, and a run that cannot start.
  std::exception_ptr failure;
  const auto started = Clock::now();
  const int64_t first_version = learner->version();
  // The watchdog: the time and the hub's counts at the last new version.
  auto last_progress = started;
  int64_t progress_version = first_version;
  ActorService::FlowCounts progress_counts = actors ? actors->flow_counts() : ActorService::FlowCounts{};
  while (!updater.finished()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (g_stop_signal.load()) updater.request_stop();
    if (g_stop_count.load() >= 2) {
      // The second signal: stop now. The updater may be in an update or a
      // checkpoint write (atomic: the last complete checkpoint stays); the
      // actors go first, then a summary that says so.
      if (actors) actors->kill_all();
      nlohmann::ordered_json out = {{"env", run.env},
                                    {"algorithm", setup.algorithm},
                                    {"seed", run.seed},
                                    {"total_env_steps", updater.env_steps_now()},
                                    {"interrupted", true},
                                    {"stopped_at_once", true}};
      write_text(dirs.own / "summary.json", out.dump(2) + "\n");
      logf(LogLevel::kWarn, "%s stopped at once by a second signal at %lld env steps; the last complete checkpoint "
           "stands", label.c_str(), static_cast<long long>(updater.env_steps_now()));
      std::_Exit(128 + g_stop_signal.load());
    }
    if (!actors || failure) continue;
    try {
      if (auto what = actors->stage_failure()) throw std::runtime_error("the learner's " + *what);
      actors->supervise();
      if (roster) roster->refresh();
      const double waited = seconds_since(started), limit = setup.runtime.actor_timeout_seconds * 4;
      if (learner_version.load() == first_version && waited > limit &&
          actors->live_actors() < actors->wanted_actors()) {
        throw std::runtime_error("only " + std::to_string(actors->live_actors()) + " of " +
                                 std::to_string(actors->wanted_actors()) + " actors joined within " +
                                 std::to_string(static_cast<int>(limit)) + " s");
      }
      if (learner_version.load() != progress_version) {
        progress_version = learner_version.load();
        last_progress = Clock::now();
        progress_counts = actors->flow_counts();
      } else if (setup.runtime.stall_seconds > 0 && !setup.runtime.discard_batches &&
                 seconds_since(last_progress) > setup.runtime.stall_seconds) {
        char waited_text[32];
        std::snprintf(waited_text, sizeof(waited_text), "%.0f", seconds_since(last_progress));
        throw std::runtime_error(std::string("no update for ") + waited_text + " s (runtime.stall_seconds): " +
                                 actors->stall_reason(progress_counts));
      }
    } catch (...) {
      failure = std::current_exception();
      updater.request_stop();
    }
  }
  updater.join();
  if (actors) actors->shutdown();  // every local actor reaped
  if (!failure && !updater.error()) group_members.wait_all();
  if (failure) std::rethrow_exception(failure);
  if (updater.error()) std::rethrow_exception(updater.error());

  const bool interrupted = updater.interrupted();
  if (interrupted) {
    logf(LogLevel::kInfo, "%s stopped by signal %d at %lld env steps; checkpoint written\n", label.c_str(),
         g_stop_signal.load(), static_cast<long long>(updater.counters().env_steps));
  }
  TrainingSummary summary;
  summary.run_dir = dirs.own.string();
  summary.total_env_steps = updater.counters().env_steps;
  summary.wall_seconds = counters.previous_wall + updater.seconds();
  summary.env_steps_per_second = static_cast<double>(updater.steps_this_session()) / std::max(updater.seconds(), 1e-9);
  if (run.eval_episodes > 0 && !interrupted && rank == 0) {
    PolicyActor eval_actor(spec, setup.policy, setup.normalize, derive_seed(run.seed, 0xE7A1));
    eval_actor.load(learner->model(), learner->obs_stats(), learner->version());
    VectorEnvConfig eval_config;
    eval_config.num_envs = std::min(run.eval_episodes, 8);
    eval_config.env_options = env_options;
    VectorEnv eval_env(registry, run.env, eval_config);
    ActorBatchPolicy policy(eval_actor, spec.action_space, /*deterministic=*/true);
    logf(LogLevel::kInfo, "%s final evaluation of %d deterministic episodes", label.c_str(), run.eval_episodes);
    // A stop signal during the evaluation ends it: no partial result is reported.
    const EpisodeStatistics stats = run_episodes(eval_env, policy, run.eval_episodes, derive_seed(run.seed, 0xE7A1),
                                                 [] { return g_stop_signal.load() != 0; });
    if (static_cast<int>(stats.returns.size()) >= run.eval_episodes) {
      summary.evaluated = true;
      summary.final_eval_mean_return = stats.return_summary().mean;
      summary.final_eval_std_return = stats.return_summary().std;
      logf(LogLevel::kInfo, "%s final evaluation: %d deterministic episodes, return %.2f +- %.2f\n", label.c_str(),
           run.eval_episodes, summary.final_eval_mean_return, summary.final_eval_std_return);
    } else {
      logf(LogLevel::kInfo, "%s final evaluation stopped by signal %d", label.c_str(), g_stop_signal.load());
    }
  }
  nlohmann::ordered_json out = {{"env", run.env},
                                {"algorithm", setup.algorithm},
                                {"seed", run.seed},
                                {"total_env_steps", summary.total_env_steps},
                                {"wall_seconds", summary.wall_seconds},
                                {"env_steps_per_second", summary.env_steps_per_second}};
  // Only an evaluation that ran is reported.
  if (summary.evaluated) {
    out["final_eval_mean_return"] = summary.final_eval_mean_return;
    out["final_eval_std_return"] = summary.final_eval_std_return;
    out["final_eval_episodes"] = run.eval_episodes;
  }
  out["updates"] = learner->updates();
  out["actors"] = setup.runtime.actors;
  out["learners"] = group ? group->world_size() : 1;
  out["rank"] = rank;
  out["interrupted"] = interrupted || g_stop_signal.load() != 0;
  write_text(dirs.own / "summary.json", out.dump(2) + "\n");
  logf(LogLevel::kInfo, "%s done in %.1f s: %s/summary.json\n", label.c_str(), summary.wall_seconds, dirs.own.c_str());
  return summary;
}

}  // namespace rl
