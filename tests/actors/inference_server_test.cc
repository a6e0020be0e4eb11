// The host's inference server (runtime.inference host and learner): a
// worker whose actions come through an inference board collects the very
// unrolls of a worker with its own copy of the policy (same weights, same
// sampling stream): actions, log-probabilities, values and the LSTM core's
// state, with and without core inputs. The core state lives in the board,
// so a new server carries on from it; waiting actors are answered in one
// forward pass; a dead actor's slot is taken over by its successor.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "actors/inference_server.h"
#include "actors/rollout_worker.h"
#include "rl/nn/actor_critic.h"
#include "rl/wire/messages.h"
#include "rl/wire/wire_message.h"
#include "tests/envs/env_test_util.h"
#include "tests/util/eventually.h"

namespace rl {
namespace {

struct Case {
  std::string name, env;
  EnvOptions options;
  std::string core, core_inputs;
  std::string encoder = "mlp";
};

PolicyConfig policy_of(const Case& c) {
  PolicyConfig p;
  p.hidden_sizes = {16};
  p.encoder = c.encoder;
  // The server runs CNNs on libtorch: so does the local worker here, for
  // equal bits.
  if (c.encoder != "mlp") p.fast_path = "off";
  p.core = c.core;
  p.lstm_size = 8;
  p.core_inputs = c.core_inputs;
  return p;
}

// The model's parameters as the learner publishes them.
wire::WeightsPayload payload_of(ActorCriticImpl& model, int64_t obs_size, int64_t version) {
  torch::NoGradGuard no_grad;
  wire::WeightsPayload w;
  w.version = version;
  w.epoch = 7;
  w.obs_mean.assign(obs_size, 0.0);
  w.obs_var.assign(obs_size, 1.0);
  w.obs_count = 1.0;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    // Weights away from the initial ones, so that nothing passes by luck.
    const torch::Tensor t = (item.value() + 0.3 * torch::randn_like(item.value())).contiguous();
    w.parameters.push_back({item.key(), t.sizes().vec(), std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel())});
  }
  return w;
}

void publish(wire::WeightsBoard& board, int64_t sequence, const wire::WeightsPayload& payload) {
  wire::Sender sender{"test", "learner", 0};
  board.publish(sequence, wire::serialize(wire::encode_weights(sender, payload)));
}

// A server on a thread, for as long as it lives.
class ServerThread {
 public:
  ServerThread(wire::InferenceBoard& board, const wire::WeightsBoard& weights, const EnvSpec& spec,
               const PolicyConfig& policy, uint64_t seed, InferenceServerConfig config = {})
      : server_(board, weights, spec, policy, NormalizeConfig{}, seed, config),
        thread_([this] { server_.run(stop_); }) {}
  ~ServerThread() {
    stop_.store(true);
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  InferenceServer server_;
  std::thread thread_;
};

class InferenceServerTest : public ::testing::TestWithParam<Case> {};

TEST_P(InferenceServerTest, AWorkerServedThroughTheBoardCollectsTheUnrollsOfAWorkerWithItsOwnPolicy) {
  const Case& c = GetParam();
  const int64_t T = 20, k = 3;
  const uint64_t seed = 3;
  RolloutConfig rollout;
  rollout.num_envs = k;
  rollout.num_steps = T;
  const PolicyConfig policy = policy_of(c);
  torch::manual_seed(1);
  RolloutWorker local(testing::builtin_registry(), c.env, c.options, rollout, policy, NormalizeConfig{}, seed, 0);
  const wire::WeightsPayload weights = payload_of(local.policy().model(), local.spec().obs_size(), 4);
  local.policy().load(weights);
  const EnvSpec spec = local.spec();
  const int64_t S = local.policy().core_state_size();

  wire::WeightsBoard weights_board = wire::WeightsBoard::create(1 << 20);
  publish(weights_board, 0, weights);
  wire::InferenceBoard board = wire::InferenceBoard::create(
      {.slots = 2, .rows = static_cast<int32_t>(k), .obs_size = static_cast<int32_t>(spec.obs_size()),
       .action_floats = 0, .state_size = static_cast<int32_t>(S),
       .obs_bytes = spec.observation_space.is_uint8() ? 1 : 0},
      "");
  wire::InferenceClient client(board, board.claim(::getpid()), 10.0);
  RolloutWorker remote(testing::builtin_registry(), c.env, c.options, rollout, policy, NormalizeConfig{}, seed, 0,
                       &client);
  EXPECT_FALSE(remote.has_policy());
  // The same sampling stream as the local worker's policy.
  ServerThread server(board, weights_board, spec, policy, derive_seed(seed, k));

  int episode_ends = 0;
  for (int u = 0; u < 4; ++u) {
    Unroll mine, served;
    local.collect(mine);
    remote.collect(served);
    ASSERT_NO_THROW(served.check_consistent());
    EXPECT_EQ(served.policy_version, 4);
    EXPECT_EQ(served.obs, mine.obs) << "unroll " << u;
    EXPECT_EQ(served.obs_u8, mine.obs_u8) << "unroll " << u;
    EXPECT_EQ(served.discrete_actions, mine.discrete_actions) << "unroll " << u;
    EXPECT_EQ(served.behaviour_log_probs, mine.behaviour_log_probs) << "unroll " << u;
    EXPECT_EQ(served.values, mine.values) << "unroll " << u;
    EXPECT_EQ(served.rewards, mine.rewards) << "unroll " << u;
    EXPECT_EQ(served.core_state_size, mine.core_state_size);
    EXPECT_EQ(served.core_state, mine.core_state) << "unroll " << u;
    for (uint8_t t : served.terminated) episode_ends += t;
  }
  EXPECT_GT(episode_ends, 2) << "the test should cross episode boundaries";
}

INSTANTIATE_TEST_SUITE_P(
    Models, InferenceServerTest,
    ::testing::Values(Case{"mlp", "CartPole-v1", EnvOptions{}, "none", "none"},
                      Case{"lstm", "MemoryCue-v0", EnvOptions({{"length", "5"}}), "lstm", "none"},
                      Case{"lstm_action_reward", "MemoryCue-v0", EnvOptions({{"length", "5"}}), "lstm", "action_reward"},
                      // Byte frames, a CNN and a core.
                      Case{"minatar_cnn_lstm", "MinAtar/Breakout-v0", EnvOptions{}, "lstm", "none", "minatar_cnn"}),
    [](const auto& info) { return info.param.name; });

TEST(InferenceServerRestartTest, ANewServerContinuesFromTheCoreStateInTheBoard) {
  const int64_t T = 4, k = 2;
  RolloutConfig rollout;
  rollout.num_envs = k;
  rollout.num_steps = T;
  const Case c{"lstm", "MemoryCue-v0", EnvOptions({{"length", "7"}}), "lstm", "action_reward"};
  const PolicyConfig policy = policy_of(c);
  torch::manual_seed(2);
  RolloutWorker owner(testing::builtin_registry(), c.env, c.options, rollout, policy, NormalizeConfig{}, 1, 0);
  const wire::WeightsPayload weights = payload_of(owner.policy().model(), owner.spec().obs_size(), 1);
  const int64_t S = owner.policy().core_state_size();
  wire::WeightsBoard weights_board = wire::WeightsBoard::create(1 << 20);
  publish(weights_board, 0, weights);
  wire::InferenceBoard board = wire::InferenceBoard::create(
      {.slots = 1, .rows = static_cast<int32_t>(k), .obs_size = static_cast<int32_t>(owner.spec().obs_size()),
       .action_floats = 0, .state_size = static_cast<int32_t>(S)},
      "");
  wire::InferenceClient client(board, board.claim(::getpid()), 10.0);
  RolloutWorker worker(testing::builtin_registry(), c.env, c.options, rollout, policy, NormalizeConfig{}, 1, 0, &client);

  Unroll unroll;
  for (int u = 0; u < 3; ++u) {
    std::vector<float> state_before;
    {
      // A server per unroll: each one dies (is destroyed) after it.
      ServerThread server(board, weights_board, owner.spec(), policy, 100 + u);
      if (u > 0) state_before.assign(board.current_state(0).begin(), board.current_state(0).end());
      worker.collect(unroll);
    }
    if (u == 0) continue;
    // The unroll's LSTM state (h, c) is the one the last server left,
    // zeroed where the previous unroll's last step ended an episode
    // (MemoryCue episodes of 7 steps end inside unrolls of 4); the core
    // inputs after them record that last step's action and reward.
    ASSERT_EQ(unroll.core_state.size(), state_before.size());
    const int64_t lstm = 2 * policy.lstm_size;
    float carried = 0;
    for (int64_t r = 0; r < k; ++r) {
      for (int64_t i = 0; i < lstm; ++i) {
        const float v = unroll.core_state[r * S + i];
        carried += std::abs(v);
        if (v != 0.f) {
          EXPECT_EQ(v, state_before[r * S + i]) << "unroll " << u << " row " << r << " float " << i;
        }
      }
    }
    EXPECT_GT(carried, 0.f) << "unroll " << u << " started from a zero state";
  }
}

TEST(InferenceBoardTest, WaitingActorsAreAnsweredInOneForwardPassSplitOverThreads) {
  const int k = 4;
  PolicyConfig policy;
  policy.hidden_sizes = {8};
  RolloutConfig rollout;
  rollout.num_envs = k;
  rollout.num_steps = 10;
  torch::manual_seed(3);
  RolloutWorker owner(testing::builtin_registry(), "CartPole-v1", EnvOptions{}, rollout, policy, NormalizeConfig{}, 1, 0);
  wire::WeightsBoard weights_board = wire::WeightsBoard::create(1 << 20);
  publish(weights_board, 0, payload_of(owner.policy().model(), owner.spec().obs_size(), 1));
  wire::InferenceBoard board = wire::InferenceBoard::create(
      {.slots = 2, .rows = k, .obs_size = 4, .action_floats = 0, .state_size = 0}, "");
  // Two actors of one unroll each, a long latency bound.
  const int slot_a = board.claim(::getpid());
  const int slot_b = board.claim(::getpid() + 1000000);  // a pid no process has: a stand-in owner
  EXPECT_NE(slot_a, slot_b);
  auto actor = [&](int slot) {
    wire::InferenceClient client(board, slot, 10.0);
    RolloutWorker worker(testing::builtin_registry(), "CartPole-v1", EnvOptions{}, rollout, policy, NormalizeConfig{},
                         10 + slot, slot, &client);
    Unroll unroll;
    worker.collect(unroll);
  };
  std::thread a(actor, slot_a), b(actor, slot_b);
  // The server starts once both actors wait for their first step: on a
  // loaded machine one could otherwise collect its whole unroll before the
  // other asks at all, and the server rightly answers each alone.
  const bool both_asked = rl::testing::eventually([&] { return board.requested().size() == 2; },
                                                  std::chrono::seconds(5), std::chrono::milliseconds(1));
  // Two threads: each pass of 8 rows is split in two.
  std::optional<ServerThread> server;
  server.emplace(board, weights_board, owner.spec(), policy, 1,
                 InferenceServerConfig{.max_rows = 0, .wait_seconds = 5.0, .threads = 2});
  a.join();
  b.join();
  EXPECT_TRUE(both_asked) << "the two actors' first requests did not both reach the board";
  // The server waits for actors in the middle of an unroll: after each
  // one's first request, every pass answers both (the first may be one).
  EXPECT_LE(board.batches(), 11u);
  EXPECT_EQ(board.slots_served(), 20u);
  EXPECT_EQ(board.active(), 0) << "both unrolls ended";
  EXPECT_EQ(board.rows_served(), 80u);
}

TEST(InferenceBoardTest, ASlotOfADeadActorGoesToTheNextAndAFullBoardSaysSo) {
  wire::InferenceBoard board =
      wire::InferenceBoard::create({.slots = 1, .rows = 2, .obs_size = 3, .action_floats = 0, .state_size = 0}, "cfg");
  EXPECT_EQ(board.run_config(), "cfg");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    wire::InferenceBoard mine = wire::InferenceBoard::attach(board.fd());
    ::_exit(mine.claim(::getpid()) == 0 ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(board.claimed(), 1);
  EXPECT_EQ(board.claim(::getpid()), 0) << "the dead child's slot";
  EXPECT_EQ(board.claim(::getpid()), 0) << "an actor that joins again keeps its slot";
  try {
    board.claim(::getppid());  // alive, and no slot left
    FAIL() << "a full board gave a slot";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("all 1 slots are held"), std::string::npos) << e.what();
  }
  // An answer that never comes is a clear error, not a hang.
  wire::InferenceClient client(board, 0, 0.2);
  std::vector<float> obs(6, 0.f), lp(2), v(2);
  std::vector<int64_t> actions(2);
  try {
    client.act(obs, actions, {}, lp, v);
    FAIL() << "an answer came from no server";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("inference server did not answer"), std::string::npos) << e.what();
  }
}

TEST(InferenceBoardTest, ADescriptorThatIsNotABoardIsAClearError) {
  wire::WeightsBoard other = wire::WeightsBoard::create(1024);
  try {
    wire::InferenceBoard::attach(other.fd());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is not an inference board"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rl
