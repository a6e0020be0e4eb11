// A rollout worker with a recurrent policy: each unroll carries the core
// state its first step started from, that state is the one the actor had
// (it continues the previous unroll, reset where an episode starts), and
// the learner's replay of the core over the unroll (forward_sequence from
// that state, resets at episode starts) reproduces the actor's
// log-probabilities and values: the forward it differentiates is the one
// the actor ran. With policy.core_inputs the core also sees the previous
// step's action and reward, which the learner rebuilds from the unroll.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "actors/rollout_worker.h"
#include "rl/nn/actor_critic.h"
#include "tests/envs/env_test_util.h"

namespace rl {
namespace {

// [rows, cols] float tensor over a vector (no copy).
torch::Tensor view(const std::vector<float>& v, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat);
}

class RolloutWorkerCoreTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RolloutWorkerCoreTest, UnrollsCarryTheActorsCoreStateAndTheLearnersReplayMatchesTheActor) {
  const int64_t T = 4, k = 3;
  RolloutConfig rollout;
  rollout.num_envs = k;
  rollout.num_steps = T;
  PolicyConfig policy;
  policy.core = "lstm";
  policy.lstm_size = 8;
  policy.hidden_sizes = {16};
  policy.core_inputs = GetParam();
  // Episodes of 5 steps: they end inside unrolls and across their boundaries.
  RolloutWorker worker(testing::builtin_registry(), "MemoryCue-v0", EnvOptions({{"length", "5"}}), rollout, policy, NormalizeConfig{},
                       /*seed=*/3, /*actor_id=*/0);
  ASSERT_TRUE(worker.policy().recurrent());
  ActorCriticImpl& model = worker.policy().model();
  const int64_t S = model.state_size();
  const int64_t P = model.core_input_size();  // MemoryCue: 2 actions (one-hot) and the reward
  ASSERT_EQ(P, GetParam() == "action_reward" ? 3 : 0);
  ASSERT_EQ(S, 16 + P);

  torch::NoGradGuard no_grad;
  torch::Tensor carried;  // the state the previous unroll ended in, reset where episodes start
  int episode_ends = 0;
  for (int u = 0; u < 4; ++u) {
    Unroll unroll;
    worker.collect(unroll);
    ASSERT_NO_THROW(unroll.check_consistent());
    ASSERT_EQ(unroll.core_state_size, S);
    const torch::Tensor state0 = view(unroll.core_state, {k, S}).clone();
    if (u == 0) {
      EXPECT_EQ(state0.abs().sum().item<float>(), 0.f) << "a new actor starts from a zero state";
    } else {
      EXPECT_TRUE(torch::allclose(state0, carried, 1e-6, 1e-6)) << "unroll " << u << " does not continue the last";
      EXPECT_GT(state0.abs().sum().item<float>(), 0.f);
    }

    // The learner's replay over all T+1 rows (the last bootstraps), as
    // Learner::replay_core: starts and core inputs rebuilt from the unroll.
    torch::Tensor starts = torch::zeros({T + 1, k});
    for (int64_t t = 1; t <= T; ++t) {
      for (int64_t i = 0; i < k; ++i) starts[t][i] = static_cast<float>(unroll.done(t - 1, i));
    }
    for (int64_t j = 0; j < T * k; ++j) episode_ends += unroll.terminated[j];
    const torch::Tensor obs = view(unroll.obs, {(T + 1) * k, 3});
    const torch::Tensor actions = torch::from_blob(unroll.discrete_actions.data(), {T * k}, torch::kLong);
    torch::Tensor inputs;
    if (P > 0) {
      const torch::Tensor later = model.core_inputs_of(actions, view(unroll.rewards, {T * k})).reshape({T, k, P});
      inputs = torch::cat({state0.slice(1, S - P, S).unsqueeze(0), later}, 0);
    }
    const SequenceOutput replay = model.forward_sequence(obs, state0, starts, inputs);
    const PolicyOutput acting{replay.out.params.slice(0, 0, T * k), replay.out.value.slice(0, 0, T * k)};
    const torch::Tensor log_probs = model.log_prob(acting, actions);
    EXPECT_TRUE(torch::allclose(log_probs, view(unroll.behaviour_log_probs, {T * k}), 1e-5, 1e-5)) << "unroll " << u;
    EXPECT_TRUE(torch::allclose(acting.value, view(unroll.values, {T * k}), 1e-5, 1e-5)) << "unroll " << u;

    // The next unroll starts from the state after step T-1, zeroed where
    // that step ended an episode.
    torch::Tensor keep = torch::ones({k, 1});
    for (int64_t i = 0; i < k; ++i) keep[i][0] = unroll.done(T - 1, i) ? 0.f : 1.f;
    carried = replay.states_after[T - 1] * keep;
  }
  EXPECT_GT(episode_ends, 3) << "the test should cross episode boundaries";
}

INSTANTIATE_TEST_SUITE_P(CoreInputs, RolloutWorkerCoreTest, ::testing::Values("none", "action_reward"));

}  // namespace
}  // namespace rl
