// rl_actor, the actor program without libtorch: what it links, that the
// training programs run it for their local actors when it can run the
// policy (an MLP; minatar_cnn, as in the MinAtar presets), that it trains as
// a remote host agent, and that a run it cannot serve (the IMPALA CNN) is
// refused with a line both sides print.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/util/processes.h"
#include "tests/util/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using rl::testing::Child;
using rl::testing::processes_with;
using rl::testing::read_json;

using RlActorTest = rl::testing::TempDirTest;

std::string shell(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

TEST_F(RlActorTest, TheActorProgramLinksNoLibtorch) {
  const std::string libraries = shell(std::string("ldd ") + RL_ACTOR);
  EXPECT_THAT(libraries, HasSubstr("librl_actors_lite"));
  EXPECT_THAT(libraries, HasSubstr("libzmq"));
  EXPECT_THAT(libraries, ::testing::Not(HasSubstr("torch"))) << libraries;
  EXPECT_THAT(libraries, ::testing::Not(HasSubstr("libc10"))) << libraries;
}

TEST_F(RlActorTest, LocalActorsOfAnMlpRunAreTheActorProgram) {
  const fs::path dir = root_ / "local";
  Child train(TRAIN_PPO, {"--env", "CartPole-v1", "--actors", "2", "--total-steps", "100000000", "--run-dir",
                          dir.string(), "--set", "run.log_every_seconds=0.2"});
  ASSERT_TRUE(train.wait_for("steps/s", 60)) << train.output();
  EXPECT_EQ(processes_with(std::string(RL_ACTOR) + " --role actor").size(), 2u);
  ::kill(train.pid(), SIGTERM);
  EXPECT_EQ(train.wait(60), 0) << train.output();
  EXPECT_TRUE(processes_with("--run-id local").empty()) << "an actor outlived the learner";
}

TEST_F(RlActorTest, LocalActorsOfAMinAtarCnnRunAreTheActorProgram) {
  const fs::path dir = root_ / "minatar";
  Child train(TRAIN_IMPALA, {"--env", "MinAtar/Breakout-v0", "--actors", "2", "--total-steps", "100000000",
                             "--run-dir", dir.string(), "--set", "run.log_every_seconds=0.2"});
  ASSERT_TRUE(train.wait_for("steps/s", 60)) << train.output();
  EXPECT_EQ(processes_with(std::string(RL_ACTOR) + " --role actor").size(), 2u);
  ::kill(train.pid(), SIGTERM);
  EXPECT_EQ(train.wait(60), 0) << train.output();
  EXPECT_EQ(read_json(dir / "summary.json")["actors"].get<int>(), 2);
}

TEST_F(RlActorTest, RemoteActorProgramsOfAHostAgentTrainCartPole) {
  const fs::path dir = root_ / "remote";
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(rl::testing::free_port());
  Child learner(TRAIN_PPO, {"--config", RL_SOURCE_DIR "/configs/ppo/cartpole.yaml", "--role", "learner", "--actors",
                            "0", "--bind", endpoint, "--set", "runtime.min_actors=2", "--envs-per-actor", "4",
                            "--unroll-length", "32", "--total-steps", "150000", "--run-dir", dir.string()});
  ASSERT_TRUE(learner.wait_for("listening on", 60)) << learner.output();
  Child agent(RL_ACTOR, {"--learner", endpoint, "--actors", "2"});
  ASSERT_EQ(learner.wait(300), 0) << learner.output();
  EXPECT_EQ(agent.wait(60), 0) << agent.output();
  EXPECT_GE(read_json(dir / "summary.json")["final_eval_mean_return"].get<double>(), 475.0) << learner.output();
}

// A host agent of the training program (`train_ppo --role actor --actors 2`)
// starts rl_actor for a policy it can run.
TEST_F(RlActorTest, AHostAgentOfTheTrainingProgramStartsTheActorProgram) {
  const fs::path dir = root_ / "agent";
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(rl::testing::free_port());
  Child learner(TRAIN_PPO, {"--env", "CartPole-v1", "--role", "learner", "--actors", "0", "--bind", endpoint,
                            "--set", "runtime.min_actors=2", "--total-steps", "100000000", "--run-dir", dir.string(),
                            "--set", "run.log_every_seconds=0.2"});
  ASSERT_TRUE(learner.wait_for("listening on", 60)) << learner.output();
  Child agent(TRAIN_PPO, {"--role", "actor", "--learner", endpoint, "--actors", "2"});
  ASSERT_TRUE(learner.wait_for("steps/s", 60)) << learner.output();
  EXPECT_EQ(processes_with(std::string(RL_ACTOR) + " --role actor").size(), 2u);
  EXPECT_TRUE(agent.wait_for("2 actors (rl_actor) started", 10)) << agent.output();
  ::kill(learner.pid(), SIGTERM);
  EXPECT_EQ(learner.wait(60), 0) << learner.output();
  EXPECT_EQ(agent.wait(60), 0) << agent.output();
}

TEST_F(RlActorTest, APluginModelsRunRefusesTheActorProgramWithOneLineOnBothSides) {
  const fs::path dir = root_ / "plugin-model";
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(rl::testing::free_port());
  Child learner(TRAIN_IMPALA, {"--env", "CartPole-v1", "--role", "learner", "--actors", "0", "--bind", endpoint,
                               "--total-steps", "100000", "--run-dir", dir.string(), "--model-plugin",
                               LAYER_NORM_MLP_PLUGIN, "--set", "policy.encoder=layer_norm_mlp"});
  ASSERT_TRUE(learner.wait_for("listening on", 60)) << learner.output();
  Child actor(RL_ACTOR, {"--learner", endpoint});
  EXPECT_EQ(actor.wait(60), 5) << actor.output();
  EXPECT_THAT(actor.output(), HasSubstr("this actor program has no libtorch"));
  EXPECT_THAT(actor.output(), HasSubstr("policy.encoder layer_norm_mlp"));
  EXPECT_TRUE(learner.wait_for("this actor program has no libtorch", 30)) << learner.output();
  ::kill(learner.pid(), SIGTERM);
  EXPECT_EQ(learner.wait(60), 0) << learner.output();
}

}  // namespace
