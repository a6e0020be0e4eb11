// What a user types wrong, tried on the programs as processes (docs/errors.md):
// for every mistake in the table the exit code, that the first line of
// stderr names the flag or file, and that no stack trace is printed. Then
// --version on every program, and stop signals in every phase of a run.
// To add a case, add a row to kMistakes.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/util/processes.h"
#include "tests/util/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using rl::testing::Child;
using rl::testing::read_json;
using Clock = std::chrono::steady_clock;

struct Result {
  int status = 0;
  std::string err;  // stderr alone
};

// Runs `program args` through the shell with stdout dropped: stderr alone.
Result run(const std::string& program, const std::string& args) {
  const std::string command = program + " " + args + " 2>&1 >/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  Result r;
  std::array<char, 4096> buffer;
  while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) r.err.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

struct Mistake {
  const char* program;   // TRAIN_PPO ...
  std::string args;      // {dir} is replaced by a fresh folder, {file} by a file that exists
  int status;            // expected exit code
  std::string names;     // what stderr's first line must name
};

using CliErrorsTest = rl::testing::TempDirTest;

TEST_F(CliErrorsTest, EveryMistakeIsOneLineNamingWhatWasWrong) {
  // A run directory that holds an earlier run's files but no checkpoint.
  const fs::path used = root_ / "used";
  fs::create_directories(used);
  std::ofstream(used / "config.yaml") << "run:\n  env: CartPole-v1\n";
  std::ofstream(used / "metrics.csv") << "env_steps\n1\n";
  const fs::path bad_yaml = root_ / "bad.yaml";
  std::ofstream(bad_yaml) << "ppo:\n  clip: [unclosed\n";
  const fs::path not_a_plugin = root_ / "plugin.so";
  std::ofstream(not_a_plugin) << "not a library";

  const std::vector<Mistake> kMistakes = {
      // train_* : flags and values
      {TRAIN_PPO, "--no-such-flag", 2, "--no-such-flag"},
      {TRAIN_PPO, "--total-steps -5 --run-dir {dir}", 2, "run.total_steps"},
      {TRAIN_PPO, "--total-steps lots --run-dir {dir}", 2, "run.total_steps"},
      {TRAIN_PPO, "--seed -1 --run-dir {dir}", 2, "run.seed"},
      {TRAIN_PPO, "--actors 100000 --run-dir {dir}", 2, "runtime.actors"},
      {TRAIN_PPO, "--actors -3 --run-dir {dir}", 2, "runtime.actors"},
      {TRAIN_PPO, "--envs-per-actor 0 --run-dir {dir}", 2, "rollout.num_envs"},
      {TRAIN_PPO, "--envs-per-actor 100000 --run-dir {dir}", 2, "rollout.num_envs"},
      {TRAIN_PPO, "--unroll-length 1000000 --run-dir {dir}", 2, "rollout.num_steps"},
      {TRAIN_PPO, "--learners 0", 2, "--learners"},
      {TRAIN_PPO, "--role boss", 2, "--role"},
      {TRAIN_PPO, "--bind 127.0.0.1:5555 --run-dir {dir}", 2, "runtime.bind"},
      {TRAIN_PPO, "--bind tcp://127.0.0.1:99999 --run-dir {dir}", 2, "runtime.bind"},
      {TRAIN_PPO, "--device tpu --run-dir {dir}", 2, "tpu"},
      {TRAIN_PPO, "--env Nope-v0 --run-dir {dir}", 2, "Nope-v0"},
      {TRAIN_PPO, "--set ppo.learnig_rate=1 --run-dir {dir}", 2, "ppo.learnig_rate"},
      {TRAIN_PPO, "--set ppo.gamma=1.5 --run-dir {dir}", 2, "ppo.gamma"},
      {TRAIN_PPO, "--set nonsense --run-dir {dir}", 2, "nonsense"},
      {TRAIN_PPO, "--log-level loud", 2, "--log-level"},
      {TRAIN_IMPALA, "--set impala.optimizer=sgd --run-dir {dir}", 2, "impala.optimizer"},
      {TRAIN_IMPALA, "--set runtime.weights_dtype=f8 --run-dir {dir}", 2, "runtime.weights_dtype"},
      {TRAIN_IMPALA, "--set runtime.actor_program=lite --run-dir {dir}", 2,
       "runtime.actor_program: 'lite' is not one of auto, rl_actor, trainer"},
      {TRAIN_IMPALA, "--env MinAtar/Breakout-v0 --no-preset --set policy.encoder=impala_cnn --set policy.fast_path=off --set runtime.actor_program=rl_actor --run-dir {dir}", 2,
       "runtime.actor_program=rl_actor runs mlp, minatar_cnn, nature_cnn and impala_cnn policies, and this one is not (policy.encoder impala_cnn, policy.fast_path off)"},
      {TRAIN_IMPALA, "--set runtime.max_policy_lag=-1 --run-dir {dir}", 2, "runtime.max_policy_lag"},
      {TRAIN_APPO, "--set appo.ratio_clip=asymmetric --run-dir {dir}", 2, "appo.ratio_clip"},
      {TRAIN_APPO, "--set appo.update_epochs=0 --run-dir {dir}", 2, "appo.update_epochs"},
      {TRAIN_APPO, "--set appo.num_minibatches=100000 --run-dir {dir}", 2, "appo.num_minibatches"},
      // models, memory, flow control: each names its own setting
      {TRAIN_PPO, "--set ppo=3 --run-dir {dir}", 2, "'ppo' is a section, not a key"},
      {TRAIN_PPO, "--set policy.core=gru --run-dir {dir}", 2, "policy.core"},
      {TRAIN_PPO, "--set policy.lstm_size=0 --run-dir {dir}", 2, "policy.lstm_size"},
      {TRAIN_PPO, "--set policy.core_inputs=action --run-dir {dir}", 2, "policy.core=lstm"},
      {TRAIN_PPO, "--set policy.encoder=nature_cnn --run-dir {dir}", 2, "needs observations of shape [C, H, W]"},
      {TRAIN_PPO, "--env MinAtar/Breakout-v1 --set normalize.observations=true --run-dir {dir}", 2,
       "normalize.observations"},
      {TRAIN_PPO, "--set runtime.stall_seconds=-1 --run-dir {dir}", 2, "runtime.stall_seconds"},
      {TRAIN_IMPALA, "--set runtime.unrolls_in_flight=1 --set impala.unrolls_per_batch=2 --run-dir {dir}", 2,
       "runtime.unrolls_in_flight=1 is below impala.unrolls_per_batch=2"},
      {TRAIN_PPO, "--resume --resume-if-any --run-dir {dir}", 2, "--resume and --resume-if-any"},
      {TRAIN_PPO, "--resume-if-any", 2, "--resume-if-any needs --run-dir"},
      // train_* : files
      {TRAIN_PPO, "--config /no/such.yaml", 2, "/no/such.yaml"},
      {TRAIN_PPO, "--config " + bad_yaml.string() + " --run-dir {dir}", 2, "bad.yaml"},
      {TRAIN_PPO, "--env-plugin " + not_a_plugin.string() + " --run-dir {dir}", 2, "plugin.so"},
      {TRAIN_PPO, "--resume --run-dir {dir}", 2, "config.yaml"},
      {TRAIN_PPO, "--resume", 2, "--run-dir"},
      {TRAIN_PPO, "--total-steps 1000 --run-dir " + used.string(), 2, used.string()},
      // train_* --role actor
      {TRAIN_IMPALA, "--role actor", 2, "--learner"},
      {TRAIN_IMPALA, "--role actor --learner learner-host:5555", 2, "--learner"},
      {TRAIN_IMPALA, "--role actor --learner tcp://127.0.0.1:5555 --actors 0", 2, "--actors"},
      {TRAIN_IMPALA, "--role actor --learner tcp://127.0.0.1:5555 --actors many", 2, "--actors"},
      {TRAIN_IMPALA, "--role actor --learner tcp://127.0.0.1:5555 --curve-key /no/key", 2, "/no/key"},
      {TRAIN_IMPALA, "--role actor --learner tcp://127.0.0.1:5555 --reconnect-seconds -1", 2, "--reconnect-seconds"},
      // flags of the other role: refused, not ignored
      {TRAIN_IMPALA, "--role actor --learner tcp://127.0.0.1:5555 --run-dir {dir} --set ppo.gamma=0.9", 2,
       "--run-dir, --set are the learner's"},
      {TRAIN_IMPALA, "--role actor --learner tcp://127.0.0.1:5555 --resume", 2, "--resume is the learner's"},
      {TRAIN_IMPALA, "--role learner --learner tcp://127.0.0.1:5555 --run-dir {dir}", 2,
       "--learner only apply with --role actor"},
      // a learner that cannot be reached: said at once (exit 3)
      {TRAIN_IMPALA, "--role actor --learner tcp://no-such-host.invalid:5555", 3, "cannot resolve 'no-such-host.invalid'"},
      {TRAIN_IMPALA, "--role actor --learner tcp://127.0.0.1:1", 3, "connection refused"},
      // rl_eval
      {RL_EVAL, "--episodes 0 --env CartPole-v1", 2, "--episodes"},
      {RL_EVAL, "--episodes -2 --env CartPole-v1", 2, "--episodes"},
      {RL_EVAL, "--env Nope-v0", 2, "Nope-v0"},
      {RL_EVAL, "", 2, "--env or --checkpoint"},
      {RL_EVAL, "--checkpoint /no/such/run", 2, "/no/such/run"},
      {RL_EVAL, "--env CartPole-v1 --num-envs 0", 2, "--num-envs"},
      {RL_EVAL, "--env CartPole-v1 --env-option gravity=strong", 2, "gravity"},
      {RL_EVAL, "--env CartPole-v1 --record {dir} --record-size big", 2, "big"},
      {RL_EVAL, "--env CartPole-v1 --seed -4", 2, "--seed"},
      // rl_plot, rl_keygen
      {RL_PLOT, "/no/such/run -o {dir}/x.png", 2, "/no/such/run"},
      {RL_PLOT, "{dir}", 2, "--output"},
      {RL_KEYGEN, "--name a/b --out {dir}", 2, "--name"},
      {RL_KEYGEN, "--out {dir}", 2, "--name"},
      {RL_BENCH_GPU, "--models resnet --devices cpu", 2, "--models: 'resnet'"},
      {RL_BENCH_GPU, "--devices cuda:7 --models mlp", 2, "--devices: cuda:7"},
  };
  int i = 0;
  for (const Mistake& m : kMistakes) {
    std::string args = m.args;
    const fs::path dir = root_ / ("case-" + std::to_string(i++));
    for (size_t at; (at = args.find("{dir}")) != std::string::npos;) args.replace(at, 5, dir.string());
    const Result r = run(m.program, args);
    const std::string where = std::string(fs::path(m.program).filename()) + " " + args;
    EXPECT_EQ(r.status, m.status) << where << "\n" << r.err;
    const std::string line = first_line(r.err);
    EXPECT_THAT(line, HasSubstr(m.names)) << where << "\n" << r.err;
    EXPECT_THAT(line, HasSubstr("error")) << where;
    // A refused run writes nothing: no run directory is left to refuse the next try.
    if (m.status == 2 && m.args.find("--run-dir {dir}") != std::string::npos) {
      EXPECT_FALSE(fs::exists(dir)) << where << ": a refused run left files behind";
    }
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("Exception raised from"))) << where;  // c10's stack traces
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("terminate called"))) << where;
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("frame #"))) << where;
  }
}

TEST_F(CliErrorsTest, EveryProgramTellsItsVersion) {
  for (const char* program : {TRAIN_PPO, TRAIN_IMPALA, TRAIN_APPO, RL_EVAL, RL_PLOT, RL_KEYGEN, RL_BENCH_ENV, RL_BENCH_PIPELINE,
                              RL_BENCH_POLICY, RL_BENCH_LEARNER, RL_BENCH_GPU}) {
    FILE* pipe = ::popen((std::string(program) + " --version 2>&1").c_str(), "r");
    std::string out;
    std::array<char, 512> buffer;
    while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
    EXPECT_EQ(WEXITSTATUS(::pclose(pipe)), 0) << program;
    const std::string name = fs::path(program).filename();
    EXPECT_THAT(out, HasSubstr(name + " " + RL_VERSION + " (commit ")) << out;
  }
  FILE* pipe = ::popen((std::string(TRAIN_IMPALA) + " --version").c_str(), "r");
  std::array<char, 512> buffer;
  std::string out;
  while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  ::pclose(pipe);
  EXPECT_THAT(out, HasSubstr("fast path"));  // the compute path and the BLAS
  EXPECT_THAT(out, HasSubstr("BLAS"));
}

// Stop signals in every phase: one signal stops the program promptly (the
// budget is a second, plus the checkpoint); two stop it at once, leaving the
// last complete checkpoint and a summary that says so; summary.json never
// reports an evaluation that did not run. The bounds asserted are kPrompt,
// far above the budget (a loaded 2-core machine) and far below what a stop
// that waited would take (the group's 60 s timeout, a million-episode
// evaluation, a run of 10^8 steps); the times measured are printed.
constexpr double kPrompt = 10.0;

TEST_F(CliErrorsTest, OneSignalStopsEveryPhasePromptly) {
  auto stopped_within = [](Child& child, double seconds) {
    const auto start = Clock::now();
    const int status = child.wait(seconds + 30);
    return std::make_pair(status, std::chrono::duration<double>(Clock::now() - start).count());
  };
  {
    // While waiting for remote actors that never come.
    const fs::path dir = root_ / "waiting";
    Child train(TRAIN_IMPALA, {"--env", "CartPole-v1", "--role", "learner", "--actors", "0", "--run-dir",
                               dir.string(), "--set", "runtime.min_actors=2", "--bind", "tcp://*:0"});
    const auto listening = train.wait_for("listening on", 60);
    ASSERT_TRUE(listening) << train.output();
    // The address printed is the one bound: every interface, not loopback.
    EXPECT_THAT(*listening, HasSubstr("listening on tcp://0.0.0.0:"));
    EXPECT_THAT(*listening, HasSubstr("every interface (this host's actors use tcp://127.0.0.1:"));
    ::kill(train.pid(), SIGINT);
    const auto [status, seconds] = stopped_within(train, 2);
    std::printf("waiting for actors: stopped in %.2f s\n", seconds);
    EXPECT_EQ(status, 0) << train.output();
    EXPECT_LT(seconds, kPrompt);
    const auto summary = read_json(dir / "summary.json");
    EXPECT_TRUE(summary["interrupted"].get<bool>());
    EXPECT_FALSE(summary.contains("final_eval_mean_return")) << "an evaluation that did not run";
  }
  {
    // While training, with local actors.
    const fs::path dir = root_ / "training";
    Child train(TRAIN_PPO, {"--env", "CartPole-v1", "--actors", "2", "--total-steps", "100000000", "--run-dir",
                            dir.string(), "--set", "run.log_every_seconds=0.2"});
    ASSERT_TRUE(train.wait_for("steps/s", 60)) << train.output();
    ::kill(train.pid(), SIGTERM);
    const auto [status, seconds] = stopped_within(train, 2);
    std::printf("training: stopped in %.2f s\n", seconds);
    EXPECT_EQ(status, 0) << train.output();
    EXPECT_LT(seconds, kPrompt);
    EXPECT_TRUE(fs::exists(dir / "checkpoints" / "latest" / "model.pt"));
    EXPECT_TRUE(rl::testing::processes_with("--run-id training").empty()) << "an actor outlived the learner";
  }
  {
    // While evaluating: a long final evaluation is cut short, and not reported.
    const fs::path dir = root_ / "evaluating";
    Child train(TRAIN_PPO, {"--env", "CartPole-v1", "--actors", "0", "--total-steps", "2048", "--run-dir",
                            dir.string(), "--set", "run.eval_episodes=1000000"});
    ASSERT_TRUE(train.wait_for("final evaluation of", 60)) << train.output();
    ::kill(train.pid(), SIGINT);
    const auto [status, seconds] = stopped_within(train, 2);
    std::printf("evaluating: stopped in %.2f s\n", seconds);
    EXPECT_EQ(status, 0) << train.output();
    EXPECT_LT(seconds, kPrompt);
    const auto summary = read_json(dir / "summary.json");
    EXPECT_TRUE(summary["interrupted"].get<bool>());
    EXPECT_FALSE(summary.contains("final_eval_mean_return")) << "an evaluation that did not finish";
  }
  {
    // While starting (a learner group waiting for its other rank): at once.
    const fs::path dir = root_ / "starting";
    const std::string port = std::to_string(rl::testing::free_port());
    ::setenv("RANK", "0", 1);
    ::setenv("WORLD_SIZE", "2", 1);
    ::setenv("MASTER_ADDR", "127.0.0.1", 1);
    ::setenv("MASTER_PORT", port.c_str(), 1);
    Child train(TRAIN_PPO, {"--env", "CartPole-v1", "--actors", "1", "--run-dir", dir.string()});
    for (const char* name : {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(name);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (!fs::exists(dir / "config.yaml") && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(train.pid(), SIGINT);
    const auto [status, seconds] = stopped_within(train, 1);
    std::printf("starting: stopped in %.2f s\n", seconds);
    EXPECT_EQ(status, 130) << train.output();
    EXPECT_LT(seconds, kPrompt);
  }
}

// A rank whose rank 0 never comes: one line that names the rank and the
// rendezvous address, after the group timeout (4 x actor_timeout_seconds),
// and none of c10d's own glog lines before it.
TEST_F(CliErrorsTest, ARankWithoutRankZeroSaysWhichStoreItCouldNotReach) {
  const std::string port = std::to_string(rl::testing::free_port());
  const std::string command = "RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port + " " + TRAIN_PPO;
  const Result r = run(command, "--env CartPole-v1 --role learner --actors 0 --run-dir " + (root_ / "lonely").string() +
                                    " --set runtime.actor_timeout_seconds=1 --set runtime.heartbeat_seconds=0.25");
  EXPECT_EQ(r.status, 1) << r.err;
  std::string errors;  // stderr without the log lines of the run ("[date] [info] ...")
  for (size_t at = 0, nl; at < r.err.size(); at = nl + 1) {
    nl = r.err.find('\n', at);
    if (nl == std::string::npos) nl = r.err.size();
    if (r.err.compare(at, 1, "[") != 0) errors += r.err.substr(at, nl - at) + "\n";
  }
  EXPECT_THAT(first_line(errors), HasSubstr("train_ppo: error: learner group: rank 1 of 2")) << r.err;
  EXPECT_THAT(first_line(errors), HasSubstr("rendezvous store at 127.0.0.1:" + port)) << r.err;
  EXPECT_EQ(errors.find('\n'), errors.size() - 1) << "more than one line:\n" << r.err;
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("InitGoogleLogging"))) << r.err;
}

TEST_F(CliErrorsTest, TwoSignalsStopAtOnceAndLeaveAConsistentRunDirectory) {
  const fs::path dir = root_ / "twice";
  ::setenv("RL_FAULT_CHECKPOINT_PAUSE_MS", "30000", 1);  // the first signal's checkpoint takes 30 s
  Child train(TRAIN_PPO, {"--env", "CartPole-v1", "--actors", "2", "--total-steps", "100000000", "--run-dir",
                          dir.string(), "--set", "run.log_every_seconds=0.2", "--set", "run.checkpoint_every=0"});
  ::unsetenv("RL_FAULT_CHECKPOINT_PAUSE_MS");
  ASSERT_TRUE(train.wait_for("steps/s", 60)) << train.output();
  ::kill(train.pid(), SIGINT);
  // The first stop is under way once its checkpoint is being written (.tmp-*).
  const auto writing = [&] {
    if (!fs::exists(dir / "checkpoints")) return false;
    for (const auto& entry : fs::directory_iterator(dir / "checkpoints")) {
      if (entry.path().filename().string().rfind(".tmp-", 0) == 0) return true;
    }
    return false;
  };
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!writing() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(writing()) << "no checkpoint write began after the first signal\n" << train.output();
  const auto second = Clock::now();
  ::kill(train.pid(), SIGINT);
  const int status = train.wait(30);
  const double seconds = std::chrono::duration<double>(Clock::now() - second).count();
  std::printf("second signal: stopped in %.2f s\n", seconds);
  EXPECT_EQ(status, 130) << train.output();
  // At once: well before the first stop's 30-second checkpoint could end.
  EXPECT_LT(seconds, kPrompt);
  const auto summary = read_json(dir / "summary.json");
  EXPECT_TRUE(summary["interrupted"].get<bool>());
  EXPECT_FALSE(summary.contains("final_eval_mean_return"));
  EXPECT_THAT(train.output(), HasSubstr("stopped at once by a second signal"));
  EXPECT_TRUE(rl::testing::processes_with("--run-id twice").empty()) << "an actor outlived the learner";
  // Whatever checkpoint there is, is complete (the interrupted write left a .tmp-*, never a torn latest).
  if (fs::exists(dir / "checkpoints" / "latest")) {
    Child eval(RL_EVAL, {"--checkpoint", dir.string(), "--episodes", "1"});
    EXPECT_EQ(eval.wait(60), 0) << eval.output();
  }
}

}  // namespace
