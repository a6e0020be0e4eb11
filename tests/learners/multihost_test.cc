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
#include <vector>

#include "tests/util/metrics_csv.h"
#include "tests/util/netns.h"
#include "tests/util/processes.h"
#include "tests/util/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using rl::testing::Child;
using rl::testing::last_metrics;
using rl::testing::metric_now;
using rl::testing::NetnsLab;
using rl::testing::read_json;
using Clock = std::chrono::steady_clock;

const std::string kImpalaCartPole = RL_SOURCE_DIR "/configs/impala/cartpole.yaml";

using MultiHostTest = rl::testing::TempDirTest;

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

// The torchrun variables of rank `rank` of a group of `world` whose rank 0
// is on `master` (an address of the lab).
std::vector<std::string> group_env(int rank, int world, const std::string& master, int port) {
  return {"RANK=" + std::to_string(rank), "WORLD_SIZE=" + std::to_string(world), "MASTER_ADDR=" + master,
          "MASTER_PORT=" + std::to_string(port)};
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A learner group of two ranks on two hosts, and two actor hosts that know
// only rank 0's endpoint: rank 0 sends some actors on to rank 1, both ranks
// train on their own actors' data, hold the same parameters after every
// update, and solve CartPole. Rank 1 runs in a run directory of its own
// (no shared file system). IMPALA and PPO, 1M steps each. The group's PPO
// batch is 4 actors' unrolls (1,024 steps): 300k steps (about 290 updates)
// ended once at 337 in ten stress runs, and 500k (about 490 updates) once
// at 409 in a CI run, so PPO trains 1M (about 980 updates, with the
// learning rate annealed over all of them).
TEST_F(MultiHostTest, ALearnerGroupAcrossHostsServesActorsThroughRankZero) {
  for (const std::string program : {TRAIN_IMPALA, TRAIN_PPO}) {
    NetnsLab lab(4);
    if (!lab.available()) GTEST_SKIP() << lab.why_not();
    const bool impala = program == TRAIN_IMPALA;
    const fs::path dir0 = root_ / (impala ? "group-impala" : "group-ppo"), dir1 = root_ / (impala ? "r1-impala" : "r1-ppo");
    const std::vector<std::string> common = {
        "--env", "CartPole-v1", "--role", "learner", "--actors", "0", "--total-steps", "1000000",
        "--set", "runtime.min_actors=1", "--set", "run.log_every_seconds=1000", "--set", "run.eval_episodes=10"};
    std::vector<Child*> ranks;
    for (int rank = 0; rank < 2; ++rank) {
      std::vector<std::string> args = common;
      args.insert(args.end(), {"--bind", "tcp://" + lab.address(rank + 1) + ":5555", "--run-dir",
                               (rank == 0 ? dir0 : dir1).string()});
      ranks.push_back(&lab.run(rank + 1, program, args, group_env(rank, 2, lab.address(1), 29500)));
    }
    ASSERT_TRUE(ranks[0]->wait_for("rank 0 serves actors", 60)) << ranks[0]->output();
    const std::string endpoint = "tcp://" + lab.address(1) + ":5555";
    Child& host3 = lab.run(3, program, {"--role", "actor", "--learner", endpoint, "--actors", "2"});
    Child& host4 = lab.run(4, program, {"--role", "actor", "--learner", endpoint, "--actors", "2"});
    ASSERT_EQ(ranks[0]->wait(600), 0) << ranks[0]->output();
    ASSERT_EQ(ranks[1]->wait(60), 0) << ranks[1]->output();
    EXPECT_EQ(host3.wait(60), 0) << host3.output();
    EXPECT_EQ(host4.wait(60), 0) << host4.output();
    EXPECT_THAT(ranks[1]->output(), HasSubstr("learner 1 of a group of 2"));
    const auto summary = read_json(dir0 / "summary.json");
    EXPECT_GE(summary["final_eval_mean_return"].get<double>(), 475.0) << program << ranks[0]->output();
    const auto rank0 = rl::testing::csv_column_text(dir0 / "metrics.csv", "param_checksum");
    const auto rank1 = rl::testing::csv_column_text(dir1 / "rank-1" / "metrics.csv", "param_checksum");
    ASSERT_GT(rank0.size(), 10u);
    ASSERT_EQ(rank0.size(), rank1.size());
    for (size_t i = 0; i < rank0.size(); ++i) ASSERT_EQ(rank0[i], rank1[i]) << program << " update " << i;
    EXPECT_GE(last_metrics(dir0 / "metrics.csv").at("actors_assigned_away"), 1) << program;
    EXPECT_GE(last_metrics(dir1 / "rank-1" / "metrics.csv").at("live_actors"), 1) << program;
    EXPECT_FALSE(fs::exists(dir1 / "checkpoints" / "latest")) << "only rank 0 writes checkpoints";
  }
}

// --resume without a shared file system: rank 1 starts in an empty run
// directory of its own and receives rank 0's checkpoint through the group.
// Then --resume-if-any (a scheduler's restart) on every rank: rank 1 sees no
// checkpoint where it runs, and follows rank 0's decision to resume.
TEST_F(MultiHostTest, AGroupResumesFromRankZerosCheckpointWithoutASharedDirectory) {
  NetnsLab lab(3);
  if (!lab.available()) GTEST_SKIP() << lab.why_not();
  const fs::path dir0 = root_ / "resume-0";
  auto start = [&](const fs::path& dir1, int64_t steps, const std::string& resume) {
    std::vector<Child*> ranks;
    for (int rank = 0; rank < 2; ++rank) {
      std::vector<std::string> args = {"--config", kImpalaCartPole, "--role", "learner", "--actors", "0",
                                       "--bind", "tcp://" + lab.address(rank + 1) + ":5555", "--total-steps",
                                       std::to_string(steps), "--run-dir", (rank == 0 ? dir0 : dir1).string(),
                                       "--set", "run.checkpoint_every=50000", "--set", "run.eval_episodes=2",
                                       "--set", "run.log_every_seconds=1000"};
      if (!resume.empty()) args.push_back(resume);
      ranks.push_back(&lab.run(rank + 1, TRAIN_IMPALA, args, group_env(rank, 2, lab.address(1), 29500)));
    }
    return ranks;
  };
  const std::string endpoint = "tcp://" + lab.address(1) + ":5555";
  auto first = start(root_ / "resume-1a", 200000, "");
  ASSERT_TRUE(first[0]->wait_for("rank 0 serves actors", 60)) << first[0]->output();
  Child& host = lab.run(3, TRAIN_IMPALA, {"--role", "actor", "--learner", endpoint, "--actors", "2"});
  ASSERT_EQ(first[0]->wait(300), 0) << first[0]->output();
  ASSERT_EQ(first[1]->wait(60), 0) << first[1]->output();
  const int64_t saved = read_json(dir0 / "checkpoints" / "latest" / "state.json")["env_steps"].get<int64_t>();
  ASSERT_GE(saved, 200000);

  EXPECT_EQ(host.wait(60), 0) << host.output();  // stopped with the first run

  // Rank 1 in a fresh directory: nothing there to resume from but what rank 0 sends.
  auto second = start(root_ / "resume-1b", saved + 100000, "--resume");
  ASSERT_TRUE(second[0]->wait_for("rank 0 serves actors", 60)) << second[0]->output();
  Child& host2 = lab.run(3, TRAIN_IMPALA, {"--role", "actor", "--learner", endpoint, "--actors", "2"});
  ASSERT_EQ(second[0]->wait(300), 0) << second[0]->output();
  ASSERT_EQ(second[1]->wait(60), 0) << second[1]->output();
  EXPECT_THAT(second[1]->output(), HasSubstr("at " + std::to_string(saved) + " env steps"));
  const auto rank0 = rl::testing::csv_column_text(dir0 / "metrics.csv", "param_checksum");
  const auto rank1 = rl::testing::csv_column_text(root_ / "resume-1b" / "rank-1" / "metrics.csv", "param_checksum");
  ASSERT_FALSE(rank1.empty());
  // The resumed rows of rank 0 are the last ones of its metrics.csv.
  ASSERT_GE(rank0.size(), rank1.size());
  for (size_t i = 0; i < rank1.size(); ++i) EXPECT_EQ(rank0[rank0.size() - rank1.size() + i], rank1[i]) << i;
  EXPECT_EQ(host2.wait(60), 0) << host2.output();

  const int64_t saved2 = read_json(dir0 / "checkpoints" / "latest" / "state.json")["env_steps"].get<int64_t>();
  auto third = start(root_ / "resume-1c", saved2 + 50000, "--resume-if-any");
  ASSERT_TRUE(third[0]->wait_for("rank 0 serves actors", 60)) << third[0]->output();
  Child& host3 = lab.run(3, TRAIN_IMPALA, {"--role", "actor", "--learner", endpoint, "--actors", "2"});
  ASSERT_EQ(third[0]->wait(300), 0) << third[0]->output();
  ASSERT_EQ(third[1]->wait(60), 0) << third[1]->output();
  EXPECT_THAT(third[1]->output(), HasSubstr("no checkpoint there, starting the run"));  // its own view...
  EXPECT_THAT(third[1]->output(), HasSubstr("at " + std::to_string(saved2) + " env steps"));  // ...overruled
  EXPECT_GE(read_json(dir0 / "summary.json")["total_env_steps"].get<int64_t>(), saved2 + 50000);
  EXPECT_EQ(host3.wait(60), 0) << host3.output();
}

// An actor host cut off for 20 s (longer than the actor timeout) comes back:
// its actors were declared dead meanwhile, rejoin (--reconnect-seconds), and
// the run finishes.
TEST_F(MultiHostTest, AnActorHostCutOffFor20SecondsRejoinsAndTheRunFinishes) {
  NetnsLab lab(3);
  if (!lab.available()) GTEST_SKIP() << lab.why_not();
  const fs::path dir = root_ / "partition";
  const std::string endpoint = "tcp://" + lab.address(1) + ":5555";
  Child& learner = lab.run(1, TRAIN_IMPALA,
                           {"--config", kImpalaCartPole, "--role", "learner", "--actors", "0", "--bind", endpoint,
                            "--total-steps", "100000000", "--run-dir", dir.string(), "--set",
                            "runtime.actor_timeout_seconds=5", "--set", "run.log_every_seconds=0.5", "--set",
                            "run.eval_episodes=2"});
  ASSERT_TRUE(learner.wait_for("listening on", 60)) << learner.output();
  Child& steady = lab.run(2, TRAIN_IMPALA, {"--role", "actor", "--learner", endpoint, "--actors", "1"});
  Child& cut = lab.run(3, TRAIN_IMPALA, {"--role", "actor", "--learner", endpoint, "--actors", "2",
                                         "--reconnect-seconds", "120"});
  ASSERT_TRUE(learner.wait_for("steps/s", 60)) << learner.output();
  const auto wait_for_live = [&](double live, double seconds) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < deadline) {
      if (metric_now(dir / "metrics.csv", "live_actors") == live) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_TRUE(wait_for_live(3, 60)) << learner.output();
  ASSERT_TRUE(lab.link_down(3));
  ASSERT_TRUE(learner.wait_for("declared dead", 30)) << learner.output();
  EXPECT_TRUE(wait_for_live(1, 30));  // training goes on with the host that is left
  // The cut host's actors must have given the learner up (their own
  // timeout) before the link comes back: they then rejoin.
  ASSERT_TRUE(cut.wait_for("trying to rejoin", 60)) << cut.output();
  ASSERT_TRUE(lab.link_up(3));
  EXPECT_TRUE(wait_for_live(3, 90)) << "the cut host's actors did not rejoin\n" << learner.output();
  ::kill(learner.pid(), SIGTERM);
  ASSERT_EQ(learner.wait(120), 0) << learner.output();
  EXPECT_EQ(steady.wait(60), 0) << steady.output();
  EXPECT_EQ(cut.wait(60), 0) << cut.output();
  EXPECT_TRUE(read_json(dir / "summary.json")["interrupted"].get<bool>());
}

// A learner killed 20+ updates past its checkpoint and resumed behind the
// versions its actors saw, across hosts: a host agent (its relay and board)
// on one host and a plain actor on another both take the resumed learner's
// weights (they carry its epoch) and the run trains on to its new budget.
// PPO, whose actors wait for a version newer than their last unroll's.
TEST_F(MultiHostTest, AResumedLearnerBehindItsActorsVersionsBringsBackEveryHost) {
  NetnsLab lab(3);
  if (!lab.available()) GTEST_SKIP() << lab.why_not();
  const fs::path dir = root_ / "resume-behind";
  const std::string endpoint = "tcp://" + lab.address(1) + ":5555";
  std::vector<std::string> learner_args{
      "--config", RL_SOURCE_DIR "/configs/ppo/cartpole.yaml", "--role", "learner", "--actors", "0", "--bind",
      endpoint, "--total-steps", "100000000", "--run-dir", dir.string(), "--set", "runtime.min_actors=3", "--set",
      "runtime.actor_timeout_seconds=3", "--set", "run.checkpoint_every=20000", "--set", "run.eval_episodes=0",
      "--set", "run.log_every_seconds=0.2", "--set", "runtime.stall_seconds=60"};
  Child& learner = lab.run(1, TRAIN_PPO, learner_args);
  ASSERT_TRUE(learner.wait_for("listening on", 60)) << learner.output();
  Child& agent = lab.run(2, TRAIN_PPO, {"--role", "actor", "--actors", "2", "--learner", endpoint,
                                        "--reconnect-seconds", "60"});
  Child& actor = lab.run(3, TRAIN_PPO, {"--role", "actor", "--learner", endpoint, "--reconnect-seconds", "60"});
  const fs::path latest = dir / "checkpoints" / "latest";
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (!fs::exists(latest / "learner.json") && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(fs::exists(latest / "learner.json")) << learner.output();
  const int64_t saved_version = read_json(fs::canonical(latest) / "learner.json")["version"].get<int64_t>();
  double updates = 0;
  while (Clock::now() < deadline && updates <= saved_version + 20) {
    updates = metric_now(dir / "metrics.csv", "updates").value_or(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(learner.pid(), SIGKILL);
  learner.wait(30);
  ASSERT_GT(updates, saved_version + 20) << "the learner did not get far enough past its checkpoint";
  const int64_t saved_steps = read_json(fs::canonical(latest) / "state.json")["env_steps"];

  for (size_t i = 0; i + 1 < learner_args.size(); ++i) {
    if (learner_args[i] == "--total-steps") learner_args[i + 1] = std::to_string(saved_steps + 60000);
  }
  learner_args.push_back("--resume");
  Child& resumed = lab.run(1, TRAIN_PPO, learner_args);
  ASSERT_EQ(resumed.wait(180), 0) << resumed.output();
  EXPECT_GE(read_json(dir / "summary.json")["total_env_steps"].get<int64_t>(), saved_steps + 60000);
  EXPECT_EQ(agent.wait(60), 0) << agent.output();  // stopped by the resumed learner
  EXPECT_EQ(actor.wait(60), 0) << actor.output();
  EXPECT_THAT(agent.output(), HasSubstr("new learner incarnation"));
  EXPECT_THAT(actor.output(), HasSubstr("trying to rejoin"));
}

// Rank 1 is SIGKILLed: rank 0 fails within the collective timeout with one
// clear line (no C++ stack trace), and leaves nothing running on its host.
TEST_F(MultiHostTest, LosingARankFailsTheGroupWithAClearMessage) {
  NetnsLab lab(3);
  if (!lab.available()) GTEST_SKIP() << lab.why_not();
  const fs::path dir = root_ / "lost-rank";
  std::vector<Child*> ranks;
  for (int rank = 0; rank < 2; ++rank) {
    ranks.push_back(&lab.run(rank + 1, TRAIN_IMPALA,
                             {"--config", kImpalaCartPole, "--role", "learner", "--actors", "1", "--bind",
                              "tcp://" + lab.address(rank + 1) + ":5555", "--total-steps", "100000000", "--run-dir",
                              dir.string(), "--set", "runtime.actor_timeout_seconds=2", "--set",
                              "runtime.heartbeat_seconds=0.5", "--set", "run.log_every_seconds=0.5"},
                             group_env(rank, 2, lab.address(1), 29500)));
  }
  ASSERT_TRUE(ranks[0]->wait_for("steps/s", 60)) << ranks[0]->output();
  ::kill(ranks[1]->pid(), SIGKILL);
  const auto killed = Clock::now();
  EXPECT_NE(ranks[0]->wait(60), 0) << ranks[0]->output();
  const double seconds = std::chrono::duration<double>(Clock::now() - killed).count();
  std::printf("rank 0 stopped %.1f s after rank 1 was killed\n", seconds);
  EXPECT_LT(seconds, 4 * 2 + 10);  // the collective timeout (4 x actor timeout), and the shutdown
  EXPECT_THAT(ranks[0]->output(), HasSubstr("learner group: rank 0 of 2"));
  EXPECT_THAT(ranks[0]->output(), ::testing::Not(HasSubstr("Exception raised from")));  // c10's stack traces
  EXPECT_THAT(ranks[0]->output(), ::testing::Not(HasSubstr("frame #")));
  // Nothing of rank 0's is left on its host.
  const std::string pids = [&] {
    FILE* pipe = ::popen(("ip netns pids " + lab.ns(1)).c_str(), "r");
    std::string out;
    char buffer[256];
    while (pipe && std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    if (pipe) ::pclose(pipe);
    return out;
  }();
  EXPECT_EQ(pids, "") << "processes left on rank 0's host";
}

// CURVE between hosts: keys from rl_keygen; the authorized actor host trains,
// one with a key the learner does not know is refused on every socket.
TEST_F(MultiHostTest, CurveAcrossHostsLetsOnlyAuthorizedActorsIn) {
  NetnsLab lab(3);
  if (!lab.available()) GTEST_SKIP() << lab.why_not();
  const fs::path keys = root_ / "keys", dir = root_ / "curve";
  for (const char* name : {"learner", "actor", "stranger"}) {
    Child keygen(RL_KEYGEN, {"--out", keys.string(), "--name", name});
    ASSERT_EQ(keygen.wait(30), 0) << keygen.output();
  }
  fs::copy_file(keys / "actor.pub", keys / "authorized");
  const std::string endpoint = "tcp://" + lab.address(1) + ":5555";
  Child& learner = lab.run(1, TRAIN_IMPALA,
                           {"--config", kImpalaCartPole, "--role", "learner", "--actors", "0", "--bind", endpoint,
                            "--total-steps", "300000", "--run-dir", dir.string(), "--set",
                            "runtime.curve_secret_key=" + (keys / "learner.key").string(), "--set",
                            "runtime.curve_authorized_keys=" + (keys / "authorized").string(), "--set",
                            "run.eval_episodes=2", "--set", "run.log_every_seconds=1000"});
  ASSERT_TRUE(learner.wait_for("listening on", 60)) << learner.output();
  Child& stranger = lab.run(3, TRAIN_IMPALA,
                            {"--role", "actor", "--learner", endpoint, "--curve-key", (keys / "stranger.key").string(),
                             "--curve-server-key", (keys / "learner.pub").string()});
  Child& actor = lab.run(2, TRAIN_IMPALA,
                         {"--role", "actor", "--learner", endpoint, "--actors", "2", "--curve-key",
                          (keys / "actor.key").string(), "--curve-server-key", (keys / "learner.pub").string()});
  ASSERT_EQ(learner.wait(300), 0) << learner.output();
  EXPECT_EQ(actor.wait(60), 0) << actor.output();
  ::kill(stranger.pid(), SIGTERM);  // still waiting for a config that never comes
  stranger.wait(30);
  EXPECT_THAT(stranger.output(), ::testing::Not(HasSubstr("assigned"))) << stranger.output();
  const auto m = last_metrics(dir / "metrics.csv");
  EXPECT_GE(m.at("curve_refusals"), 1);
  EXPECT_EQ(count_of(learner.output(), "joined (pid") - count_of(learner.output(), "relay joined (pid"), 2u)
      << learner.output();
}

}  // namespace
