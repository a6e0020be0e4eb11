// Several hosts on one machine, as network namespaces this test makes
// itself (tests/util/netns.h): a learner on one host, actors on others,
// traffic only over the namespaces' bridge, everything torn down at the
// end. Skipped, with the reason, where namespaces cannot be made (not
// root).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/util/metrics_csv.h"
#include "tests/util/netns.h"
#include "tests/util/processes.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using rl::testing::Child;
using rl::testing::last_metrics;
using rl::testing::NetnsLab;
using rl::testing::read_json;
using Clock = std::chrono::steady_clock;

const std::string kImpalaCartPole = RL_SOURCE_DIR "/configs/impala/cartpole.yaml";

class MultiHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("rl_multihost_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

// Weights that scale: a learner alone on host 1, two hosts of four actor
// processes each (host agents, `--role actor --actors 4`). Each host's relay
// fetches a version for the whole host, so the learner sends at most one
// copy of a version per host; every actor's versions only go forward; and
// IMPALA still solves CartPole.
TEST_F(MultiHostTest, EachHostGetsOneCopyOfAVersionAndVersionsNeverGoBack) {
  NetnsLab lab(3);
  if (!lab.available()) GTEST_SKIP() << lab.why_not();
  const std::string endpoint = "tcp://" + lab.address(1) + ":5555";
  const fs::path dir = root_ / "weights";
  Child& learner = lab.run(1, TRAIN_IMPALA,
                           {"--config", kImpalaCartPole, "--role", "learner", "--actors", "0", "--bind",
                            "tcp://" + lab.address(1) + ":5555", "--total-steps", "1000000", "--run-dir",
                            dir.string(), "--set", "runtime.min_actors=8", "--set", "run.log_every_seconds=1000"});
  ASSERT_TRUE(learner.wait_for("listening on", 60)) << learner.output();
  const uint64_t tx_before = lab.tx_bytes(1), rx_before = lab.rx_bytes(1);
  Child& host2 = lab.run(2, TRAIN_IMPALA, {"--role", "actor", "--learner", endpoint, "--actors", "4"});
  Child& host3 = lab.run(3, TRAIN_IMPALA, {"--role", "actor", "--learner", endpoint, "--actors", "4"});
  ASSERT_EQ(learner.wait(600), 0) << learner.output();
  EXPECT_EQ(host2.wait(60), 0) << host2.output();
  EXPECT_EQ(host3.wait(60), 0) << host3.output();
  const double sent = static_cast<double>(lab.tx_bytes(1) - tx_before);
  const double received = static_cast<double>(lab.rx_bytes(1) - rx_before);

  const auto summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["final_eval_mean_return"].get<double>(), 475.0) << learner.output();
  const auto m = last_metrics(dir / "metrics.csv");
  const double versions = m.at("weights_versions_published"), copies = m.at("weights_copies_sent");
  const double steps = summary["total_env_steps"].get<double>();
  std::printf("versions %.0f, copies sent %.0f (%.2f per version); learner host sent %.1f and received %.1f bytes "
              "per env step\n",
              versions, copies, copies / versions, sent / steps, received / steps);
  EXPECT_LE(copies, 2 * versions) << "more than one copy of a version per host";
  EXPECT_GT(copies, 0);
  EXPECT_EQ(m.at("policy_version_regressions"), 0);
  EXPECT_EQ(m.at("live_actors"), 8);
}

}  // namespace
