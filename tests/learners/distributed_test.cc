// The distributed runtime with real processes on loopback: train_ppo,
// train_impala and train_appo start actor processes, actors are killed, and a fake peer
// sends malformed messages to a running learner.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "rl/wire/messages.h"
#include "tests/util/eventually.h"
#include "tests/util/metrics_csv.h"
#include "tests/util/processes.h"
#include "tests/util/temp_dir.h"
#include "rl/wire/socket.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

using rl::testing::Child;
using rl::testing::children_of;
using rl::testing::last_metrics;
using rl::testing::metric_now;
using rl::testing::processes_with;
using rl::testing::read_json;

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

using DistributedTest = rl::testing::TempDirTest;

TEST_F(DistributedTest, PpoWithTwoActorProcessesSolvesCartPole) {
  const fs::path dir = root_ / "ppo";
  Child train(TRAIN_PPO, {"--config", RL_SOURCE_DIR "/configs/ppo/cartpole.yaml", "--seed", "1", "--actors", "2",
                          "--envs-per-actor", "4", "--unroll-length", "32", "--total-steps", "150000",
                          "--run-dir", dir.string()});
  ASSERT_EQ(train.wait(600), 0) << train.output();
  EXPECT_THAT(train.output(), HasSubstr("actor 0 joined"));
  EXPECT_THAT(train.output(), HasSubstr("actor 1 joined"));
  const auto summary = read_json(dir / "summary.json");
  EXPECT_LE(summary["total_env_steps"].get<int64_t>(), 150000 + 256);
  EXPECT_GE(summary["final_eval_mean_return"].get<double>(), 475.0) << train.output();
  const auto metrics = last_metrics(dir / "metrics.csv");
  EXPECT_EQ(metrics.at("live_actors"), 2);
  EXPECT_EQ(metrics.at("dropped_messages"), 0);
  EXPECT_TRUE(processes_with("--run-id ppo").empty()) << "an actor outlived the learner";
}

// Synchronous PPO is reproducible with actor processes: a batch is laid
// out by actor id, not by which actor the scheduler ran first, so two runs
// of one seed report the same losses, to the last digit, after every update.
TEST_F(DistributedTest, APpoRunWithActorProcessesRepeatsItselfForASeed) {
  const std::vector<std::string> columns = {"policy_loss", "value_loss", "entropy", "approx_kl", "grad_norm"};
  std::vector<std::string> rows[2];
  for (int run = 0; run < 2; ++run) {
    const fs::path dir = root_ / ("repeat-" + std::to_string(run));
    Child train(TRAIN_PPO, {"--config", RL_SOURCE_DIR "/configs/ppo/cartpole.yaml", "--seed", "7", "--actors", "3",
                            "--envs-per-actor", "2", "--unroll-length", "32", "--total-steps", "20000",
                            "--run-dir", dir.string()});
    ASSERT_EQ(train.wait(600), 0) << train.output();
    for (const std::string& column : columns) {
      const auto cells = rl::testing::csv_column_text(dir / "metrics.csv", column);
      ASSERT_GT(cells.size(), 50u) << column;
      if (rows[run].empty()) rows[run].resize(cells.size());
      ASSERT_EQ(cells.size(), rows[run].size());
      for (size_t i = 0; i < cells.size(); ++i) rows[run][i] += column + "=" + cells[i] + " ";
    }
  }
  ASSERT_EQ(rows[0].size(), rows[1].size());
  for (size_t i = 0; i < rows[0].size(); ++i) ASSERT_EQ(rows[0][i], rows[1][i]) << "update " << i + 1;
}

// Both sides on the default (fast) path. Credits bound the unrolls in
// flight to twice the batch, and the learner takes credits back when it
// starts training on a batch, so the policy lag stays within a few versions
// (it reached 500 on every seed; before the credits it did not always).
TEST_F(DistributedTest, ImpalaWithTwoActorProcessesSolvesCartPole) {
  const fs::path dir = root_ / "impala";
  Child train(TRAIN_IMPALA, {"--config", RL_SOURCE_DIR "/configs/impala/cartpole.yaml", "--seed", "1",
                             "--actors", "2", "--total-steps", "1000000", "--run-dir", dir.string()});
  ASSERT_EQ(train.wait(600), 0) << train.output();
  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["final_eval_mean_return"].get<double>(), 475.0) << train.output();
  // Asynchronous: over the run the learner trains on data of older
  // versions, and the credits keep the mean lag near what is in flight (2
  // batches). Judged over every update, not the last one: under load the
  // last batch can be of the current version (a lag of 0) by chance.
  const auto lag = rl::testing::lag_over_run(dir / "metrics.csv");
  EXPECT_GT(lag.max, 0) << "no update trained on older data in " << lag.updates << " updates";
  EXPECT_LE(lag.mean, 3.0);
  EXPECT_LE(lag.max, 20) << "runtime.max_policy_lag drops anything older";
  EXPECT_EQ(last_metrics(dir / "metrics.csv").at("dropped_messages"), 0);
}

// APPO with actor processes: the preset reaches 475 within 500k steps (it
// passes 475 near 150k on seeds 1-3), with off-policy data (lag > 0) whose
// importance weights the V-trace targets and the clipped ratio both see.
TEST_F(DistributedTest, AppoWithTwoActorProcessesSolvesCartPole) {
  const fs::path dir = root_ / "appo";
  Child train(TRAIN_APPO, {"--config", RL_SOURCE_DIR "/configs/appo/cartpole.yaml", "--seed", "1",
                           "--actors", "2", "--total-steps", "500000", "--run-dir", dir.string()});
  ASSERT_EQ(train.wait(600), 0) << train.output();
  EXPECT_THAT(train.output(), HasSubstr("actor 0 joined"));
  EXPECT_THAT(train.output(), HasSubstr("actor 1 joined"));
  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["final_eval_mean_return"].get<double>(), 475.0) << train.output();
  const auto lag = rl::testing::lag_over_run(dir / "metrics.csv");
  EXPECT_GT(lag.max, 0) << "no update trained on older data in " << lag.updates << " updates";
  EXPECT_LE(lag.mean, 3.0);
  const auto metrics = last_metrics(dir / "metrics.csv");
  EXPECT_EQ(metrics.at("epochs"), 2);
  EXPECT_GT(metrics.at("mean_importance_weight"), 0);
  EXPECT_EQ(metrics.at("dropped_messages"), 0);
  EXPECT_TRUE(processes_with("--run-id appo").empty()) << "an actor outlived the learner";
}

// A fleet eight times the cores: 16 actor processes on this 2-core machine
// take turns, credits keep the policy lag near two batches, and IMPALA
// learns as with two actors (before the credits, 8 actors collapsed to a
// return of 9 at a lag in the thousands).
TEST_F(DistributedTest, ImpalaWithSixteenActorProcessesSolvesCartPole) {
  const fs::path dir = root_ / "fleet";
  Child train(TRAIN_IMPALA, {"--config", RL_SOURCE_DIR "/configs/impala/cartpole.yaml", "--seed", "1",
                             "--actors", "16", "--total-steps", "1000000", "--run-dir", dir.string()});
  ASSERT_EQ(train.wait(600), 0) << train.output();
  EXPECT_THAT(train.output(), HasSubstr("16 actor processes on"));  // the oversubscription warning
  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["final_eval_mean_return"].get<double>(), 475.0) << train.output();
  // The mean lag stays near two versions whatever the fleet; a straggler
  // (an actor descheduled for long on the busy cores) can be further behind,
  // but never beyond runtime.max_policy_lag (20), where it would be dropped.
  const auto lag = rl::testing::lag_over_run(dir / "metrics.csv");
  EXPECT_LE(lag.mean, 3.0) << "credits should bound the lag whatever the fleet";
  EXPECT_LE(lag.max, 20);
  EXPECT_EQ(last_metrics(dir / "metrics.csv").at("live_actors"), 16);
}

TEST_F(DistributedTest, AKilledActorIsRestartedAndNoOrphanRemains) {
  const fs::path dir = root_ / "kill";
  Child train(TRAIN_IMPALA, {"--config", RL_SOURCE_DIR "/configs/impala/cartpole.yaml", "--actors", "2",
                             "--total-steps", "400000", "--run-dir", dir.string(), "--set",
                             "run.log_every_seconds=0.2", "--set", "run.eval_episodes=2"});
  ASSERT_TRUE(train.wait_for("steps/s", 120)) << train.output();
  const auto actors = children_of(train.pid());
  ASSERT_EQ(actors.size(), 2u) << train.output();
  ASSERT_EQ(::kill(actors[0], SIGKILL), 0);
  ASSERT_EQ(train.wait(600), 0) << train.output();
  EXPECT_THAT(train.output(), HasSubstr("was killed by signal 9; restarted (1 of 5)"));
  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["total_env_steps"].get<int64_t>(), 400000);
  EXPECT_GE(last_metrics(dir / "metrics.csv").at("actor_restarts"), 1);
  EXPECT_TRUE(children_of(train.pid()).empty());
  EXPECT_TRUE(processes_with("--run-id kill").empty()) << "an actor outlived the learner";
}

TEST_F(DistributedTest, SigtermStopsTheRunCleanlyWithACheckpoint) {
  const fs::path dir = root_ / "term";
  Child train(TRAIN_PPO, {"--env", "CartPole-v1", "--actors", "2", "--total-steps", "100000000",
                          "--run-dir", dir.string(), "--set", "run.log_every_seconds=0.2"});
  ASSERT_TRUE(train.wait_for("steps/s", 120)) << train.output();
  ::kill(train.pid(), SIGTERM);
  EXPECT_EQ(train.wait(120), 0) << train.output();
  EXPECT_THAT(train.output(), HasSubstr("stopped by signal 15"));
  EXPECT_TRUE(fs::exists(dir / "checkpoints" / "latest" / "model.pt"));
  EXPECT_TRUE(read_json(dir / "summary.json")["interrupted"].get<bool>());
  EXPECT_TRUE(processes_with("--run-id term").empty()) << "an actor outlived the learner";
}

// PPO waits for one unroll of every live actor per update. An actor killed
// mid-run is known dead the moment the supervisor reaps it: no update waits
// for its timeout (30 s here), and its restarted process keeps its id.
TEST_F(DistributedTest, PpoGoesOnAtOnceWhenAnActorIsKilledAndItsSuccessorKeepsItsId) {
  const fs::path dir = root_ / "ppo-kill";
  Child train(TRAIN_PPO, {"--env", "CartPole-v1", "--actors", "2", "--total-steps", "100000000", "--run-dir",
                          dir.string(), "--set", "run.log_every_seconds=0.2", "--set", "run.eval_episodes=0",
                          "--set", "runtime.actor_timeout_seconds=30"});
  ASSERT_TRUE(train.wait_for("steps/s", 120)) << train.output();
  const auto actors = children_of(train.pid());
  ASSERT_EQ(actors.size(), 2u) << train.output();
  const auto killed_at = Clock::now();
  ASSERT_EQ(::kill(actors[0], SIGKILL), 0);
  ASSERT_TRUE(train.wait_for("restarted (1 of 5)", 30)) << train.output();
  // Both ids are back: the restarted process joined under its old id.
  const auto rejoined = train.wait_for("joined", 30);
  ASSERT_TRUE(rejoined) << train.output();
  const double rejoin_seconds = std::chrono::duration<double>(Clock::now() - killed_at).count();
  // Training goes on for a while with both actors.
  const auto metrics_path = dir / "metrics.csv";
  const double updates_then = metric_now(metrics_path, "updates").value_or(0);
  EXPECT_TRUE(rl::testing::eventually(
      [&] { return metric_now(metrics_path, "updates").value_or(0) >= updates_then + 50; }, std::chrono::seconds(60)))
      << "fewer than 50 updates in 60 s after the rejoin";
  ::kill(train.pid(), SIGTERM);
  ASSERT_EQ(train.wait(120), 0) << train.output();
  EXPECT_EQ(count_of(train.output(), "actor 0 joined") + count_of(train.output(), "actor 1 joined"), 3u)
      << train.output();
  EXPECT_THAT(train.output(), ::testing::Not(HasSubstr("goes on with"))) << "an update waited for the dead actor";
  EXPECT_THAT(train.output(), ::testing::Not(HasSubstr("actor 2 joined"))) << "the restarted actor got a new id";
  // The longest pause between two updates: the time the kill cost.
  const auto wall = rl::testing::csv_column_text(metrics_path, "wall_seconds");
  double longest = 0;
  for (size_t i = 1; i < wall.size(); ++i) longest = std::max(longest, std::stod(wall[i]) - std::stod(wall[i - 1]));
  std::printf("kill to rejoin: %.2f s; longest pause between two updates: %.2f s\n", rejoin_seconds, longest);
  EXPECT_LT(longest, 30.0) << "an update waited for the actor timeout";
  EXPECT_EQ(last_metrics(metrics_path).at("live_actors"), 2);
}

// --bind tcp://HOST:PORT puts the unroll and weights sockets on PORT + 1 and
// PORT + 2, so that a firewall or a Kubernetes Service can name them.
TEST_F(DistributedTest, TheDataSocketsFollowTheControlPort) {
  using namespace rl::wire;
  // free_port() vouches for PORT only: PORT + 1 or + 2 can belong to another
  // test's process running beside this one, so a bind refused for that
  // reason is retried on another port (a few times, then it fails).
  int port = 0;
  fs::path dir;
  std::unique_ptr<Child> started;
  for (int attempt = 0; attempt < 5; ++attempt) {
    port = rl::testing::free_port();
    dir = root_ / ("ports-" + std::to_string(attempt));
    started = std::make_unique<Child>(
        TRAIN_IMPALA, std::vector<std::string>{"--env", "CartPole-v1", "--role", "learner", "--actors", "0", "--bind",
                                               "tcp://127.0.0.1:" + std::to_string(port), "--total-steps", "1000",
                                               "--run-dir", dir.string()});
    if (started->wait_for("listening on tcp://127.0.0.1:" + std::to_string(port), 60)) break;
    ASSERT_THAT(started->output(), HasSubstr("Address already in use")) << started->output();
    started->wait(10);
  }
  Child& train = *started;
  ASSERT_THAT(train.output(), HasSubstr("listening on tcp://127.0.0.1:" + std::to_string(port))) << train.output();
  Socket control(SocketType::kDealer);
  control.connect("tcp://127.0.0.1:" + std::to_string(port));
  Sender sender{"", "actor-0", 0};
  WireMessage hello = sender.start("hello");
  hello.body = {{"actor_id", int64_t{-1}}, {"pid", int64_t{1}}};
  control.send(serialize(std::move(hello)), 1000);
  auto reply = control.receive(10000);
  ASSERT_TRUE(reply);
  const WireMessage config = parse(std::move(*reply));
  ASSERT_EQ(config.kind, "config");
  EXPECT_EQ(config.get_int("unroll_port"), port + 1);
  EXPECT_EQ(config.get_int("weights_port"), port + 2);
  ::kill(train.pid(), SIGTERM);
  EXPECT_EQ(train.wait(60), 0) << train.output();
}

using rl::testing::csv_column_text;

// Two learner processes in a c10d Gloo group, each with its own actor:
// after every update both hold the same parameters (the checksum of every
// row of their metrics.csv files agrees), and they stop together.
TEST_F(DistributedTest, TwoLearnersOverGlooHoldIdenticalParametersAfterEveryUpdate) {
  for (const char* program : {TRAIN_PPO, TRAIN_IMPALA}) {
    const fs::path dir = root_ / (std::string("group-") + fs::path(program).filename().string());
    Child train(program, {"--env", "CartPole-v1", "--learners", "2", "--actors", "1", "--envs-per-actor", "4",
                          "--unroll-length", "32", "--total-steps", "20000", "--run-dir", dir.string(),
                          "--set", "run.eval_episodes=2", "--set", "normalize.observations=true"});
    ASSERT_EQ(train.wait(300), 0) << train.output();
    EXPECT_THAT(train.output(), HasSubstr("learner 1 of a group of 2 (c10d Gloo)"));
    const auto rank0 = csv_column_text(dir / "metrics.csv", "param_checksum");
    const auto rank1 = csv_column_text(dir / "rank-1" / "metrics.csv", "param_checksum");
    ASSERT_GT(rank0.size(), 10u);
    ASSERT_EQ(rank0.size(), rank1.size());
    for (size_t i = 0; i < rank0.size(); ++i) EXPECT_EQ(rank0[i], rank1[i]) << program << " update " << i;
    // Each learner trained on its own actor's data.
    EXPECT_NE(csv_column_text(dir / "metrics.csv", "episodes"), csv_column_text(dir / "rank-1" / "metrics.csv", "episodes"));
    EXPECT_TRUE(fs::exists(dir / "checkpoints" / "latest"));
    EXPECT_FALSE(fs::exists(dir / "rank-1" / "checkpoints"));
  }
}

// A group whose ranks have unequal batches (1 and 3 actors) and stop PPO's
// epochs early on target_kl: the group decides the stop on its mean KL and
// every rank takes the same number of minibatch steps, so both issue the
// same all-reduces and hold identical parameters after every update.
TEST_F(DistributedTest, AGroupWithTargetKlAndUnequalActorsStaysInStep) {
  const fs::path dir = root_ / "group-kl";
  const std::string port = std::to_string(rl::testing::free_port());
  std::vector<std::unique_ptr<Child>> ranks;
  for (int rank = 0; rank < 2; ++rank) {
    ::setenv("RANK", std::to_string(rank).c_str(), 1);
    ::setenv("WORLD_SIZE", "2", 1);
    ::setenv("MASTER_ADDR", "127.0.0.1", 1);
    ::setenv("MASTER_PORT", port.c_str(), 1);
    ranks.push_back(std::make_unique<Child>(
        TRAIN_PPO, std::vector<std::string>{"--env", "CartPole-v1", "--actors", rank == 0 ? "1" : "3",
                                            "--envs-per-actor", "4", "--unroll-length", "32", "--total-steps", "60000",
                                            "--run-dir", dir.string(), "--set", "ppo.target_kl=0.01", "--set",
                                            "ppo.update_epochs=8", "--set", "ppo.learning_rate=0.003", "--set",
                                            "run.eval_episodes=2"}));
  }
  for (const char* name : {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(name);
  for (auto& rank : ranks) ASSERT_EQ(rank->wait(300), 0) << rank->output();
  const auto rank0 = csv_column_text(dir / "metrics.csv", "param_checksum");
  const auto rank1 = csv_column_text(dir / "rank-1" / "metrics.csv", "param_checksum");
  ASSERT_GT(rank0.size(), 10u);
  ASSERT_EQ(rank0.size(), rank1.size());
  for (size_t i = 0; i < rank0.size(); ++i) EXPECT_EQ(rank0[i], rank1[i]) << "update " << i;
  // target_kl stopped some updates early, on both ranks alike.
  const auto epochs0 = csv_column_text(dir / "metrics.csv", "epochs");
  EXPECT_EQ(epochs0, csv_column_text(dir / "rank-1" / "metrics.csv", "epochs"));
  EXPECT_TRUE(std::any_of(epochs0.begin(), epochs0.end(), [](const std::string& e) { return std::stod(e) < 8; }))
      << "target_kl never stopped an update: the test does not test it";
  // Unequal batches: rank 1 took three actors' unrolls per update.
  EXPECT_EQ(csv_column_text(dir / "metrics.csv", "batch_unrolls").back(), "1");
  EXPECT_EQ(csv_column_text(dir / "rank-1" / "metrics.csv", "batch_unrolls").back(), "3");
}

// A fake peer joins a running learner and sends it everything a broken or
// hostile actor could: well framed or not, each message is dropped and
// counted by reason, the peer gets clear errors, and the learner (which
// never throws on any of it) finishes its run.
TEST_F(DistributedTest, MalformedMessagesAreCountedAndTheLearnerTrainsOn) {
  using namespace rl::wire;
  const fs::path dir = root_ / "malformed";
  Child train(TRAIN_IMPALA, {"--config", RL_SOURCE_DIR "/configs/impala/cartpole.yaml", "--role", "learner",
                             "--actors", "1", "--total-steps", "400000", "--run-dir", dir.string(), "--set",
                             "run.eval_episodes=5", "--set", "runtime.unrolls_in_flight=16", "--set",
                             "runtime.unroll_queue=8", "--set", "runtime.max_actors=64"});
  const auto listening = train.wait_for("listening on", 60);
  ASSERT_TRUE(listening) << train.output();
  const std::string endpoint = listening->substr(listening->find("tcp://"), listening->find(" (run") - listening->find("tcp://"));
  const std::string run_id = "malformed";

  Socket control(SocketType::kDealer);
  control.set_routing_id("fake-peer");
  control.connect(endpoint);
  Sender sender{run_id, "actor-9", 0};
  // The next control message of `kind` (credits and heartbeats come too).
  auto next_of = [&](const std::string& kind) -> std::optional<WireMessage> {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      auto reply = control.receive(100);
      if (!reply) continue;
      WireMessage m = parse(std::move(*reply));
      if (m.kind == kind || m.kind == "error") return m;
    }
    return std::nullopt;
  };
  auto expect_error = [&](WireMessage m, const std::string& text) {
    control.send(serialize(std::move(m)), 1000);
    auto reply = next_of("error");
    ASSERT_TRUE(reply);
    ASSERT_EQ(reply->kind, "error");
    EXPECT_THAT(reply->get_string("reason"), HasSubstr(text));
  };
  WireMessage old = sender.start("hello");
  old.proto = 1;
  old.body = {{"actor_id", int64_t{9}}, {"pid", int64_t{1}}};
  expect_error(std::move(old), "protocol version 1 is not supported; this learner speaks version 2");
  Sender stranger{"another-run", "actor-9", 0};
  WireMessage foreign = stranger.start("hello");
  foreign.body = {{"actor_id", int64_t{9}}, {"pid", int64_t{1}}};
  expect_error(std::move(foreign), "run 'another-run' is not this learner's run 'malformed'");

  WireMessage hello = sender.start("hello");
  hello.body = {{"actor_id", int64_t{9}}, {"pid", int64_t{1}}};
  control.send(serialize(std::move(hello)), 1000);
  const auto config = next_of("config");
  ASSERT_TRUE(config);
  ASSERT_EQ(config->kind, "config");
  const int64_t id = config->get_int("actor_id");
  const int64_t incarnation = config->get_int("incarnation");
  ASSERT_TRUE(next_of("credit")) << "no credit for the peer";
  Socket push(SocketType::kPush);
  push.connect("tcp://127.0.0.1:" + std::to_string(config->get_int("unroll_port")));

  // A valid unroll of the run's shape (the preset's 20 steps x 16 envs).
  const int64_t T = 20, k = 16;
  auto valid = [&](int64_t sequence) {
    rl::Unroll u;
    u.resize(T, k, 4, 0, true);
    std::fill(u.obs.begin(), u.obs.end(), 0.01f);
    std::fill(u.discrete_actions.begin(), u.discrete_actions.end(), 1);
    std::fill(u.rewards.begin(), u.rewards.end(), 1.f);
    std::fill(u.terminated.begin(), u.terminated.end(), 0);
    std::fill(u.truncated.begin(), u.truncated.end(), 0);
    std::fill(u.behaviour_log_probs.begin(), u.behaviour_log_probs.end(), -0.69f);
    std::fill(u.values.begin(), u.values.end(), 0.f);
    u.actor_id = id;
    u.incarnation = incarnation;
    u.sequence = sequence;
    return u;
  };
  std::vector<Frames> corpus;
  corpus.push_back({"random bytes \x01\x02\xff"});
  {
    Frames f = serialize(encode_unroll(sender, valid(0)));
    f.pop_back();
    corpus.push_back(f);  // truncated: a frame missing
  }
  {
    WireMessage m = encode_unroll(sender, valid(1));
    m.arrays[0].dtype = DType::kFloat64;
    m.arrays[0].bytes.resize(m.arrays[0].bytes.size() * 2);
    corpus.push_back(serialize(std::move(m)));  // wrong dtype
  }
  {
    rl::Unroll u = valid(2);
    u.obs_size = 5;
    u.obs.resize((T + 1) * k * 5, 0.f);
    corpus.push_back(serialize(encode_unroll(sender, u)));  // shape mismatch with the env
  }
  {
    rl::Unroll u = valid(3);
    u.rewards[1] = std::nanf("");
    corpus.push_back(serialize(encode_unroll(sender, u)));  // NaN
  }
  corpus.push_back(Frames(80, "x"));  // oversize: too many frames
  {
    WireMessage m = encode_unroll(sender, valid(4));
    m.proto = 9;
    corpus.push_back(serialize(std::move(m)));  // wrong version
  }
  {
    Sender other{"another-run", "actor-9", 0};
    corpus.push_back(serialize(encode_unroll(other, valid(5))));  // wrong run id
  }
  {
    rl::Unroll u = valid(6);
    u.actor_id = 12;
    corpus.push_back(serialize(encode_unroll(sender, u)));  // an id in range that never joined
  }
  {
    rl::Unroll u = valid(7);
    u.discrete_actions[0] = 5;
    corpus.push_back(serialize(encode_unroll(sender, u)));  // action outside Discrete(2)
  }
  // Well framed, semantically hostile.
  {
    rl::Unroll u = valid(8);
    u.resize(7, k, 4, 0, true);  // another T than the run's
    std::fill(u.terminated.begin(), u.terminated.end(), 0);
    std::fill(u.truncated.begin(), u.truncated.end(), 0);
    std::fill(u.obs.begin(), u.obs.end(), 0.f);
    std::fill(u.discrete_actions.begin(), u.discrete_actions.end(), 0);
    std::fill(u.rewards.begin(), u.rewards.end(), 0.f);
    std::fill(u.behaviour_log_probs.begin(), u.behaviour_log_probs.end(), 0.f);
    std::fill(u.values.begin(), u.values.end(), 0.f);
    corpus.push_back(serialize(encode_unroll(sender, u)));  // shape_mismatch
  }
  {
    rl::Unroll u = valid(9);
    u.truncated[3] = u.truncated[5] = 1;
    u.final_index = {5, 3};  // unsorted
    u.final_obs.assign(8, 0.f);
    corpus.push_back(serialize(encode_unroll(sender, u)));
    u.final_index = {3, 3};  // duplicate
    u.truncated[5] = 0;
    u.sequence = 10;
    corpus.push_back(serialize(encode_unroll(sender, u)));
  }
  {
    rl::Unroll u = valid(11);
    u.actor_id = int64_t{1} << 40;  // a huge id
    corpus.push_back(serialize(encode_unroll(sender, u)));
  }
  {
    rl::Unroll u = valid(12);
    u.incarnation = incarnation + 3;
    corpus.push_back(serialize(encode_unroll(sender, u)));  // not its incarnation
  }
  corpus.push_back(serialize(encode_unroll(sender, valid(20))));  // valid: accepted
  corpus.push_back(serialize(encode_unroll(sender, valid(20))));  // the same sequence again
  {
    rl::Unroll u = valid(21);
    u.policy_version = 1'000'000;  // a version the learner never had
    corpus.push_back(serialize(encode_unroll(sender, u)));
  }
  for (auto& frames : corpus) ASSERT_TRUE(push.send(std::move(frames), 5000));

  // A stale unroll once the learner is far enough along (runtime.max_policy_lag 20).
  ASSERT_TRUE(rl::testing::eventually([&] { return metric_now(dir / "metrics.csv", "updates").value_or(0) > 40; },
                                      std::chrono::seconds(60)))
      << "the learner did not reach 40 updates in 60 s";
  ASSERT_TRUE(next_of("credit")) << "no credit back for the valid unroll";
  {
    rl::Unroll u = valid(30);
    u.policy_version = 1;
    ASSERT_TRUE(push.send(serialize(encode_unroll(sender, u)), 5000));
  }

  ASSERT_EQ(train.wait(600), 0) << train.output();
  const auto m = last_metrics(dir / "metrics.csv");
  for (const char* reason : {"malformed", "frame_count", "bad_dtype", "shape_mismatch", "non_finite", "oversize",
                             "bad_version", "bad_run", "unknown_actor", "bad_action", "out_of_order", "bad_index",
                             "bad_actor_id", "stale_incarnation", "future_version", "stale_lag"}) {
    EXPECT_GE(m.at(std::string("dropped_") + reason), 1) << reason << "\n" << train.output();
  }
  EXPECT_GE(m.at("dropped_shape_mismatch"), 2);
  EXPECT_GE(m.at("dropped_bad_index"), 2);
  EXPECT_GE(m.at("dropped_messages"), 18);
  EXPECT_THAT(train.output(), HasSubstr("learner: dropped a message (non_finite"));
  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["total_env_steps"].get<int64_t>(), 400000);
  EXPECT_GT(summary["final_eval_mean_return"].get<double>(), 100.0);
}

}  // namespace
