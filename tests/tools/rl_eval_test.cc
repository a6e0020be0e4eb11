// Runs the real rl_eval program as a user would and checks what it prints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <unistd.h>

#include "tests/util/run_program.h"

namespace {

using ::testing::HasSubstr;

using Output = rl::testing::ProgramOutput;

Output run(const std::string& args) { return rl::testing::run_program(RL_EVAL_PATH, args); }

const char* const kBuiltinEnvs[] = {
    "CartPole-v1", "Pendulum-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1",
    "HalfCheetah-v5", "Hopper-v5", "Walker2d-v5", "Swimmer-v5", "Ant-v5", "Humanoid-v5",
    "InvertedPendulum-v5", "InvertedDoublePendulum-v5", "Reacher-v5", "LunarLander-v3",
    "LunarLanderContinuous-v3", "BipedalWalker-v3", "BipedalWalkerHardcore-v3"};

TEST(RlEvalTest, ListsEveryBuiltinEnvOneALine) {
  const Output out = run("--list-envs");
  ASSERT_EQ(out.status, 0) << out.text;
  for (const char* id : kBuiltinEnvs) EXPECT_THAT(out.text, HasSubstr(std::string(id) + "\n"));
}

// A random policy runs an episode of every built-in env through the program.
TEST(RlEvalTest, RandomPolicyRunsOnEveryBuiltinEnv) {
  for (const char* id : kBuiltinEnvs) {
    const Output out = run(std::string("--env ") + id + " --policy random --episodes 1 --seed 2 --json");
    ASSERT_EQ(out.status, 0) << id << ": " << out.text;
    const auto json = nlohmann::json::parse(out.text);
    EXPECT_EQ(json["env"], id);
    EXPECT_GE(json["mean_length"].get<double>(), 1.0) << id;
  }
}

TEST(RlEvalTest, RandomPolicyJsonHasTheDocumentedKeys) {
  const Output out = run("--env CartPole-v1 --policy random --episodes 30 --seed 3 --json");
  ASSERT_EQ(out.status, 0) << out.text;
  const auto json = nlohmann::json::parse(out.text);
  EXPECT_EQ(json["env"], "CartPole-v1");
  EXPECT_EQ(json["episodes"], 30);
  for (const char* key : {"mean_return", "std_return", "min_return", "max_return", "mean_length"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  // A random policy keeps the pole up for about 22 steps (+1 per step).
  EXPECT_GT(json["mean_return"].get<double>(), 10.0);
  EXPECT_LT(json["mean_return"].get<double>(), 40.0);
  EXPECT_EQ(json["mean_return"].get<double>(), json["mean_length"].get<double>());
  EXPECT_LE(json["min_return"].get<double>(), json["max_return"].get<double>());

  // The same seed gives the same numbers.
  EXPECT_EQ(run("--env CartPole-v1 --policy random --episodes 30 --seed 3 --json").text, out.text);
}

TEST(RlEvalTest, TextOutputHasMeanStdMinMax) {
  const Output out = run("--env Pendulum-v1 --episodes 3");
  ASSERT_EQ(out.status, 0) << out.text;
  EXPECT_THAT(out.text, HasSubstr("return: mean"));
  EXPECT_THAT(out.text, HasSubstr("length: mean 200.0"));
}

TEST(RlEvalTest, UnknownEnvIsAClearErrorAndNonZeroExit) {
  const Output out = run("--env CartPole-v9");
  EXPECT_NE(out.status, 0);
  EXPECT_THAT(out.text, HasSubstr("unknown env 'CartPole-v9'"));
  EXPECT_THAT(out.text, HasSubstr("CartPole-v1"));
}

TEST(RlEvalTest, BadArgumentsAreRejected) {
  EXPECT_NE(run("--env CartPole-v1 --episodes 0").status, 0);
  EXPECT_NE(run("--env CartPole-v1 --policy clever").status, 0);
  EXPECT_NE(run("--env-plugin /nonexistent.so --list-envs").status, 0);
  const Output option = run("--env CartPole-v1 --env-option gravity=1");
  EXPECT_NE(option.status, 0);
  EXPECT_THAT(option.text, HasSubstr("no option 'gravity'"));
}

// --record writes one GIF per episode and still prints the statistics.
TEST(RlEvalTest, RecordWritesOneGifPerEpisode) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("rl_eval_record_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const Output out = run("--env LunarLander-v3 --episodes 2 --seed 4 --record " + dir.string() +
                         " --record-size 160x120");
  ASSERT_EQ(out.status, 0) << out.text;
  EXPECT_THAT(out.text, HasSubstr("LunarLander-v3-episode-000.gif"));
  EXPECT_THAT(out.text, HasSubstr("return: mean"));
  EXPECT_TRUE(fs::is_regular_file(dir / "LunarLander-v3-episode-000.gif"));
  EXPECT_TRUE(fs::is_regular_file(dir / "LunarLander-v3-episode-001.gif"));
  EXPECT_GT(fs::file_size(dir / "LunarLander-v3-episode-001.gif"), 1000u);

  const Output bad = run("--env CartPole-v1 --record " + dir.string() + " --record-size 600by400");
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.text, HasSubstr("frame size '600by400'"));
  fs::remove_all(dir);
}

}  // namespace
