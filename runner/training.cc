#include "runner/training.h"

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
#include "actors/inference_server.h"
#include "learners/actor_service.h"
#include "runner/in_process.h"
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

// Stop signals (SIGINT, SIGTERM, and SIGUSR1, the warning Slurm sends before
// a time limit with --signal), docs/errors.md:
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
    previous_usr1_ = std::signal(SIGUSR1, on_stop_signal);
  }
  ~StopSignals() {
    g_training.store(false);
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
    std::signal(SIGUSR1, previous_usr1_);
  }

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
  void (*previous_usr1_)(int);
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string default_run_dir(const TrainingSetup& setup) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + setup.algorithm + "-" + setup.run.env + "-s" + std::to_string(setup.run.seed) + "-" + stamp;
}

// Whether `dir` holds only what a run writes before its first checkpoint.
bool only_unfinished_run(const fs::path& dir, const fs::path& checkpoints) {
  if (fs::exists(checkpoints / "latest")) return false;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("rank-", 0) == 0) continue;
    if (name != "config.yaml" && name != "metrics.csv" && name != "tb" && name != "checkpoints" &&
        name != "summary.json") {
      return false;
    }
  }
  return true;
}

// The run's directories: rank 0 writes the main one (checkpoints, summary);
// rank r > 0 writes metrics.csv and summary.json into rank-<r>/. Made in two
// steps, so that a run refused at start (a bad model for the env, a config
// the learner rejects) leaves no files behind: the constructor only checks,
// create() writes.
struct RunDirectory {
  fs::path main, own, checkpoints;
  bool replace_unfinished = false;  // --resume-if-any over an attempt that left no checkpoint

  RunDirectory(const TrainingSetup& setup, int rank) {
    main = setup.run.run_dir.empty() ? fs::path(default_run_dir(setup)) : fs::path(setup.run.run_dir);
    own = rank == 0 ? main : main / ("rank-" + std::to_string(rank));
    checkpoints = main / "checkpoints";
    if (rank == 0 && setup.resume && !fs::exists(checkpoints / "latest")) {
      throw std::invalid_argument("--resume: " + main.string() + " has no checkpoint to resume from");
    }
    // A run directory is never overwritten: a new run needs an empty one.
    // (The rank-<r> folders of the other ranks of this group, which may
    // start at the same moment, do not count.) With --resume-if-any, what an
    // earlier attempt left before its first checkpoint (a job restarted by
    // its scheduler) is replaced, and nothing else.
    replace_unfinished =
        setup.start_over_unfinished && !setup.resume && fs::exists(own) && only_unfinished_run(own, checkpoints);
    std::string held;
    int shown = 0;
    if (!setup.resume && !replace_unfinished && fs::exists(own)) {
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
  }

  void create(const TrainingSetup& setup, int rank) const {
    if (replace_unfinished) {
      for (const auto& entry : fs::directory_iterator(own)) {
        if (entry.path().filename().string().rfind("rank-", 0) != 0) fs::remove_all(entry.path());
      }
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

// What local actors run (runtime.actor_program): rl_actor (no libtorch: a
// fraction of the memory, a faster start), next to this program, or this
// program, whose libtorch runs every model. auto: rl_actor when the policy
// runs without libtorch (an MLP, or a plain CNN with Discrete actions) and
// rl_actor is there.
std::string local_actor_program(const RuntimeConfig& runtime, const PolicyConfig& policy, const EnvSpec& spec) {
  const fs::path lite = fs::path(self_executable()).parent_path() / "rl_actor";
  if (runtime.actor_program == "trainer") return self_executable();
  if (runtime.actor_program == "rl_actor") {  // the policy was checked with the config
    if (!fs::exists(lite)) throw std::invalid_argument("runtime.actor_program=rl_actor: " + lite.string() + " does not exist");
    return lite.string();
  }
  const bool without_libtorch =
      policy.actor_fast_path_applies() && (policy.encoder == "mlp" || spec.action_space.is_discrete());
  return without_libtorch && fs::exists(lite) ? lite.string() : self_executable();
}

ActorServiceConfig actor_service_config(const TrainingSetup& setup, const EnvSpec& spec, const std::string& run_id,
                                        int rank, const torch::Device& learner_device) {
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
  c.actor_program = local_actor_program(rt, setup.policy, spec);
  c.inference = rt.inference;
  if (rt.inference != "actor") {
    // The actors only step envs: rl_actor whatever the model (when it is
    // there); the server runs what can run the policy.
    // The server: libtorch's batched CNN kernels when this program has
    // them (InferenceServer), else what can run the policy.
    c.inference_program = setup.policy.encoder != "mlp" && rt.actor_program != "rl_actor" ? self_executable()
                                                                                          : c.actor_program;
    const fs::path lite = fs::path(self_executable()).parent_path() / "rl_actor";
    if (fs::exists(lite) && rt.actor_program != "trainer") c.actor_program = lite.string();
    const bool discrete = spec.action_space.is_discrete();
    c.inference_layout = {.slots = rt.actors,
                          .rows = setup.rollout.num_envs,
                          .obs_size = static_cast<int32_t>(spec.obs_size()),
                          .action_floats = discrete ? 0 : static_cast<int32_t>(spec.action_size()),
                          .state_size = static_cast<int32_t>(c.hub.core_state_size),
                          .obs_bytes = spec.observation_space.is_uint8() ? 1 : 0};
    // The learner's server: on the learner's device unless told otherwise.
    const InferenceServerConfig server{
        .max_rows = rt.inference_batch,
        .wait_seconds = rt.inference_wait_ms / 1e3,
        .threads = rt.inference_threads,
        .device = rt.inference_device == "auto" ? learner_device.str() : rt.inference_device};
    const uint64_t seed = derive_seed(setup.run.seed, 0x1FE1000ull + static_cast<uint64_t>(rank));
    c.serve_inference = [spec, policy = setup.policy, normalize = setup.normalize, server, seed](
                            wire::InferenceBoard& board, int weights_fd, int answered_fd,
                            const std::atomic<bool>& stop) {
      const wire::WeightsBoard weights = wire::WeightsBoard::attach(weights_fd);
      InferenceServerConfig config = server;
      config.answered_fd = answered_fd;
      // The remote actors' server (with answered_fd) samples from a stream of its own.
      InferenceServer(board, weights, spec, policy, normalize, derive_seed(seed, answered_fd >= 0 ? 1 : 0), config)
          .run(stop);
    };
  }
  c.max_restarts = rt.max_restarts;
  c.serve_remote = setup.serve_remote;
  c.curve_secret_key = rt.curve_secret_key;
  c.curve_authorized_keys = rt.curve_authorized_keys;
  return c;
}

// One training run, in the order it happens: the env and the learner (its
// group, its run directory, a resume), where batches come from and weights
// go (in this process, or actor processes behind an ActorService), the
// updater's thread, the runner's watch over it, and the end (evaluation and
// summary). Members are declared in the order they are built, so that they
// are torn down in reverse (the updater first, the learner last).
class TrainingRun {
 public:
  explicit TrainingRun(const TrainingSetup& setup)
      : setup_(setup), run_(setup.run), label_("[" + setup.algorithm + " " + setup.run.env + "]") {}

  TrainingSummary operator()() {
    open_env();
    make_learner();
    g_training.store(true);  // from here on a stop signal is handled in order: nothing blocks for long
    connect_actors();
    start_updater();
    watch();
    return finish();
  }

 private:
  // The registry (with the run's env plugins) and the env's spec.
  void open_env() {
    if (!registry_.contains("CartPole-v1")) envs::register_builtin_envs(registry_);
    for (const auto& plugin : run_.plugin_paths()) {
      try {
        load_env_plugin(plugin, registry_);
      } catch (const std::runtime_error& e) {
        throw std::invalid_argument(e.what());  // a file the user gave: a usage error
      }
    }
    env_options_ = run_.parsed_env_options();
    VectorEnvConfig c;
    c.env_options = env_options_;
    spec_ = VectorEnv(registry_, run_.env, c).spec();
  }

  // The learner, its group and run directory, and its state when resuming.
  void make_learner() {
    group_info_ = group_from_environment();
    if (!group_info_ && setup_.learners > 1) group_info_ = GroupInfo{0, setup_.learners, "127.0.0.1", 0};
    rank_ = group_info_ ? group_info_->rank : 0;
    dirs_.emplace(setup_, rank_);  // checked, not yet made
    set_compute_threads(run_.torch_threads);
    torch::manual_seed(run_.seed);  // the initial weights
    device_ = resolve_device(run_.device);
    if (group_info_ && device_.is_cuda() && !device_.has_index()) {
      // One GPU per rank of the host (NCCL runs no two ranks on one GPU).
      device_ = torch::Device(torch::kCUDA,
                              static_cast<c10::DeviceIndex>(group_info_->local_rank % torch::cuda::device_count()));
    }
    learner_ = setup_.make_learner(spec_, device_);  // refuses a model that does not fit the env
    dirs_->create(setup_, rank_);
    if (rank_ == 0) store_.emplace(dirs_->checkpoints, run_.keep_checkpoints);
    if (group_info_) {
      group_ = std::make_unique<LearnerGroup>(*group_info_, device_, setup_.runtime.actor_timeout_seconds * 4,
                                              [&](int port) {
                                                if (rank_ == 0 && !group_from_environment()) {
                                                  group_members_.pids = start_group_members(setup_, port, dirs_->main);
                                                }
                                              });
      logf(LogLevel::kInfo, "%s learner %d of a group of %d (c10d %s)\n", label_.c_str(), rank_,
           group_->world_size(), device_.is_cuda() ? "NCCL" : "Gloo");
    }
    // Rank 0 holds the checkpoints; the other ranks receive rank 0's latest
    // through the group's store (no shared file system needed). Rank 0 also
    // decides for the group whether to resume (--resume-if-any): only it is
    // sure to see the run directory.
    fs::path resume_dir = dirs_->main;
    const fs::path received = fs::temp_directory_path() / ("rl-resume-" + std::to_string(::getpid()));
    bool resuming = setup_.resume;
    if (group_ && (setup_.resume || setup_.start_over_unfinished)) {
      if (rank_ == 0) {
        group_->store_set("rl/resume", setup_.resume ? pack_directory(verify_checkpoint(dirs_->main)) : std::string());
      } else {
        const std::string blob = group_->store_get("rl/resume");
        resuming = !blob.empty();
        if (resuming) {
          fs::remove_all(received);
          unpack_directory(blob, received);
          resume_dir = received;
        }
      }
    }
    if (resuming) counters_ = resume_from(setup_, resume_dir, *learner_, saved_actor_rng_);
    if (resume_dir == received) fs::remove_all(received);
    if (group_) learner_->join_group(group_.get());  // every member starts from rank 0's parameters
    learner_version_.store(learner_->version());
  }

  // Where batches come from and weights go: this process's own rollout
  // worker (--actors 0), or actor processes served by an ActorService.
  void connect_actors() {
    if (setup_.runtime.actors == 0 && !setup_.serve_remote) {
      in_process_ = std::make_unique<InProcessCollector>(registry_, run_.env, env_options_, setup_.rollout,
                                                         setup_.policy, setup_.normalize, run_.seed,
                                                         setup_.sync ? 1 : setup_.unrolls_per_update);
      if (saved_actor_rng_) {
        in_process_->worker().policy().rng().set_state(*saved_actor_rng_);
        // Episodes in flight at the checkpoint are not saved: envs start anew,
        // from a seed that depends only on the checkpoint.
        in_process_->worker().reset_envs(derive_seed(run_.seed, 0x5EED0000ull + learner_->updates()));
      }
      in_process_->load(*learner_);
      source_ = in_process_.get();
      publish_ = [this](Learner& l) { in_process_->load(l); };
      return;
    }
    // One run id for every rank, rank 0's (its run directory's name): rank 0
    // assigns actors to the others, and they keep the run id they joined with.
    std::string run_id = dirs_->main.filename().string();
    if (group_ && rank_ == 0) group_->store_set("rl/run_id", run_id);
    if (group_ && rank_ > 0) run_id = group_->store_get("rl/run_id");
    actors_ = std::make_unique<ActorService>(actor_service_config(setup_, spec_, run_id, rank_, device_),
                                             learner_->snapshot(),
                                             learner_version_);
    // Say what is bound: a wildcard bind serves every interface, and only
    // this host's actors use loopback.
    const std::string& bound = actors_->bound_endpoint();
    const std::string listening =
        bound == actors_->control_endpoint()
            ? bound
            : bound + ", every interface (this host's actors use " + actors_->control_endpoint() +
                  "; other hosts this host's address)";
    logf(LogLevel::kInfo, "%s learner listening on %s (run id %s)\n", label_.c_str(), listening.c_str(),
         run_id.c_str());
    source_ = &actors_->batches();
    publish_ = [this](Learner& l) { actors_->publish(l.snapshot()); };
    if (group_) {
      // The address other hosts reach this rank at: runtime.advertise_host,
      // else this host's address on its route to rank 0.
      const std::string host = !setup_.runtime.advertise_host.empty()
                                   ? setup_.runtime.advertise_host
                                   : local_address_towards(group_info_->master_addr, group_->master_port());
      const std::string endpoint =
          "tcp://" + host + ":" + std::to_string(wire::endpoint_port(actors_->control_endpoint()));
      roster_ = std::make_unique<GroupRoster>(*group_, *actors_, endpoint);
      logf(LogLevel::kInfo, "%s rank %d serves actors at %s\n", label_.c_str(), rank_, endpoint.c_str());
    }
  }

  void save_checkpoint(double wall, const RunCounters& c) {
    if (!store_) return;
    store_->write(c.env_steps, [&](const fs::path& dir) {
      learner_->save(dir);
      write_text(dir / "config.yaml", setup_.config_yaml);
      const std::array<uint64_t, 4> actor_rng =
          in_process_ ? in_process_->worker().policy().rng().state() : std::array<uint64_t, 4>{};
      const nlohmann::ordered_json state = {{"algorithm", setup_.algorithm}, {"env", run_.env},
                                            {"env_options", run_.env_options}, {"seed", run_.seed},
                                            {"env_steps", c.env_steps},       {"episodes", c.episodes},
                                            {"wall_seconds", wall},           {"actor_rng", actor_rng}};
      write_text(dir / "state.json", state.dump(2) + "\n");
    });
  }

  // Metrics, the updater's thread, and the actors' stages.
  void start_updater() {
    metrics_.emplace(dirs_->own / "metrics.csv", /*append=*/setup_.resume);
    tensorboard_.emplace(dirs_->own / "tb");
    updater_.emplace(
        UpdaterConfig{.label = label_, .total_steps = run_.total_steps, .checkpoint_every = run_.checkpoint_every,
                      .log_every_seconds = run_.log_every_seconds,
                      .local_actors = actors_ ? setup_.runtime.actors : 0,
                      .discard_batches = setup_.runtime.discard_batches},
        *learner_, *source_, group_.get(),
        UpdaterHooks{.publish = publish_,
                     .checkpoint = [this](double wall) { save_checkpoint(wall, updater_->counters()); },
                     .runtime_metrics = [this] { return actors_ ? actors_->metrics() : MetricRow{}; }},
        *metrics_, *tensorboard_, counters_, learner_version_);
    const std::string compute = learner_->fast_path() ? std::string("fast path, Eigen ") + gemm_kernels().name
                                                      : "libtorch, " + blas_description();
    logf(LogLevel::kInfo, "%s run directory %s, device %s (%s), %lld env steps, %s\n", label_.c_str(),
         dirs_->own.c_str(), device_.str().c_str(), compute.c_str(), static_cast<long long>(run_.total_steps),
         in_process_ ? "collecting in this process"
                     : (std::to_string(setup_.runtime.actors) + " local actor processes").c_str());
    if (actors_) actors_->start();
    updater_->start();
  }

  // The runner's own loop while the updater trains: stop signals, the
  // actors' supervision, and the runs that cannot go on.
  void watch() {
    started_ = Clock::now();
    first_version_ = learner_->version();
    last_progress_ = started_;
    progress_version_ = first_version_;
    if (actors_) progress_counts_ = actors_->flow_counts();
    while (!updater_->finished()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (g_stop_signal.load()) updater_->request_stop();
      if (g_stop_count.load() >= 2) stop_at_once();
      if (!actors_ || failure_) continue;
      try {
        check_actors();
      } catch (...) {
        failure_ = std::current_exception();
        updater_->request_stop();
      }
    }
  }

  // Throws why the run cannot go on: a learner stage failed, no actor is
  // left, too few joined, or no update for runtime.stall_seconds.
  void check_actors() {
    if (auto what = actors_->stage_failure()) throw std::runtime_error("the learner's " + *what);
    actors_->supervise();
    if (roster_) roster_->refresh();
    const double waited = seconds_since(started_), limit = setup_.runtime.actor_timeout_seconds * 4;
    if (learner_version_.load() == first_version_ && waited > limit &&
        actors_->live_actors() < actors_->wanted_actors()) {
      throw std::runtime_error("only " + std::to_string(actors_->live_actors()) + " of " +
                               std::to_string(actors_->wanted_actors()) + " actors joined within " +
                               std::to_string(static_cast<int>(limit)) + " s");
    }
    // The watchdog: the time and the hub's counts at the last new version.
    if (learner_version_.load() != progress_version_) {
      progress_version_ = learner_version_.load();
      last_progress_ = Clock::now();
      progress_counts_ = actors_->flow_counts();
    } else if (setup_.runtime.stall_seconds > 0 && !setup_.runtime.discard_batches &&
               seconds_since(last_progress_) > setup_.runtime.stall_seconds) {
      char waited_text[32];
      std::snprintf(waited_text, sizeof(waited_text), "%.0f", seconds_since(last_progress_));
      throw std::runtime_error(std::string("no update for ") + waited_text + " s (runtime.stall_seconds): " +
                               actors_->stall_reason(progress_counts_));
    }
  }

  // The second signal: stop now. The updater may be in an update or a
  // checkpoint write (atomic: the last complete checkpoint stays); the
  // actors go first, then a summary that says so.
  [[noreturn]] void stop_at_once() {
    if (actors_) actors_->kill_all();
    nlohmann::ordered_json out = {{"env", run_.env},
                                  {"algorithm", setup_.algorithm},
                                  {"seed", run_.seed},
                                  {"total_env_steps", updater_->env_steps_now()},
                                  {"interrupted", true},
                                  {"stopped_at_once", true}};
    write_text(dirs_->own / "summary.json", out.dump(2) + "\n");
    logf(LogLevel::kWarn, "%s stopped at once by a second signal at %lld env steps; the last complete checkpoint "
         "stands", label_.c_str(), static_cast<long long>(updater_->env_steps_now()));
    std::_Exit(128 + g_stop_signal.load());
  }

  // Joins the updater, reaps the actors, rethrows a failure, then the final
  // evaluation and summary.json.
  TrainingSummary finish() {
    updater_->join();
    if (actors_) actors_->shutdown();  // every local actor reaped
    if (!failure_ && !updater_->error()) group_members_.wait_all();
    if (failure_) std::rethrow_exception(failure_);
    if (updater_->error()) std::rethrow_exception(updater_->error());

    const bool interrupted = updater_->interrupted();
    if (interrupted) {
      logf(LogLevel::kInfo, "%s stopped by signal %d at %lld env steps; checkpoint written\n", label_.c_str(),
           g_stop_signal.load(), static_cast<long long>(updater_->counters().env_steps));
    }
    TrainingSummary summary;
    summary.run_dir = dirs_->own.string();
    summary.total_env_steps = updater_->counters().env_steps;
    summary.wall_seconds = counters_.previous_wall + updater_->seconds();
    summary.env_steps_per_second =
        static_cast<double>(updater_->steps_this_session()) / std::max(updater_->seconds(), 1e-9);
    if (run_.eval_episodes > 0 && !interrupted && rank_ == 0) evaluate(summary);
    write_summary(summary, interrupted);
    return summary;
  }

  // The final evaluation: deterministic episodes of the trained policy.
  void evaluate(TrainingSummary& summary) {
    PolicyActor eval_actor(spec_, setup_.policy, setup_.normalize, derive_seed(run_.seed, 0xE7A1));
    eval_actor.load(learner_->model(), learner_->obs_stats(), learner_->version());
    VectorEnvConfig eval_config;
    eval_config.num_envs = std::min(run_.eval_episodes, 8);
    eval_config.env_options = env_options_;
    VectorEnv eval_env(registry_, run_.env, eval_config);
    ActorBatchPolicy policy(eval_actor, spec_.action_space, /*deterministic=*/true);
    logf(LogLevel::kInfo, "%s final evaluation of %d deterministic episodes", label_.c_str(), run_.eval_episodes);
    // A stop signal during the evaluation ends it: no partial result is reported.
    const EpisodeStatistics stats = run_episodes(eval_env, policy, run_.eval_episodes, derive_seed(run_.seed, 0xE7A1),
                                                 [] { return g_stop_signal.load() != 0; });
    if (static_cast<int>(stats.returns.size()) < run_.eval_episodes) {
      logf(LogLevel::kInfo, "%s final evaluation stopped by signal %d", label_.c_str(), g_stop_signal.load());
      return;
    }
    summary.evaluated = true;
    summary.final_eval_mean_return = stats.return_summary().mean;
    summary.final_eval_std_return = stats.return_summary().std;
    logf(LogLevel::kInfo, "%s final evaluation: %d deterministic episodes, return %.2f +- %.2f\n", label_.c_str(),
         run_.eval_episodes, summary.final_eval_mean_return, summary.final_eval_std_return);
  }

  void write_summary(const TrainingSummary& summary, bool interrupted) {
    nlohmann::ordered_json out = {{"env", run_.env},
                                  {"algorithm", setup_.algorithm},
                                  {"seed", run_.seed},
                                  {"total_env_steps", summary.total_env_steps},
                                  {"wall_seconds", summary.wall_seconds},
                                  {"env_steps_per_second", summary.env_steps_per_second}};
    // Only an evaluation that ran is reported.
    if (summary.evaluated) {
      out["final_eval_mean_return"] = summary.final_eval_mean_return;
      out["final_eval_std_return"] = summary.final_eval_std_return;
      out["final_eval_episodes"] = run_.eval_episodes;
    }
    out["updates"] = learner_->updates();
    out["actors"] = setup_.runtime.actors;
    out["learners"] = group_ ? group_->world_size() : 1;
    out["rank"] = rank_;
    out["interrupted"] = interrupted || g_stop_signal.load() != 0;
    // Which signal stopped it: a job script tells Slurm's time-limit warning
    // (SIGUSR1: requeue) from a cancellation.
    if (g_stop_signal.load() != 0) out["stop_signal"] = g_stop_signal.load();
    write_text(dirs_->own / "summary.json", out.dump(2) + "\n");
    logf(LogLevel::kInfo, "%s done in %.1f s: %s/summary.json\n", label_.c_str(), summary.wall_seconds,
         dirs_->own.c_str());
  }

  const TrainingSetup& setup_;
  const RunConfig& run_;
  const std::string label_;
  EnvRegistry& registry_ = default_registry();
  EnvOptions env_options_;
  EnvSpec spec_;
  // The learner and its run directory.
  std::optional<GroupInfo> group_info_;
  int rank_ = 0;
  std::optional<RunDirectory> dirs_;
  torch::Device device_{torch::kCPU};
  std::unique_ptr<Learner> learner_;
  std::optional<CheckpointStore> store_;
  GroupMembers group_members_;
  std::unique_ptr<LearnerGroup> group_;
  std::optional<std::array<uint64_t, 4>> saved_actor_rng_;
  RunCounters counters_;
  // Where batches come from, where weights go.
  std::atomic<int64_t> learner_version_{0};
  std::unique_ptr<InProcessCollector> in_process_;
  std::unique_ptr<ActorService> actors_;
  std::unique_ptr<GroupRoster> roster_;
  BatchSource* source_ = nullptr;
  std::function<void(Learner&)> publish_;
  // Training.
  std::optional<MetricsCsv> metrics_;
  std::optional<TensorBoardWriter> tensorboard_;
  std::optional<Updater> updater_;
  // The watch.
  std::exception_ptr failure_;
  Clock::time_point started_, last_progress_;
  int64_t first_version_ = 0, progress_version_ = 0;
  ActorService::FlowCounts progress_counts_;
};

}  // namespace

TrainingSummary train(const TrainingSetup& setup) {
  StopSignals stop_signals;  // from the start: a signal while starting ends the process at once
  return TrainingRun(setup)();
}

}  // namespace rl
