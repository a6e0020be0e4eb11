// rl_bench_learner: the speed limit of a learner process, fed by many actors.
//
//   rl_bench_learner [--actors 1,16,64,256] [--seconds 4] [--no-update] [--json]
//                    [--program build/bin/train_impala] [--set key=value]...
//
// For each fleet size M it starts the real learner (train_impala --role
// learner, no actors of its own) and plays M actors over loopback from this
// process: each joins with a hello, sends pre-made CartPole-v1 unrolls (16
// envs x 20 steps, collected once by a real rollout worker) as fast as its
// credits allow, asks for weights the way a remote actor does (a `want`
// after each new version it gets, which then tags its unrolls) and beats
// its heart. From the learner's own metrics.csv, over a window after a
// warm-up: env steps per second accepted, validated, batched and trained
// on (ingest), updates and weight copies sent per second, and the share of
// one core the hub's thread used. --no-update makes the updater skip the
// update itself (runtime.discard_batches): the rate of the hub and batcher
// alone.
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "rl/runtime/cli.h"
#include "rl/runtime/csv_table.h"
#include "actors/rollout_worker.h"
#include "envs/builtin.h"
#include "rl/runtime/supervisor.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using rl::wire::Socket;
using rl::wire::SocketType;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A TCP port on loopback that nothing listens at now (the kernel's pick).
int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("no free TCP port on loopback");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// The last complete row of a metrics.csv as name -> value (empty when none
// yet; empty cells left out).
std::map<std::string, double> last_row(const fs::path& path) {
  std::map<std::string, double> row;
  const std::optional<rl::CsvTable> table = rl::read_csv(path);
  if (!table || table->rows.empty()) return row;
  const std::vector<std::string>& last = table->rows.back();
  for (size_t c = 0; c < table->header.size() && c < last.size(); ++c) {
    if (!last[c].empty()) row[table->header[c]] = std::strtod(last[c].c_str(), nullptr);
  }
  return row;
}

struct FakeActor {
  Socket control{SocketType::kDealer};
  Socket push{SocketType::kPush};
  Socket weights{SocketType::kDealer};
  rl::wire::Sender sender;
  int64_t id = -1, incarnation = 0, sequence = 0, credits = 0, version = 0;
  bool asked = false;  // a weights request is unanswered

  // Takes the learner's config reply: the ports to send unrolls to and to
  // ask for weights at, and asks for the first weights.
  void join(const rl::wire::WireMessage& config, const std::string& host) {
    if (config.kind != "config") throw std::runtime_error("the learner refused a fake actor: " + config.kind);
    id = config.get_int("actor_id");
    incarnation = config.get_int("incarnation");
    push.set_send_hwm(64);
    push.connect("tcp://" + host + ":" + std::to_string(config.get_int("unroll_port")));
    weights.connect("tcp://" + host + ":" + std::to_string(config.get_int("weights_port")));
    weights.send(rl::wire::serialize(rl::wire::make_want(sender, -1, /*wait=*/true)), 1000);
    asked = true;
  }

  // What a remote actor does with its news: credits, weights, and as many
  // unrolls (tagged with the newest version it has) as its credits allow.
  void serve(rl::Unroll& u) {
    while (auto frames = control.receive(0)) {
      const rl::wire::WireMessage msg = rl::wire::parse(std::move(*frames));
      if (msg.kind != "credit") continue;
      credits += msg.get_int("grant");
      // Each credit asks for the newest weights, and the unroll it allows
      // starts once the answer is in.
      if (!asked) {
        weights.send(rl::wire::serialize(rl::wire::make_want(sender, version, /*wait=*/false)), 0);
        asked = true;
      }
    }
    while (auto frames = weights.receive(0)) {
      const rl::wire::WireMessage msg = rl::wire::parse(std::move(*frames));
      if (msg.kind == "weights") version = std::max(version, msg.get_int("version"));
      asked = false;
    }
    while (credits > 0 && !asked) {
      u.actor_id = id;
      u.incarnation = incarnation;
      u.sequence = sequence;
      u.policy_version = version;
      if (!push.send(rl::wire::serialize(rl::wire::encode_unroll(sender, u)), 0)) break;
      ++sequence;
      --credits;
      if (credits > 0) {
        weights.send(rl::wire::serialize(rl::wire::make_want(sender, version, /*wait=*/false)), 0);
        asked = true;
      }
    }
  }

  void beat() {
    rl::wire::WireMessage message = sender.start("heartbeat");
    message.body = {{"actor_id", id}};
    control.send(rl::wire::serialize(std::move(message)), 0);
  }
};

struct Result {
  int actors = 0;
  double ingest = 0, updates = 0, weight_copies = 0, hub_cpu_share = 0, cpu_share = 0, lag = 0;
};

// The env and unroll shape the fake actors send (CartPole-v1, 16 x 20 by default).
struct Workload {
  std::string env = "CartPole-v1";
  int num_envs = 16;
  int unroll_length = 20;
};

// The learner under measurement, a child process whose output is drained
// into memory (for the error message should it fail); killed when dropped.
class LearnerProcess {
 public:
  explicit LearnerProcess(std::vector<std::string> args) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      ::close(fds[0]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    // Keep draining its output so that it never blocks on a full pipe.
    drain_ = std::thread([this, fd = fds[0]] {
      char chunk[4096];
      ssize_t n = 0;
      while ((n = ::read(fd, chunk, sizeof chunk)) > 0) {
        std::lock_guard lock(mutex_);
        if (output_.size() < (1 << 16)) output_.append(chunk, static_cast<size_t>(n));
      }
      ::close(fd);
    });
  }
  ~LearnerProcess() { stop(); }

  bool exited() { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (drain_.joinable()) drain_.join();
  }
  // Stops it and throws `what` with its output.
  [[noreturn]] void fail(const std::string& what) {
    stop();
    throw std::runtime_error(what + "; its output:\n" + output_);
  }

 private:
  pid_t pid_ = -1;
  std::thread drain_;
  std::mutex mutex_;
  std::string output_;
};

// The learner's command line: a learner of M remote actors and none of its
// own, bound where it is told (its other sockets on free ports, which its
// config reply names): nothing is read from its logs.
std::vector<std::string> learner_args(const std::string& program, int m, bool no_update, const Workload& work,
                                      const std::vector<std::string>& sets, const fs::path& dir,
                                      const std::string& endpoint) {
  std::vector<std::string> args{program,      "--env",         work.env,      "--role",     "learner",
                                "--actors",   "0",             "--total-steps", "100000000000", "--run-dir",
                                dir.string(), "--envs-per-actor", std::to_string(work.num_envs),
                                "--unroll-length", std::to_string(work.unroll_length),
                                "--set",      "run.log_every_seconds=1000", "--set", "run.eval_episodes=0",
                                "--set",      "run.checkpoint_every=0", "--set", "runtime.max_actors=" + std::to_string(m + 8),
                                "--set",      "runtime.min_actors=" + std::to_string(m),
                                "--bind",     endpoint, "--set", "runtime.unroll_port=0", "--set", "runtime.weights_port=0"};
  if (no_update) args.insert(args.end(), {"--set", "runtime.discard_batches=true"});
  for (const auto& s : sets) args.insert(args.end(), {"--set", s});
  return args;
}

// Every fake actor says hello and takes its config; within 60 s.
void join_all(std::vector<FakeActor>& actors, const std::string& endpoint, const std::string& run_id,
              LearnerProcess& learner) {
  for (size_t i = 0; i < actors.size(); ++i) {
    FakeActor& a = actors[i];
    a.sender = {run_id, "actor-" + std::to_string(i), 0};
    a.control.connect(endpoint);
    rl::wire::WireMessage hello = a.sender.start("hello");
    hello.body = {{"actor_id", int64_t{-1}}, {"pid", static_cast<int64_t>(::getpid())}};
    a.control.send(rl::wire::serialize(std::move(hello)), 1000);
  }
  const std::string host = rl::wire::endpoint_host(endpoint);
  size_t joined = 0;
  const auto start = Clock::now();
  while (joined < actors.size() && seconds_since(start) < 60) {
    if (learner.exited()) learner.fail("the learner exited before the fake actors joined");
    for (FakeActor& a : actors) {
      if (a.id >= 0) continue;
      auto frames = a.control.receive(0);
      if (!frames) continue;
      a.join(rl::wire::parse(std::move(*frames)), host);
      ++joined;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (joined < actors.size()) {
    learner.fail("only " + std::to_string(joined) + " of " + std::to_string(actors.size()) +
                 " fake actors joined within 60 s");
  }
}

// Plays the actors for `seconds`; `at_warm` runs once, `warmup` seconds in.
// An event loop over ZeroMQ's notification descriptors (epoll): only the
// actors with news cost anything, so the loop does not measure itself.
void play(std::vector<FakeActor>& actors, rl::Unroll u, double warmup, double seconds,
          const std::function<void()>& at_warm) {
  const int m = static_cast<int>(actors.size());
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < m; ++i) {
    for (Socket* socket : {&actors[i].control, &actors[i].weights}) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u32 = static_cast<uint32_t>(i);
      ::epoll_ctl(ep, EPOLL_CTL_ADD, socket->event_fd(), &event);
    }
  }
  std::vector<int> busy;  // actors to look at in this round
  std::vector<char> is_busy(m, 0);
  const auto mark = [&](int i) {
    if (!is_busy[i]) {
      is_busy[i] = 1;
      busy.push_back(i);
    }
  };
  const auto start = Clock::now();
  auto last_beats = start;
  bool warm = false;
  while (seconds_since(start) < warmup + seconds) {
    epoll_event events[256];
    const int n = ::epoll_wait(ep, events, 256, busy.empty() ? 1 : 0);
    for (int e = 0; e < n; ++e) mark(static_cast<int>(events[e].data.u32));
    std::vector<int> round;
    round.swap(busy);
    for (int i : round) is_busy[i] = 0;
    for (int i : round) {
      actors[i].serve(u);
      // Sending can swallow the descriptor's signal: look again next round.
      if (actors[i].control.has_message() || actors[i].weights.has_message()) mark(i);
    }
    if (seconds_since(last_beats) > 0.5) {
      for (int i = 0; i < m; ++i) {
        actors[i].beat();
        mark(i);  // the send may have taken the descriptor's signal: look at them all
      }
      last_beats = Clock::now();
    }
    if (!warm && seconds_since(start) >= warmup) {
      at_warm();
      warm = true;
    }
  }
  ::close(ep);
}

// The rates over the window between two rows of the learner's metrics.
Result rates_between(const std::map<std::string, double>& first, const std::map<std::string, double>& last, int m) {
  if (first.empty() || last.empty() || !first.count("wall_seconds")) {
    throw std::runtime_error("no metrics from the learner with " + std::to_string(m) + " actors");
  }
  auto delta = [&](const char* key) { return last.count(key) && first.count(key) ? last.at(key) - first.at(key) : 0.0; };
  const double wall = std::max(delta("wall_seconds"), 1e-9);
  Result r;
  r.actors = m;
  r.ingest = delta("env_steps") / wall;
  r.updates = delta("updates") / wall;
  r.weight_copies = delta("weights_copies_sent") / wall;
  r.hub_cpu_share = delta("hub_cpu_seconds") / wall;
  r.cpu_share = delta("process_cpu_seconds") / wall;
  r.lag = last.count("policy_lag_mean") ? last.at("policy_lag_mean") : 0;
  return r;
}

// Runs one learner with M fake actors; measures over [warmup, warmup + seconds].
Result measure(const std::string& program, int m, double seconds, bool no_update, const rl::Unroll& unroll,
               const Workload& work, const std::vector<std::string>& sets) {
  const fs::path dir = fs::temp_directory_path() / ("rl_bench_learner_" + std::to_string(::getpid()) + "_" +
                                                    std::to_string(m));
  fs::remove_all(dir);
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_tcp_port());
  LearnerProcess learner(learner_args(program, m, no_update, work, sets, dir, endpoint));
  std::vector<FakeActor> actors(m);
  join_all(actors, endpoint, dir.filename().string(), learner);
  const fs::path metrics = dir / "metrics.csv";
  std::map<std::string, double> first;
  play(actors, unroll, /*warmup=*/1.5, seconds, [&] { first = last_row(metrics); });
  const std::map<std::string, double> last = last_row(metrics);
  learner.stop();
  fs::remove_all(dir);
  return rates_between(first, last, m);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rl_bench_learner: the learner process fed by M fake actors over loopback"};
  std::vector<int> fleet{1, 16, 64, 256};
  double seconds = 4;
  bool no_update = false, json = false;
  std::string program;
  std::vector<std::string> sets;
  Workload work;
  app.add_option("--env", work.env, "The env of the unrolls (the learner's --env)");
  app.add_option("--num-envs", work.num_envs, "Envs per unroll (k)")->check(CLI::PositiveNumber);
  app.add_option("--unroll-length", work.unroll_length, "Steps per unroll (T)")->check(CLI::PositiveNumber);
  app.add_option("--actors", fleet, "Fleet sizes to measure")->delimiter(',')->check(CLI::PositiveNumber);
  app.add_option("--seconds", seconds, "Seconds of each measurement (after 1.5 s of warm-up)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--no-update", no_update, "The updater skips the update: the hub and batcher alone");
  app.add_option("--program", program, "The learner program (default: train_impala next to this one)");
  app.add_option("--set", sets, "A config override for the learner, key=value (repeatable)");
  app.add_flag("--json", json, "One JSON object");
  rl::cli::add_version(app, "rl_bench_learner", [] { return std::string("drives train_impala"); });
  if (auto code = rl::cli::parse(app, argc, argv, "rl_bench_learner")) return *code;
  try {
    if (program.empty()) program = (fs::path(rl::self_executable()).parent_path() / "train_impala").string();
    rl::EnvRegistry registry;
    rl::envs::register_builtin_envs(registry);
    rl::RolloutWorker worker(registry, work.env, {},
                             rl::RolloutConfig{.num_envs = work.num_envs, .num_steps = work.unroll_length},
                             rl::PolicyConfig{}, rl::NormalizeConfig{}, 1, 0);
    rl::Unroll unroll;
    worker.collect(unroll);
    std::vector<Result> results;
    for (int m : fleet) {
      results.push_back(measure(program, m, seconds, no_update, unroll, work, sets));
      const Result& r = results.back();
      if (!json) {
        std::printf("%4d actors: ingest %10.0f env steps/s (%10.0f per learner core-second), %7.1f updates/s, "
                    "%8.1f weight copies/s, learner %.2f cores (hub %.2f), lag %.1f\n",
                    r.actors, r.ingest, r.ingest / std::max(r.cpu_share, 1e-9), r.updates, r.weight_copies,
                    r.cpu_share, r.hub_cpu_share, r.lag);
        std::fflush(stdout);
      }
    }
    const double base = results.front().updates;
    if (json) {
      nlohmann::ordered_json out = {{"env", work.env}, {"num_envs", work.num_envs}, {"unroll_length", work.unroll_length},
                                    {"no_update", no_update}, {"seconds", seconds}};
      for (const Result& r : results) {
        out["fleet"].push_back({{"actors", r.actors},
                                {"ingest_env_steps_per_second", r.ingest},
                                {"updates_per_second", r.updates},
                                {"weight_copies_per_second", r.weight_copies},
                                {"hub_cpu_share", r.hub_cpu_share},
                                {"learner_cpu_share", r.cpu_share},
                                {"ingest_per_learner_core_second", r.ingest / std::max(r.cpu_share, 1e-9)},
                                {"policy_lag_mean", r.lag},
                                {"update_rate_vs_first", base > 0 ? r.updates / base : 0.0}});
      }
      std::cout << out.dump() << std::endl;
    } else if (base > 0) {
      std::printf("update rate with %d actors: %.2f of the rate with %d\n", results.back().actors,
                  results.back().updates / base, results.front().actors);
    }
  } catch (const std::exception& e) {
    rl::cli::report_error("rl_bench_learner", e.what());
    return 1;
  }
  return 0;
}
