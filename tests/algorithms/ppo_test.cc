#include "algorithms/ppo.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace rl {
namespace {

torch::Tensor t(std::vector<float> v, bool grad = false) {
  return torch::tensor(v).set_requires_grad(grad);
}

PpoBatch two_samples() {
  PpoBatch b;
  b.obs = torch::zeros({2, 1});
  b.actions = torch::zeros({2}, torch::kLong);
  b.log_probs = t({0.f, 0.f});
  b.values = t({1.f, 2.f});
  b.advantages = t({1.f, -1.f});
  b.returns = t({2.f, 2.f});
  return b;
}

// Ratios 1.5 and 0.9, advantages +1 and -1, epsilon 0.2 (no advantage
// normalization): sample 0 is clipped (max(-1.5, -1.2) = -1.2, no gradient),
// sample 1 is inside the clip (0.9, gradient -A r / N = 0.45).
// Value loss with clipping: V_old (1, 2), V (1.5, 1.9), R (2, 2):
// clipped V (1.2, 1.9) -> max((0.25, 0.01), (0.64, 0.01)) -> 0.5 * 0.325.
TEST(PpoObjectiveTest, HandComputedLossAndGradient) {
  PpoConfig config;
  config.norm_adv = false;
  config.ent_coef = 0.01;
  config.vf_coef = 0.5;
  const torch::Tensor log_probs = t({static_cast<float>(std::log(1.5)), static_cast<float>(std::log(0.9))}, true);
  const torch::Tensor values = t({1.5f, 1.9f}, true);
  const torch::Tensor entropy = t({0.6f, 0.8f}, true);
  const PpoLoss loss = ppo_objective(log_probs, entropy, values, two_samples(), config, 0.2);

  EXPECT_NEAR(loss.policy.item<double>(), (-1.2 + 0.9) / 2, 1e-6);
  EXPECT_NEAR(loss.value.item<double>(), 0.5 * (0.64 + 0.01) / 2, 1e-6);
  EXPECT_NEAR(loss.entropy.item<double>(), 0.7, 1e-6);
  EXPECT_NEAR(loss.total.item<double>(), -0.15 - 0.01 * 0.7 + 0.5 * 0.1625, 1e-6);
  EXPECT_NEAR(loss.clip_fraction.item<double>(), 0.5, 1e-7);
  // k3 = mean((r - 1) - log r) = ((0.5 - log 1.5) + (-0.1 - log 0.9)) / 2
  EXPECT_NEAR(loss.approx_kl.item<double>(),
              ((0.5 - std::log(1.5)) + (-0.1 - std::log(0.9))) / 2, 1e-6);
  EXPECT_NEAR(loss.old_approx_kl.item<double>(), -(std::log(1.5) + std::log(0.9)) / 2, 1e-6);

  loss.total.backward();
  const torch::Tensor g = log_probs.grad();
  EXPECT_NEAR(g[0].item<double>(), 0.0, 1e-7);   // clipped: no gradient
  EXPECT_NEAR(g[1].item<double>(), 0.45, 1e-6);  // d/dlogp (-A r / 2) = -A r / 2
  // Value: sample 0 takes the clipped branch (constant in V); sample 1
  // d/dV 0.5 * vf_coef * mean((V - R)^2) = vf_coef * (V - R) / N = 0.5 * -0.1 / 2.
  EXPECT_NEAR(values.grad()[0].item<double>(), 0.0, 1e-7);
  EXPECT_NEAR(values.grad()[1].item<double>(), -0.025, 1e-6);
  EXPECT_NEAR(entropy.grad()[0].item<double>(), -0.01 / 2, 1e-7);
}

// Per-minibatch normalization with torch's unbiased std: A = (1, 3) ->
// mean 2, std sqrt(2) -> (-0.7071, 0.7071). With ratios 1 the policy loss is
// -mean(A_normalized) = 0 and its gradient -A_normalized / N.
TEST(PpoObjectiveTest, AdvantagesAreNormalizedPerMinibatch) {
  PpoConfig config;
  PpoBatch b = two_samples();
  b.advantages = t({1.f, 3.f});
  const torch::Tensor log_probs = t({0.f, 0.f}, true);
  const PpoLoss loss = ppo_objective(log_probs, t({0.f, 0.f}), t({1.f, 2.f}), b, config, 0.2);
  EXPECT_NEAR(loss.policy.item<double>(), 0.0, 1e-7);
  loss.total.backward();
  EXPECT_NEAR(log_probs.grad()[0].item<double>(), 1.0 / std::sqrt(2.0) / 2, 1e-6);
  EXPECT_NEAR(log_probs.grad()[1].item<double>(), -1.0 / std::sqrt(2.0) / 2, 1e-6);
}

TEST(PpoObjectiveTest, UnclippedValueLossWhenClipVlossIsOff) {
  PpoConfig config;
  config.clip_vloss = false;
  const PpoLoss loss = ppo_objective(t({0.f, 0.f}), t({0.f, 0.f}), t({1.5f, 1.9f}), two_samples(),
                                     config, 0.2);
  EXPECT_NEAR(loss.value.item<double>(), 0.5 * (0.25 + 0.01) / 2, 1e-6);
}

// A sanity check of PPO's ratio: on the data it was collected with, the
// first minibatch of an update sees ratios of exactly 1.
TEST(PpoLossTest, FirstRatiosAreOneOnCollectedData) {
  torch::manual_seed(0);
  ActorCritic model(3, Space::discrete(4), PolicyConfig{});
  PpoBatch b;
  b.obs = torch::randn({16, 3});
  {
    torch::NoGradGuard no_grad;
    const PolicyOutput out = model->forward(b.obs);
    b.actions = torch::randint(0, 4, {16}, torch::kLong);
    b.log_probs = model->log_prob(out, b.actions);
    b.values = out.value;
  }
  b.advantages = torch::randn({16});
  b.returns = torch::randn({16});
  const PpoLoss loss = ppo_loss(*model, b, PpoConfig{}, 0.2);
  EXPECT_NEAR(loss.approx_kl.item<double>(), 0.0, 1e-7);
  EXPECT_EQ(loss.clip_fraction.item<double>(), 0.0);
}

TEST(PpoUpdateTest, ReducesTheLossOnAFixedBatchAndRespectsTargetKl) {
  torch::manual_seed(1);
  ActorCritic model(3, Space::discrete(2), PolicyConfig{});
  PpoBatch b;
  b.obs = torch::randn({64, 3});
  {
    torch::NoGradGuard no_grad;
    const PolicyOutput out = model->forward(b.obs);
    b.actions = (b.obs.select(1, 0) > 0).to(torch::kLong);  // the "right" action
    b.log_probs = model->log_prob(out, b.actions);
    b.values = out.value;
  }
  b.advantages = torch::ones({64});
  b.returns = torch::ones({64});
  PpoConfig config;
  config.update_epochs = 10;
  config.num_minibatches = 4;
  config.norm_adv = false;
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-2));
  Rng rng(3);
  const PpoStats stats = ppo_update(*model, optimizer, b, config, 1e-2, 0.2, rng);
  EXPECT_EQ(stats.epochs, 10);
  EXPECT_EQ(stats.minibatch_steps, 40);
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor new_log_probs = model->log_prob(model->forward(b.obs), b.actions);
    EXPECT_GT((new_log_probs - b.log_probs).mean().item<double>(), 0.05);  // the actions got likelier
  }

  config.target_kl = 1e-6;
  const PpoStats stopped = ppo_update(*model, optimizer, b, config, 1e-2, 0.2, rng);
  EXPECT_EQ(stopped.epochs, 1);
}

TEST(PpoUpdateTest, PermutationIsAPermutationAndSeeded) {
  Rng a(5), b(5);
  const auto p = permutation(100, a);
  EXPECT_EQ(p, permutation(100, b));
  EXPECT_EQ(std::set<int64_t>(p.begin(), p.end()).size(), 100u);
}

TEST(ExplainedVarianceTest, PerfectAndUselessPredictions) {
  const torch::Tensor returns = t({1.f, 2.f, 3.f});
  EXPECT_NEAR(explained_variance(returns, returns), 1.0, 1e-7);
  EXPECT_NEAR(explained_variance(t({2.f, 2.f, 2.f}), returns), 0.0, 1e-6);
  EXPECT_TRUE(std::isnan(explained_variance(returns, t({1.f, 1.f, 1.f}))));
}

}  // namespace
}  // namespace rl
