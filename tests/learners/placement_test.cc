// Where inference runs (runtime.inference), end to end with real processes:
// each placement trains CartPole-v1 to 475 with actor processes; a host
// agent serves its actors through one inference process; killing the
// inference process mid-run costs a pause and no unroll, no actor.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/util/metrics_csv.h"
#include "tests/util/processes.h"
#include "tests/util/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using rl::testing::Child;
using rl::testing::csv_column_text;
using rl::testing::free_port;
using rl::testing::last_metrics;
using rl::testing::processes_with;
using rl::testing::read_json;
using Clock = std::chrono::steady_clock;

const std::string kPpoCartPole = RL_SOURCE_DIR "/configs/ppo/cartpole.yaml";
const std::string kImpalaCartPole = RL_SOURCE_DIR "/configs/impala/cartpole.yaml";

std::vector<double> column(const fs::path& metrics, const std::string& name) {
  std::vector<double> out;
  for (const auto& text : csv_column_text(metrics, name)) out.push_back(text.empty() ? NAN : std::stod(text));
  return out;
}

void sleep_seconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

class PlacementTest : public rl::testing::TempDirTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(PlacementTest, TrainsCartPoleTo475WithActorProcesses) {
  const std::string placement = GetParam();
  const fs::path dir = root_ / placement;
  Child train(TRAIN_PPO, {"--config", kPpoCartPole, "--seed", "1", "--actors", "2", "--total-steps", "200000",
                          "--run-dir", dir.string(), "--set", "runtime.inference=" + placement});
  ASSERT_EQ(train.wait(300), 0) << train.output();
  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["final_eval_mean_return"].get<double>(), 475.0) << train.output();
  const auto metrics = last_metrics(dir / "metrics.csv");
  EXPECT_EQ(metrics.at("actor_restarts"), 0);
  if (placement == "actor") {
    EXPECT_EQ(metrics.count("inference_batches"), 0u);
    return;
  }
  if (placement == "host") {
    EXPECT_THAT(train.output(), HasSubstr("an inference process"));
  } else {
    EXPECT_THAT(train.output(), HasSubstr("the learner's process runs the policy"));
  }
  EXPECT_THAT(train.output(), HasSubstr("collecting through the host's inference server"));
  EXPECT_GT(metrics.at("inference_batches"), 0);
  // Two actors of 8 envs: a forward pass serves more than one actor's rows
  // on average (PPO's actors step in lockstep).
  EXPECT_GT(metrics.at("inference_rows_per_batch"), 8.0);
  EXPECT_LE(metrics.at("inference_rows_per_batch"), 16.0);
  EXPECT_EQ(metrics.at("inference_restarts"), 0);
}

INSTANTIATE_TEST_SUITE_P(Placements, PlacementTest, ::testing::Values("actor", "host", "learner"),
                         [](const auto& info) { return info.param; });

using InferenceProcessTest = rl::testing::TempDirTest;

TEST_F(InferenceProcessTest, AHostAgentServesItsActorsThroughOneInferenceProcess) {
  const fs::path dir = root_ / "agent";
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
  Child learner(TRAIN_IMPALA, {"--config", kImpalaCartPole, "--role", "learner", "--actors", "0", "--bind", endpoint,
                               "--total-steps", "400000", "--run-dir", dir.string(), "--set", "runtime.min_actors=2",
                               "--set", "runtime.inference=host"});
  ASSERT_TRUE(learner.wait_for("learner listening", 60)) << learner.output();
  Child agent(TRAIN_IMPALA, {"--role", "actor", "--actors", "2", "--learner", endpoint});
  ASSERT_EQ(learner.wait(300), 0) << learner.output() << agent.output();
  EXPECT_EQ(agent.wait(60), 0) << agent.output();
  EXPECT_THAT(agent.output(), HasSubstr("an inference process serves the policy to this host's 2 actors"));
  EXPECT_THAT(agent.output(), HasSubstr("inference server: serving 2 actor slots"));
  EXPECT_THAT(agent.output(), HasSubstr("collecting through the host's inference server"));
  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["final_eval_mean_return"].get<double>(), 475.0) << learner.output();
}

// runtime.inference learner for actors on another host (here: actors that
// join over TCP without a board, one of them rl_actor): each step goes to
// the learner's inference socket, which keeps the LSTM's state. MemoryCue's
// cue lies up to two unrolls back: only a state carried across unrolls
// answers it (a memoryless policy earns 0.5).
TEST_F(InferenceProcessTest, RemoteActorsTrainAnLstmWithTheLearnersInferenceOverTheWire) {
  const fs::path dir = root_ / "seed";
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
  Child learner(TRAIN_IMPALA, {"--role", "learner", "--actors", "0", "--bind", endpoint, "--env", "MemoryCue-v0",
                               "--set", "run.env_options=length=12,min_length=2", "--seed", "1", "--total-steps",
                               "300000", "--envs-per-actor", "8", "--unroll-length", "5", "--set",
                               "policy.hidden_sizes=[32]", "--set", "policy.activation=relu", "--set",
                               "policy.core=lstm", "--set", "policy.lstm_size=32", "--set",
                               "impala.learning_rate=0.001", "--set", "impala.entropy_cost=0.01", "--set",
                               "runtime.inference=learner", "--set", "runtime.min_actors=2", "--set",
                               "run.eval_episodes=40", "--run-dir", dir.string()});
  ASSERT_TRUE(learner.wait_for("learner listening", 60)) << learner.output();
  Child plain(TRAIN_IMPALA, {"--role", "actor", "--learner", endpoint});
  Child lite(RL_ACTOR, {"--learner", endpoint});
  ASSERT_EQ(learner.wait(600), 0) << learner.output() << plain.output() << lite.output();
  for (Child* actor : {&plain, &lite}) {
    EXPECT_EQ(actor->wait(60), 0) << actor->output();
    EXPECT_THAT(actor->output(), HasSubstr("collecting with the learner's inference"));
  }
  const auto metrics = last_metrics(dir / "metrics.csv");
  EXPECT_GT(metrics.at("remote_inference_requests"), 10000);
  EXPECT_EQ(metrics.at("remote_inference_dropped"), 0);
  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["final_eval_mean_return"].get<double>(), 0.9) << learner.output();
}

// SIGKILL to the inference process in the middle of a run: its supervisor
// starts another, which answers the requests the dead one left (the core
// states are in the board), the actors wait meanwhile, and no actor dies,
// so no unroll is lost.
TEST_F(InferenceProcessTest, KillingTheInferenceProcessCostsAPauseAndNoUnroll) {
  const fs::path dir = root_ / "kill";
  Child train(TRAIN_IMPALA, {"--config", kImpalaCartPole, "--actors", "2", "--total-steps", "3000000", "--run-dir",
                             dir.string(), "--set", "runtime.inference=host", "--set", "run.log_every_seconds=0.1",
                             "--set", "run.eval_episodes=5"});
  ASSERT_TRUE(train.wait_for("steps/s", 120)) << train.output();
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (column(dir / "metrics.csv", "env_steps").size() < 20 && Clock::now() < deadline) sleep_seconds(0.05);
  const std::vector<pid_t> children = rl::testing::children_of(train.pid());
  std::vector<pid_t> ours;
  for (pid_t pid : processes_with("--serve-inference")) {
    if (std::find(children.begin(), children.end(), pid) != children.end()) ours.push_back(pid);
  }
  ASSERT_EQ(ours.size(), 1u) << "one inference process per host";
  const double killed_at_steps = column(dir / "metrics.csv", "env_steps").back();
  ASSERT_EQ(::kill(ours[0], SIGKILL), 0);
  ASSERT_EQ(train.wait(600), 0) << train.output();

  EXPECT_THAT(train.output(), HasSubstr("inference server: "));
  EXPECT_THAT(train.output(), HasSubstr("was killed by signal 9; restarted"));
  const auto metrics = last_metrics(dir / "metrics.csv");
  EXPECT_EQ(metrics.at("inference_restarts"), 1);
  EXPECT_EQ(metrics.at("actor_restarts"), 0) << "an actor died: its unroll in flight was lost";
  EXPECT_EQ(metrics.at("dropped_out_of_order"), 0);
  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["total_env_steps"].get<int64_t>(), 3000000);
  EXPECT_GE(summary["final_eval_mean_return"].get<double>(), 475.0);
  // The pause: the longest gap between progress rows after the kill (printed;
  // its bound is runtime.inference_timeout_seconds, past which actors fail).
  const auto steps = column(dir / "metrics.csv", "env_steps");
  const auto wall = column(dir / "metrics.csv", "wall_seconds");
  double pause = 0;
  for (size_t i = 1; i < steps.size(); ++i) {
    if (steps[i - 1] >= killed_at_steps) pause = std::max(pause, wall[i] - wall[i - 1]);
  }
  std::printf("longest gap between updates after the kill: %.2f s\n", pause);
}

}  // namespace
