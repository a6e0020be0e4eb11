// ZeroMQ CURVE between a real hub and publisher and actor-side sockets on loopback:
// an actor with an authorized key joins, submits and reads weights; one
// with another key, or none, gets nothing through any of the three sockets.
// Then a whole CURVE run: train_impala with keys from rl_keygen.
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "envs/builtin.h"
#include "learners/hub.h"
#include "learners/publisher.h"
#include "rl/env/vector_env.h"
#include "rl/wire/curve.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"
#include "tests/util/eventually.h"
#include "tests/util/metrics_csv.h"
#include "tests/util/processes.h"

namespace rl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using wire::CurveKeyPair;
using wire::Socket;
using wire::SocketType;

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("rl_curve_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

TEST(CurveKeysTest, FilesRoundTripWithASecretOnlyTheOwnerReads) {
  const fs::path dir = temp_dir("files");
  const CurveKeyPair keys = wire::generate_curve_keypair();
  EXPECT_TRUE(wire::is_curve_key(keys.public_key));
  EXPECT_TRUE(wire::is_curve_key(keys.secret_key));
  EXPECT_NE(keys.public_key, keys.secret_key);
  wire::write_curve_keys(dir, "learner", keys);
  struct stat info {};
  ASSERT_EQ(::stat((dir / "learner.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const CurveKeyPair back = wire::read_curve_key_file(dir / "learner.key", true);
  EXPECT_EQ(back.public_key, keys.public_key);
  EXPECT_EQ(back.secret_key, keys.secret_key);
  EXPECT_EQ(wire::read_curve_key_file(dir / "learner.pub", false).secret_key, "");
  EXPECT_THROW(wire::write_curve_keys(dir, "learner", keys), std::runtime_error);  // no overwrite
  try {
    wire::read_curve_key_file(dir / "learner.pub", true);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("has no secret key"));
  }
  std::ofstream(dir / "bad.key") << "public not-a-key\n";
  try {
    wire::read_curve_key_file(dir / "bad.key", false);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("bad.key line 1"));
  }
  std::ofstream(dir / "authorized") << "# actors\npublic " << keys.public_key << "\n";
  EXPECT_EQ(wire::read_authorized_keys(dir / "authorized"), std::set<std::string>{keys.public_key});
  std::ofstream(dir / "empty") << "# nobody\n";
  EXPECT_THROW(wire::read_authorized_keys(dir / "empty"), std::runtime_error);
  fs::remove_all(dir);
}

TEST(CurveKeysTest, LoopbackHosts) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "::1"}) EXPECT_TRUE(wire::is_loopback_host(host));
  for (const char* host : {"*", "0.0.0.0", "10.0.0.5", "learner.example.org"}) {
    EXPECT_FALSE(wire::is_loopback_host(host)) << host;
  }
}

// The hub and publisher under test, on their own threads, as in a learner.
class CurveHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EnvRegistry registry;
    envs::register_builtin_envs(registry);
    VectorEnv env(registry, "CartPole-v1", {});
    server_ = wire::generate_curve_keypair();
    authorized_ = wire::generate_curve_keypair();
    authenticator_.emplace(std::set<std::string>{authorized_.public_key});
    weights_.version = 1;
    weights_.parameters.push_back({"w", {2}, {0.5f, -0.5f}});
    publisher_.emplace(PublisherConfig{.run_id = "curve", .board = false, .curve_server = server_}, weights_);
    HubConfig config{.run_id = "curve",
                     .algorithm = "impala",
                     .config_yaml = "",
                     .bind = "tcp://127.0.0.1:0",
                     .weights_port = publisher_->port(),
                     .spec = env.spec(),
                     .curve_server = server_};
    hub_.emplace(config, deliveries_);
    hub_->start();
    publisher_->start();
  }
  void TearDown() override {
    hub_.reset();
    publisher_.reset();
  }

  struct Attempt {
    bool got_config = false;
    bool got_weights = false;
    bool unroll_arrived = false;
  };

  // An actor's three sockets with `keys` (none: plain TCP): hello on the
  // control socket, a message on the unroll port, a weights request.
  Attempt try_actor(const std::optional<CurveKeyPair>& keys, int64_t unroll_port, int64_t weights_port) {
    Attempt out;
    auto secure = [&](Socket& s) {
      if (keys) s.set_curve_client(server_.public_key, *keys);
    };
    Socket control(SocketType::kDealer);
    secure(control);
    control.connect(hub_->control_endpoint());
    wire::Sender sender{"curve", "actor-7", 0};
    wire::WireMessage hello = sender.start("hello");
    hello.body = {{"actor_id", int64_t{7}}, {"pid", static_cast<int64_t>(::getpid())}};
    control.send(wire::serialize(std::move(hello)), 1000);
    if (auto reply = control.receive(2000)) out.got_config = wire::parse(std::move(*reply)).kind == "config";

    const int64_t drops_before = hub_->drops_total();
    Socket push(SocketType::kPush);
    secure(push);
    push.connect("tcp://127.0.0.1:" + std::to_string(unroll_port));
    wire::WireMessage junk = sender.start("unroll");  // no arrays: dropped as malformed if it arrives
    push.send(wire::serialize(std::move(junk)), 0);
    Socket weights(SocketType::kDealer);
    secure(weights);
    weights.connect("tcp://127.0.0.1:" + std::to_string(weights_port));
    weights.send(wire::serialize(wire::make_want(sender, -1)), 1000);
    if (auto frames = weights.receive(2000)) out.got_weights = wire::parse(std::move(*frames)).kind == "weights";
    // The junk unroll is counted as a drop if it got through.
    out.unroll_arrived = rl::testing::eventually([&] { return hub_->drops_total() > drops_before; },
                                                 std::chrono::milliseconds(1000));
    return out;
  }

  CurveKeyPair server_, authorized_;
  std::optional<wire::CurveAuthenticator> authenticator_;
  BoundedQueue<Delivery> deliveries_{64};
  std::optional<Publisher> publisher_;
  std::optional<Hub> hub_;
  wire::WeightsPayload weights_;
};

TEST_F(CurveHubTest, OnlyAnAuthorizedActorCanJoinSubmitAndReadWeights) {
  // The ports come in the config reply; an authorized actor gets them.
  Socket control(SocketType::kDealer);
  control.set_curve_client(server_.public_key, authorized_);
  control.connect(hub_->control_endpoint());
  wire::Sender sender{"curve", "actor-1", 0};
  wire::WireMessage hello = sender.start("hello");
  hello.body = {{"actor_id", int64_t{1}}, {"pid", int64_t{1}}};
  control.send(wire::serialize(std::move(hello)), 1000);
  auto reply = control.receive(5000);
  ASSERT_TRUE(reply);
  const wire::WireMessage config = wire::parse(std::move(*reply));
  ASSERT_EQ(config.kind, "config");
  const int64_t unroll_port = config.get_int("unroll_port"), weights_port = config.get_int("weights_port");

  const Attempt good = try_actor(authorized_, unroll_port, weights_port);
  EXPECT_TRUE(good.got_config);
  EXPECT_TRUE(good.got_weights);
  EXPECT_TRUE(good.unroll_arrived);
  EXPECT_EQ(authenticator_->refused(), 0);

  const Attempt stranger = try_actor(wire::generate_curve_keypair(), unroll_port, weights_port);
  EXPECT_FALSE(stranger.got_config);
  EXPECT_FALSE(stranger.got_weights);
  EXPECT_FALSE(stranger.unroll_arrived);
  EXPECT_GE(authenticator_->refused(), 3);  // one handshake per socket, at least

  const Attempt plain = try_actor(std::nullopt, unroll_port, weights_port);
  EXPECT_FALSE(plain.got_config);
  EXPECT_FALSE(plain.got_weights);
  EXPECT_FALSE(plain.unroll_arrived);
}

// A whole run over CURVE: keys from rl_keygen, local actors with the
// process's own authorized pair; nothing is refused and training goes on.
TEST(CurveRunTest, TrainImpalaOverCurveWithKeysFromRlKeygen) {
  const fs::path dir = temp_dir("run");
  fs::create_directories(dir);
  for (const char* name : {"learner", "actor"}) {
    rl::testing::Child keygen(RL_KEYGEN, {"--out", (dir / "keys").string(), "--name", name});
    ASSERT_EQ(keygen.wait(30), 0) << keygen.output();
  }
  fs::copy_file(dir / "keys" / "actor.pub", dir / "keys" / "authorized");
  rl::testing::Child train(TRAIN_IMPALA, {"--config", RL_SOURCE_DIR "/configs/impala/cartpole.yaml", "--actors", "1",
                                          "--total-steps", "100000", "--run-dir", (dir / "run").string(),
                                          "--set", "runtime.curve_secret_key=" + (dir / "keys" / "learner.key").string(),
                                          "--set", "runtime.curve_authorized_keys=" + (dir / "keys" / "authorized").string(),
                                          "--set", "run.eval_episodes=2"});
  ASSERT_EQ(train.wait(300), 0) << train.output();
  EXPECT_THAT(train.output(), HasSubstr("actor 0 joined"));
  const auto metrics = rl::testing::last_metrics(dir / "run" / "metrics.csv");
  EXPECT_EQ(metrics.at("curve_refusals"), 0);
  EXPECT_GE(metrics.at("env_steps"), 100000);
  fs::remove_all(dir);
}

TEST(CurveRunTest, ANonLoopbackBindWithoutKeysWarns) {
  const fs::path dir = temp_dir("warn");
  rl::testing::Child train(TRAIN_IMPALA, {"--env", "CartPole-v1", "--actors", "1", "--bind", "tcp://*:0",
                                          "--total-steps", "2000", "--run-dir", (dir / "run").string(), "--set",
                                          "run.eval_episodes=1"});
  ASSERT_EQ(train.wait(300), 0) << train.output();
  EXPECT_THAT(train.output(), HasSubstr("WARNING: binding tcp://*:0 without CURVE keys"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rl
