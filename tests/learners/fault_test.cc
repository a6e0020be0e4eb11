// Fault injection with real processes on loopback (issue 7): actors killed
// at random moments, a stalled actor, envs that throw or return NaN, a kill
// while a checkpoint is written, and a learner killed and resumed while its
// remote actors wait to rejoin. docs/reliability.md lists what each shows.
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>

#include "tests/util/eventually.h"
#include "tests/util/metrics_csv.h"
#include "tests/util/processes.h"
#include "tests/util/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using rl::testing::Child;
using Clock = std::chrono::steady_clock;
using rl::testing::children_of;
using rl::testing::free_port;
using rl::testing::csv_column_text;
using rl::testing::last_metrics;
using rl::testing::processes_with;
using rl::testing::read_json;

const std::string kImpalaCartPole = RL_SOURCE_DIR "/configs/impala/cartpole.yaml";

std::vector<double> column(const fs::path& metrics, const std::string& name) {
  std::vector<double> out;
  for (const auto& text : csv_column_text(metrics, name)) out.push_back(text.empty() ? NAN : std::stod(text));
  return out;
}

// Env steps per second between the rows [first, last] of metrics.csv.
double rate_between(const std::vector<double>& steps, const std::vector<double>& wall, size_t first, size_t last) {
  return (steps[last] - steps[first]) / std::max(wall[last] - wall[first], 1e-9);
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// For the kill schedule (the fault itself is timed) and bounded polls.

using FaultTest = rl::testing::TempDirTest;

// Actors SIGKILLed at random moments, six times (4 to 5 s of kills in a
// run of about 10 s here): every kill is a restart, training goes on after
// the last kill and the run reaches its step budget. (The step rates before
// and after are printed, not asserted: speed belongs to bench/soak.sh.)
TEST_F(FaultTest, ActorsKilledAtRandomMomentsAreRestartedAndThroughputRecovers) {
  const fs::path dir = root_ / "kills";
  Child train(TRAIN_IMPALA, {"--config", kImpalaCartPole, "--actors", "2", "--total-steps", "4000000",
                             "--run-dir", dir.string(), "--set", "run.log_every_seconds=0.2",
                             "--set", "run.eval_episodes=2", "--set", "runtime.max_restarts=20"});
  ASSERT_TRUE(train.wait_for("steps/s", 120)) << train.output();
  // A baseline of throughput: some updates' worth of rows.
  rl::testing::eventually([&] { return column(dir / "metrics.csv", "env_steps").size() >= 200; },
                          std::chrono::seconds(60), std::chrono::milliseconds(50));
  const size_t rows_before = column(dir / "metrics.csv", "env_steps").size();
  std::mt19937 rng(7);
  int kills = 0;
  for (int i = 0; i < 6; ++i) {
    // The kill moments are random on purpose: no condition to wait for.
    std::this_thread::sleep_for(std::chrono::duration<double>(std::uniform_real_distribution<double>(0.2, 0.8)(rng)));
    const auto actors = children_of(train.pid());
    if (actors.empty()) continue;  // both are being restarted right now
    const pid_t victim = actors[std::uniform_int_distribution<size_t>(0, actors.size() - 1)(rng)];
    if (::kill(victim, SIGKILL) == 0) ++kills;
  }
  const size_t rows_at_last_kill = column(dir / "metrics.csv", "env_steps").size();
  ASSERT_EQ(train.wait(600), 0) << train.output();
  ASSERT_GE(kills, 4);
  EXPECT_EQ(count_of(train.output(), "was killed by signal 9; restarted"), static_cast<size_t>(kills))
      << train.output();
  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["total_env_steps"].get<int64_t>(), 4000000);
  EXPECT_EQ(last_metrics(dir / "metrics.csv").at("actor_restarts"), kills);

  const auto steps = column(dir / "metrics.csv", "env_steps");
  const auto wall = column(dir / "metrics.csv", "wall_seconds");
  ASSERT_GT(rows_before, 2u);
  ASSERT_GT(steps.size(), rows_at_last_kill + 3) << "no rows after the kills";
  const double before = rate_between(steps, wall, 0, rows_before - 1);
  const double after = rate_between(steps, wall, rows_at_last_kill + 1, steps.size() - 1);
  std::printf("env steps/s before the kills %.0f, after %.0f\n", before, after);
  EXPECT_GT(steps.back(), steps[rows_at_last_kill]) << "no training after the last kill";
  EXPECT_TRUE(processes_with("--run-id kills").empty()) << "an actor outlived the learner";
}

// An actor that stops (SIGSTOP: alive, silent) is declared dead after the
// actor timeout, killed and replaced, and the run goes on with two actors.
TEST_F(FaultTest, AStalledActorIsDeclaredDeadAndReplaced) {
  const fs::path dir = root_ / "stall";
  Child train(TRAIN_IMPALA, {"--config", kImpalaCartPole, "--actors", "2", "--total-steps", "100000000",
                             "--run-dir", dir.string(), "--set", "run.log_every_seconds=0.2", "--set",
                             "runtime.actor_timeout_seconds=2", "--set", "runtime.heartbeat_seconds=0.2"});
  ASSERT_TRUE(train.wait_for("steps/s", 120)) << train.output();
  const auto actors = children_of(train.pid());
  ASSERT_EQ(actors.size(), 2u);
  ASSERT_EQ(::kill(actors[1], SIGSTOP), 0);
  ASSERT_TRUE(train.wait_for("declared dead", 30)) << train.output();
  ASSERT_TRUE(train.wait_for("killed for a restart", 10)) << train.output();
  ASSERT_TRUE(train.wait_for("was killed by signal 9; restarted", 10)) << train.output();
  ASSERT_TRUE(train.wait_for("joined", 30)) << train.output();
  ASSERT_TRUE(train.wait_for("steps/s", 30)) << train.output();  // training goes on after the replacement
  ::kill(train.pid(), SIGTERM);
  ASSERT_EQ(train.wait(120), 0) << train.output();
  const auto metrics = last_metrics(dir / "metrics.csv");
  EXPECT_EQ(metrics.at("live_actors"), 2);
  EXPECT_EQ(metrics.at("actor_restarts"), 1);
  EXPECT_EQ(::kill(actors[1], 0), -1) << "the stalled process is still there";
}

// Anything on the learner that takes longer than the actor timeout (here
// every update takes 3 s, and so does a checkpoint, against a timeout of
// 1 s) leaves the actors alone: the hub answers their heartbeats on its own
// thread meanwhile. No actor is declared dead, none is restarted.
TEST_F(FaultTest, AnUpdateOrCheckpointLongerThanTheActorTimeoutKillsNoActor) {
  const fs::path dir = root_ / "slow-learner";
  ::setenv("RL_FAULT_UPDATE_PAUSE_MS", "3000", 1);
  ::setenv("RL_FAULT_CHECKPOINT_PAUSE_MS", "3000", 1);
  Child train(TRAIN_IMPALA, {"--config", kImpalaCartPole, "--actors", "2", "--total-steps", "640", "--run-dir",
                             dir.string(), "--set", "runtime.actor_timeout_seconds=1", "--set",
                             "runtime.heartbeat_seconds=0.2", "--set", "run.checkpoint_every=320", "--set",
                             "run.eval_episodes=2"});
  ::unsetenv("RL_FAULT_UPDATE_PAUSE_MS");
  ::unsetenv("RL_FAULT_CHECKPOINT_PAUSE_MS");
  ASSERT_EQ(train.wait(120), 0) << train.output();
  EXPECT_THAT(train.output(), ::testing::Not(HasSubstr("declared dead"))) << train.output();
  EXPECT_THAT(train.output(), ::testing::Not(HasSubstr("silent"))) << train.output();
  const auto metrics = last_metrics(dir / "metrics.csv");
  EXPECT_EQ(metrics.at("actor_restarts"), 0);
  EXPECT_EQ(metrics.at("live_actors"), 2);
  // Two updates and two checkpoints of 3 s each went by.
  EXPECT_GE(read_json(dir / "summary.json")["wall_seconds"].get<double>(), 6.0);
}

// An env whose every step takes 2 s, twice the actor timeout: the actor's
// link thread beats the heart while the env steps, so it stays alive.
TEST_F(FaultTest, AnActorWhoseUnrollTakesLongerThanTheTimeoutStaysAlive) {
  const fs::path dir = root_ / "slow-env";
  Child train(TRAIN_IMPALA, {"--env-plugin", FAULTY_ENV_PLUGIN, "--env", "Faulty-v0", "--actors", "1",
                             "--envs-per-actor", "1", "--unroll-length", "1", "--total-steps", "3", "--run-dir",
                             dir.string(), "--set", "run.env_options=step_sleep_ms=2000", "--set",
                             "runtime.actor_timeout_seconds=1", "--set", "runtime.heartbeat_seconds=0.2", "--set",
                             "run.eval_episodes=0"});
  ASSERT_EQ(train.wait(120), 0) << train.output();
  EXPECT_THAT(train.output(), ::testing::Not(HasSubstr("declared dead"))) << train.output();
  const auto metrics = last_metrics(dir / "metrics.csv");
  EXPECT_EQ(metrics.at("actor_restarts"), 0);
  EXPECT_GE(read_json(dir / "summary.json")["total_env_steps"].get<int64_t>(), 3);
}

// Flow-control settings that could never form a batch. A global cap below
// one batch is refused at start, naming both settings, before anything is
// written; a fleet too small for the per-actor queue (1 actor x 1 credit,
// batches of 3 unrolls) adapts, says so once, and finishes.
TEST_F(FaultTest, FlowSettingsThatCannotFormABatchAreRefusedOrAdaptedNeverAHang) {
  const fs::path refused = root_ / "refused";
  Child bad(TRAIN_IMPALA, {"--config", kImpalaCartPole, "--actors", "2", "--total-steps", "2000", "--run-dir",
                           refused.string(), "--set", "runtime.unrolls_in_flight=2", "--set",
                           "impala.unrolls_per_batch=3"});
  EXPECT_EQ(bad.wait(60), 2) << bad.output();
  EXPECT_THAT(bad.output(), HasSubstr("runtime.unrolls_in_flight=2 is below impala.unrolls_per_batch=3"));
  EXPECT_FALSE(fs::exists(refused)) << "a refused run left files behind";

  const fs::path adapted = root_ / "adapted";
  Child train(TRAIN_IMPALA, {"--config", kImpalaCartPole, "--actors", "1", "--total-steps", "5000", "--run-dir",
                             adapted.string(), "--set", "runtime.unroll_queue=1", "--set",
                             "impala.unrolls_per_batch=3", "--set", "run.eval_episodes=2"});
  ASSERT_EQ(train.wait(120), 0) << train.output();
  EXPECT_EQ(count_of(train.output(), "cannot fill a batch of 3 unrolls; each actor may now hold 3"), 1u)
      << train.output();
  EXPECT_GE(read_json(adapted / "summary.json")["total_env_steps"].get<int64_t>(), 5000);
}

// A stage thread of the learner that throws (hub, batcher or publisher;
// injected by RL_FAULT_STAGE_THROW once the stage has done some work) ends
// the run at once with one line naming the stage, exit status 1, and the
// actor processes reaped; nothing loops on the exception.
TEST_F(FaultTest, AStageThreadThatThrowsEndsTheRunWithOneLine) {
  for (const char* stage : {"hub", "batcher", "publisher"}) {
    SCOPED_TRACE(stage);
    const fs::path dir = root_ / (std::string("throw-") + stage);
    ::setenv("RL_FAULT_STAGE_THROW", stage, 1);
    Child train(TRAIN_IMPALA, {"--config", kImpalaCartPole, "--actors", "2", "--total-steps", "100000000",
                               "--run-dir", dir.string(), "--set", "run.eval_episodes=0"});
    ::unsetenv("RL_FAULT_STAGE_THROW");
    ASSERT_TRUE(train.wait_for("joined", 60)) << train.output();
    const auto actors = children_of(train.pid());
    EXPECT_EQ(train.wait(60), 1) << train.output();
    EXPECT_THAT(train.output(), HasSubstr(std::string("the learner's ") + stage +
                                          ": injected fault (RL_FAULT_STAGE_THROW)"));
    EXPECT_EQ(count_of(train.output(), "injected fault"), 1u) << train.output();
    for (const pid_t actor : actors) EXPECT_EQ(::kill(actor, 0), -1) << "actor " << actor << " was not reaped";
  }
}

// The watchdog: an env that never returns from its step (here a 10-minute
// sleep) leaves its actor alive (its link thread beats) and holding its
// credits. After runtime.stall_seconds without an update the run ends with
// one line that says why, reaps the actor and exits non-zero.
TEST_F(FaultTest, NoUpdateForStallSecondsEndsTheRunWithTheReason) {
  const fs::path dir = root_ / "stuck";
  const auto started = Clock::now();
  Child train(TRAIN_IMPALA, {"--env-plugin", FAULTY_ENV_PLUGIN, "--env", "Faulty-v0", "--actors", "1",
                             "--envs-per-actor", "1", "--unroll-length", "4", "--total-steps", "1000",
                             "--run-dir", dir.string(), "--set", "run.env_options=step_sleep_ms=600000", "--set",
                             "runtime.stall_seconds=3", "--set", "run.eval_episodes=0"});
  ASSERT_TRUE(train.wait_for("joined", 60)) << train.output();
  const auto actors = children_of(train.pid());
  ASSERT_EQ(actors.size(), 1u);
  EXPECT_EQ(train.wait(60), 1) << train.output();
  EXPECT_THAT(train.output(), HasSubstr("no update for 3 s (runtime.stall_seconds): 1 of 1 actors live"));
  EXPECT_THAT(train.output(), HasSubstr("the live actors hold their credits and send nothing"));
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - started).count(), 60.0);
  EXPECT_EQ(::kill(actors[0], 0), -1) << "the stuck actor was not reaped";
}

// Envs that throw every 97th step and return NaN every 89th: each failure
// resets that env and is counted; the actors survive and the run finishes.
TEST_F(FaultTest, EnvsThatThrowOrReturnNaNAreResetAndCounted) {
  for (const char* actors : {"2", "0"}) {
    const fs::path dir = root_ / (std::string("flaky-") + actors);
    Child train(TRAIN_PPO, {"--env-plugin", FAULTY_ENV_PLUGIN, "--env", "Faulty-v0", "--actors", actors,
                            "--total-steps", "40000", "--run-dir", dir.string(), "--set",
                            "run.env_options=throw_every=97,nan_every=89", "--set", "run.eval_episodes=0"});
    ASSERT_EQ(train.wait(300), 0) << train.output();
    const auto metrics = last_metrics(dir / "metrics.csv");
    // About 40000 / 97 + 40000 / 89 failures over the run.
    EXPECT_GT(metrics.at("env_errors"), 500) << actors;
    if (std::string(actors) != "0") {
      EXPECT_EQ(metrics.at("actor_restarts"), 0) << actors;
    }
    EXPECT_GE(read_json(dir / "summary.json")["total_env_steps"].get<int64_t>(), 40000);
  }
}

// An env that fails on every step from its 30th on: after
// rollout.env_error_limit failures in a row the actor reports it and is
// declared dead at once (not after its heartbeat timeout); restarted, it
// fails again; past runtime.max_restarts the run stops with that reason.
TEST_F(FaultTest, APersistentlyFailingEnvIsAClearError) {
  const fs::path dir = root_ / "broken";
  Child train(TRAIN_PPO, {"--env-plugin", FAULTY_ENV_PLUGIN, "--env", "Faulty-v0", "--actors", "2",
                          "--total-steps", "40000", "--run-dir", dir.string(), "--set",
                          "run.env_options=fail_from=30", "--set", "runtime.max_restarts=1", "--set",
                          "runtime.actor_timeout_seconds=3"});
  EXPECT_NE(train.wait(300), 0) << train.output();
  EXPECT_THAT(train.output(), HasSubstr("reported an error; its credits return to the pool"));
  // Not the liveness timeout's "silent for N s, declared dead".
  EXPECT_THAT(train.output(), ::testing::Not(HasSubstr(", declared dead"))) << "waited for a heartbeat timeout";
  EXPECT_THAT(train.output(), HasSubstr("is out of restarts (runtime.max_restarts=1): the run stops"));
  EXPECT_THAT(train.output(), HasSubstr("FaultyEnv: broken for good since step 30 (3 failures in a row"));
  EXPECT_TRUE(processes_with("--run-id broken").empty()) << "an actor outlived the learner";

  // In-process collection: the same error, straight away.
  Child local(TRAIN_PPO, {"--env-plugin", FAULTY_ENV_PLUGIN, "--env", "Faulty-v0", "--actors", "0",
                          "--total-steps", "40000", "--run-dir", (root_ / "broken-local").string(), "--set",
                          "run.env_options=fail_from=30"});
  EXPECT_NE(local.wait(300), 0) << local.output();
  EXPECT_THAT(local.output(), HasSubstr("3 failures in a row"));
}

// A learner killed well after its last checkpoint and resumed from it: its
// versions start again below the ones its actors last saw. Every surviving
// actor must take the resumed weights (weights carry the learner's epoch):
// through a host agent, whose relay and board outlive the learner, and
// plain remote actors, under IMPALA and PPO. Without the epoch the relay
// kept the dead learner's newer version and every unroll was dropped as a
// future version.
TEST_F(FaultTest, AResumedLearnerBehindItsActorsVersionsBringsEveryActorBack) {
  struct Case {
    const char* name;
    const char* program;
    std::string config;
    bool host_agent;
  };
  const std::vector<Case> cases = {
      {"impala-host-agent", TRAIN_IMPALA, kImpalaCartPole, true},
      {"ppo-host-agent", TRAIN_PPO, RL_SOURCE_DIR "/configs/ppo/cartpole.yaml", true},
      {"ppo-actors", TRAIN_PPO, RL_SOURCE_DIR "/configs/ppo/cartpole.yaml", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path dir = root_ / c.name;
    const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
    const std::vector<std::string> learner_args{
        "--config", c.config, "--role", "learner", "--actors", "0", "--bind", endpoint, "--total-steps",
        "100000000", "--run-dir", dir.string(), "--set", "runtime.min_actors=2", "--set",
        "runtime.actor_timeout_seconds=3", "--set", "run.checkpoint_every=20000", "--set", "run.eval_episodes=0",
        "--set", "run.log_every_seconds=0.2", "--set", "runtime.stall_seconds=60"};
    auto learner = std::make_unique<Child>(c.program, learner_args);
    ASSERT_TRUE(learner->wait_for("learner listening", 60)) << learner->output();
    std::vector<std::unique_ptr<Child>> actors;
    if (c.host_agent) {
      actors.push_back(std::make_unique<Child>(
          c.program, std::vector<std::string>{"--role", "actor", "--actors", "2", "--learner", endpoint,
                                              "--reconnect-seconds", "60"}));
    } else {
      for (int i = 0; i < 2; ++i) {
        actors.push_back(std::make_unique<Child>(
            c.program, std::vector<std::string>{"--role", "actor", "--learner", endpoint, "--reconnect-seconds", "60"}));
      }
    }
    // Kill the learner at least 20 updates after its first checkpoint.
    const fs::path latest = dir / "checkpoints" / "latest";
    ASSERT_TRUE(rl::testing::eventually([&] { return fs::exists(latest / "learner.json"); },
                                        std::chrono::seconds(120), std::chrono::milliseconds(50)))
        << learner->output();
    const int64_t saved_version = read_json(fs::canonical(latest) / "learner.json")["version"].get<int64_t>();
    double updates = 0;
    rl::testing::eventually(
        [&] {
          const auto row = last_metrics(dir / "metrics.csv");
          updates = row.count("updates") ? row.at("updates") : 0;
          return updates > saved_version + 20;
        },
        std::chrono::seconds(120), std::chrono::milliseconds(50));
    ::kill(learner->pid(), SIGKILL);
    learner->wait(30);
    ASSERT_GT(updates, saved_version + 20) << "the learner did not get far enough past its checkpoint";
    const int64_t saved_steps = read_json(fs::canonical(dir / "checkpoints" / "latest") / "state.json")["env_steps"];

    // Resumed (the latest checkpoint may be a later one than the first):
    // it must train 60k steps more with the same actors.
    std::vector<std::string> resume_args = learner_args;
    for (size_t i = 0; i + 1 < resume_args.size(); ++i) {
      if (resume_args[i] == "--total-steps") resume_args[i + 1] = std::to_string(saved_steps + 60000);
    }
    resume_args.push_back("--resume");
    Child resumed(c.program, resume_args);
    ASSERT_EQ(resumed.wait(180), 0) << resumed.output();
    EXPECT_GE(read_json(dir / "summary.json")["total_env_steps"].get<int64_t>(), saved_steps + 60000);
    for (auto& actor : actors) {
      EXPECT_EQ(actor->wait(60), 0) << actor->output();  // stopped by the resumed learner
      // A host agent's relay and board live on and take the new epoch's
      // weights; a plain actor rejoins with none and takes the first it gets.
      EXPECT_THAT(actor->output(), HasSubstr(c.host_agent ? "new learner incarnation" : "trying to rejoin"));
    }
  }
}

// SIGKILL while a checkpoint is being written (held open by the fault
// hook RL_FAULT_CHECKPOINT_PAUSE_MS): the previous checkpoint stays
// loadable, and --resume continues from it with its counters.
TEST_F(FaultTest, AKillDuringACheckpointWriteKeepsThePreviousOne) {
  const fs::path dir = root_ / "ckpt";
  ::setenv("RL_FAULT_CHECKPOINT_PAUSE_MS", "3000", 1);
  Child train(TRAIN_PPO, {"--env", "CartPole-v1", "--actors", "0", "--total-steps", "100000000", "--run-dir",
                          dir.string(), "--set", "run.checkpoint_every=10000"});
  ::unsetenv("RL_FAULT_CHECKPOINT_PAUSE_MS");
  const fs::path checkpoints = dir / "checkpoints";
  auto writing = [&] {
    if (!fs::exists(checkpoints)) return false;
    for (const auto& entry : fs::directory_iterator(checkpoints)) {
      if (entry.path().filename().string().rfind(".tmp-", 0) == 0) return true;
    }
    return false;
  };
  // The first checkpoint completes; kill during the second one's write.
  ASSERT_TRUE(rl::testing::eventually([&] { return fs::exists(checkpoints / "latest"); }, std::chrono::seconds(120),
                                      std::chrono::milliseconds(50)))
      << train.output();
  const fs::path first = fs::canonical(checkpoints / "latest");
  ASSERT_TRUE(rl::testing::eventually(writing, std::chrono::seconds(120), std::chrono::milliseconds(50)))
      << train.output();
  ::kill(train.pid(), SIGKILL);
  train.wait(30);
  ASSERT_TRUE(writing()) << "the interrupted write should be left behind";
  EXPECT_EQ(fs::canonical(checkpoints / "latest"), first);
  const int64_t saved_steps = read_json(first / "state.json")["env_steps"].get<int64_t>();

  Child evaluate(RL_EVAL, {"--checkpoint", (checkpoints / "latest").string(), "--episodes", "2"});
  EXPECT_EQ(evaluate.wait(60), 0) << evaluate.output();

  Child resume(TRAIN_PPO, {"--resume", "--run-dir", dir.string(), "--total-steps",
                           std::to_string(saved_steps + 8192)});
  ASSERT_EQ(resume.wait(300), 0) << resume.output();
  EXPECT_THAT(resume.output(), HasSubstr("at " + std::to_string(saved_steps) + " env steps"));
  EXPECT_FALSE(writing()) << "the resumed run removes the interrupted write";
}

// The learner is SIGKILLed mid-run and started again with --resume on the
// same endpoint; its two remote actors (--reconnect-seconds) rejoin by
// themselves and the run finishes from the last checkpoint's counters.
TEST_F(FaultTest, AKilledLearnerResumesAndItsActorsRejoin) {
  const fs::path dir = root_ / "learner";
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
  const std::vector<std::string> learner_args{
      "--config", kImpalaCartPole, "--role", "learner", "--actors", "0", "--bind", endpoint, "--total-steps", "2000000",
      "--run-dir", dir.string(), "--set", "runtime.min_actors=2", "--set", "runtime.actor_timeout_seconds=3",
      "--set", "run.checkpoint_every=100000", "--set", "run.eval_episodes=2", "--set",
      "run.log_every_seconds=0.2"};
  auto learner = std::make_unique<Child>(TRAIN_IMPALA, learner_args);
  ASSERT_TRUE(learner->wait_for("learner listening", 60)) << learner->output();
  std::vector<std::unique_ptr<Child>> actors;
  for (int i = 0; i < 2; ++i) {
    actors.push_back(std::make_unique<Child>(
        TRAIN_IMPALA, std::vector<std::string>{"--role", "actor", "--learner", endpoint, "--reconnect-seconds", "60"}));
  }
  const fs::path latest = dir / "checkpoints" / "latest";
  ASSERT_TRUE(rl::testing::eventually([&] { return fs::exists(latest / "state.json"); }, std::chrono::seconds(120),
                                      std::chrono::milliseconds(50)))
      << learner->output();
  ::kill(learner->pid(), SIGKILL);
  learner->wait(30);
  const auto state = read_json(fs::canonical(latest) / "state.json");
  const int64_t saved_steps = state["env_steps"].get<int64_t>();
  ASSERT_LT(saved_steps, 2000000);

  std::vector<std::string> resume_args = learner_args;
  resume_args.push_back("--resume");
  Child resumed(TRAIN_IMPALA, resume_args);
  ASSERT_EQ(resumed.wait(300), 0) << resumed.output();
  EXPECT_THAT(resumed.output(), HasSubstr("at " + std::to_string(saved_steps) + " env steps"));
  EXPECT_EQ(count_of(resumed.output(), "joined"), 2u) << resumed.output();
  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["total_env_steps"].get<int64_t>(), 2000000);
  // metrics.csv goes on from the checkpoint: its env steps never go back
  // below what the checkpoint had once the resumed rows begin.
  const auto steps = column(dir / "metrics.csv", "env_steps");
  EXPECT_GE(steps.back(), 2000000);
  for (auto& actor : actors) {
    EXPECT_EQ(actor->wait(60), 0) << actor->output();  // stopped by the resumed learner
    EXPECT_THAT(actor->output(), HasSubstr("trying to rejoin"));
  }
}

}  // namespace
