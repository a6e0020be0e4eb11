// The training programs with a CUDA learner (ctest label `gpu`), run as a
// user runs them: IMPALA with two actor processes and its learner on the
// GPU solves CartPole, its checkpoint resumes and evaluates on the CPU; a
// learner group of two ranks on two GPUs (NCCL) holds equal parameters;
// the learner's process runs the actors' LSTM policy on its GPU.
// Skipped, and reported as skipped, without a GPU.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "tests/gpu/require_cuda.h"
#include "tests/util/metrics_csv.h"
#include "tests/util/processes.h"
#include "tests/util/run_program.h"
#include "tests/util/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using rl::testing::Child;
using rl::testing::csv_column_text;
using rl::testing::read_json;

nlohmann::json last_json_line(const std::string& text) {
  const size_t start = text.rfind("\n{");
  return nlohmann::json::parse(text.substr(start == std::string::npos ? 0 : start + 1));
}

using GpuTrainingTest = rl::testing::TempDirTest;

// The CPU suite's IMPALA test (distributed_test) with the learner on the
// GPU: same preset, seed and budget, the same threshold.
TEST_F(GpuTrainingTest, ImpalaWithACudaLearnerAndTwoActorProcessesSolvesCartPoleAndResumesOnTheCpu) {
  RL_REQUIRE_CUDA();
  const fs::path dir = root_ / "impala-cuda";
  Child train(TRAIN_IMPALA, {"--config", RL_SOURCE_DIR "/configs/impala/cartpole.yaml", "--seed", "1", "--actors",
                             "2", "--device", rl::testing::gpu_test_device_flag(), "--total-steps", "1000000", "--run-dir", dir.string()});
  ASSERT_EQ(train.wait(600), 0) << train.output();
  EXPECT_THAT(train.output(), HasSubstr("device " + rl::testing::gpu_test_device_flag()));
  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["final_eval_mean_return"].get<double>(), 475.0) << train.output();
  const int64_t updates = summary["updates"].get<int64_t>();

  // The GPU's checkpoint resumes on the CPU and trains on there.
  const auto resumed = rl::testing::run_program(
      TRAIN_IMPALA, "--resume --run-dir " + dir.string() + " --device cpu --actors 0 --total-steps 1020000");
  ASSERT_EQ(resumed.status, 0) << resumed.text;
  EXPECT_THAT(resumed.text, HasSubstr("resuming"));
  EXPECT_THAT(resumed.text, HasSubstr("device cpu"));
  EXPECT_GT(read_json(dir / "summary.json")["updates"].get<int64_t>(), updates);

  // And evaluates there (rl_eval builds its model on the CPU).
  const auto eval = rl::testing::run_program(RL_EVAL, "--checkpoint " + dir.string() + " --episodes 5 --json");
  ASSERT_EQ(eval.status, 0) << eval.text;
  EXPECT_EQ(last_json_line(eval.text)["policy"], "checkpoint");
}

// SEED RL's placement on the GPU: the learner's process runs the policy
// (an LSTM core, runtime.inference_device auto: the learner's device) for
// two actor processes that only step envs. MemoryCue's cue lies up to two
// unrolls back, so the run passes only if the core state the learner keeps
// per env is carried right (a memoryless policy earns 0.5).
TEST_F(GpuTrainingTest, TheLearnersInferenceOnTheGpuCarriesAnLstmAcrossUnrolls) {
  RL_REQUIRE_CUDA();
  const fs::path dir = root_ / "seed-cuda";
  Child train(TRAIN_IMPALA, {"--env", "MemoryCue-v0", "--set", "run.env_options=length=12,min_length=2", "--seed", "1",
                             "--actors", "2", "--total-steps", "300000", "--envs-per-actor", "8", "--unroll-length", "5",
                             "--set", "policy.hidden_sizes=[32]", "--set", "policy.activation=relu", "--set",
                             "policy.core=lstm", "--set", "policy.lstm_size=32", "--set", "impala.learning_rate=0.001",
                             "--set", "impala.entropy_cost=0.01", "--set", "runtime.inference=learner", "--set",
                             "run.eval_episodes=40", "--device", rl::testing::gpu_test_device_flag(), "--run-dir",
                             dir.string()});
  ASSERT_EQ(train.wait(900), 0) << train.output();
  if (rl::testing::gpu_test_device().is_cuda()) {
    EXPECT_THAT(train.output(), HasSubstr("with an lstm core runs on " + rl::testing::gpu_test_device_flag()));
  }
  EXPECT_THAT(train.output(), HasSubstr("collecting through the host's inference server"));
  EXPECT_GE(read_json(dir / "summary.json")["final_eval_mean_return"].get<double>(), 0.9) << train.output();
}

// Two learners on two GPUs average their gradients over NCCL: both hold the
// same parameters after every update (the checksum of each update's
// parameters, side by side in each rank's metrics.csv).
TEST_F(GpuTrainingTest, TwoLearnersOverNcclHoldIdenticalParametersAfterEveryUpdate) {
  RL_REQUIRE_CUDA();
  const bool cuda = rl::testing::gpu_test_device().is_cuda();
  if (cuda && torch::cuda::device_count() < 2) {
    GTEST_SKIP() << "needs 2 GPUs (NCCL runs no two ranks of a group on one GPU); this host has "
                 << torch::cuda::device_count();
  }
  const fs::path dir = root_ / "group-nccl";
  Child train(TRAIN_IMPALA, {"--env", "CartPole-v1", "--learners", "2", "--actors", "1", "--envs-per-actor", "4",
                             "--unroll-length", "32", "--total-steps", "20000", "--device", rl::testing::gpu_test_device_flag(), "--run-dir",
                             dir.string(), "--set", "run.eval_episodes=2"});
  ASSERT_EQ(train.wait(300), 0) << train.output();
  EXPECT_THAT(train.output(), HasSubstr(std::string("learner 1 of a group of 2 (c10d ") + (cuda ? "NCCL" : "Gloo") + ")"));
  const auto rank0 = csv_column_text(dir / "metrics.csv", "param_checksum");
  const auto rank1 = csv_column_text(dir / "rank-1" / "metrics.csv", "param_checksum");
  ASSERT_GT(rank0.size(), 10u);
  ASSERT_EQ(rank0.size(), rank1.size());
  for (size_t i = 0; i < rank0.size(); ++i) EXPECT_EQ(rank0[i], rank1[i]) << "update " << i;
}

}  // namespace
