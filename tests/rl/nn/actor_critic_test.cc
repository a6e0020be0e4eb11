#include "rl/nn/actor_critic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace rl {
namespace {

// log N(a; mu, sigma) summed over dims; d/dmu = (a - mu) / sigma^2 and
// d/dlog_sigma = (a - mu)^2 / sigma^2 - 1 per dim.
TEST(ActorCriticTest, GaussianLogProbAndItsGradientMatchTheClosedForm) {
  PolicyConfig config;
  config.log_std_init = -0.5;
  ActorCritic model(3, Space::box({2}, -1.f, 1.f), config);
  const torch::Tensor mean = torch::tensor({{0.2f, -0.3f}}).set_requires_grad(true);
  const torch::Tensor action = torch::tensor({{0.5f, 0.1f}});
  const PolicyOutput out{mean, torch::zeros({1})};
  const torch::Tensor lp = model->log_prob(out, action);
  const double sigma = std::exp(-0.5);
  double expected = 0;
  for (int j = 0; j < 2; ++j) {
    const double d = action[0][j].item<double>() - mean[0][j].item<double>();
    expected += -d * d / (2 * sigma * sigma) + 0.5 - 0.5 * std::log(2 * std::numbers::pi);
  }
  EXPECT_NEAR(lp.item<double>(), expected, 1e-5);

  lp.sum().backward();
  for (int j = 0; j < 2; ++j) {
    const double d = action[0][j].item<double>() - mean[0][j].item<double>();
    EXPECT_NEAR(mean.grad()[0][j].item<double>(), d / (sigma * sigma), 1e-5);
    EXPECT_NEAR(model->log_std().grad()[j].item<double>(), d * d / (sigma * sigma) - 1, 1e-5);
  }
  // Entropy sum_j (1/2 + log(2 pi)/2 + log sigma_j), independent of the mean.
  EXPECT_NEAR(model->entropy(out).item<double>(), 2 * (0.5 + 0.5 * std::log(2 * std::numbers::pi) - 0.5),
              1e-5);
}

TEST(ActorCriticTest, CategoricalLogProbEntropyAndMode) {
  ActorCritic model(3, Space::discrete(3), PolicyConfig{});
  const torch::Tensor logits = torch::log(torch::tensor({{0.2f, 0.5f, 0.3f}}));
  const PolicyOutput out{logits, torch::zeros({1})};
  EXPECT_NEAR(model->log_prob(out, torch::tensor({1}, torch::kLong)).item<double>(), std::log(0.5), 1e-6);
  EXPECT_NEAR(model->entropy(out).item<double>(),
              -(0.2 * std::log(0.2) + 0.5 * std::log(0.5) + 0.3 * std::log(0.3)), 1e-6);
  EXPECT_EQ(model->mode(out).item<int64_t>(), 1);
}

TEST(ActorCriticTest, SamplingIsSeededAndFollowsTheDistribution) {
  ActorCritic model(3, Space::discrete(3), PolicyConfig{});
  const torch::Tensor logits = torch::log(torch::tensor({0.2f, 0.5f, 0.3f})).expand({20000, 3});
  const PolicyOutput out{logits.contiguous(), torch::zeros({20000})};
  Rng a(1), b(1);
  const torch::Tensor s = model->sample(out, a);
  EXPECT_TRUE(torch::equal(s, model->sample(out, b)));
  const double probabilities[3] = {0.2, 0.5, 0.3};
  for (int k = 0; k < 3; ++k) {
    const double share = (s == k).to(torch::kFloat).mean().item<double>();
    EXPECT_NEAR(share, probabilities[k], 0.015);
  }

  PolicyConfig config;
  config.log_std_init = std::log(0.5);
  ActorCritic gaussian(3, Space::box({1}, -1.f, 1.f), config);
  const PolicyOutput g{torch::full({20000, 1}, 0.3f), torch::zeros({20000})};
  Rng c(2);
  const torch::Tensor x = gaussian->sample(g, c);
  EXPECT_NEAR(x.mean().item<double>(), 0.3, 0.02);
  EXPECT_NEAR(x.std().item<double>(), 0.5, 0.02);
}

TEST(ActorCriticTest, OrthogonalInitWithTheCustomaryGains) {
  torch::manual_seed(0);
  ActorCritic model(4, Space::discrete(2), PolicyConfig{});
  const auto params = model->named_parameters();
  // A square orthogonal matrix times the gain: W W^T = gain^2 I.
  const torch::Tensor hidden = params["pi_trunk.2.weight"];  // 64 x 64
  EXPECT_TRUE(torch::allclose(hidden.matmul(hidden.t()), 2.0 * torch::eye(64), 1e-4, 1e-4));
  const torch::Tensor pi_head = params["pi_head.weight"];  // 2 x 64, rows orthonormal * 0.01
  EXPECT_TRUE(torch::allclose(pi_head.matmul(pi_head.t()), 1e-4 * torch::eye(2), 1e-6, 1e-7));
  const torch::Tensor v_head = params["v_head.weight"];
  EXPECT_NEAR(v_head.norm().item<double>(), 1.0, 1e-5);
  EXPECT_EQ(params["v_head.bias"].abs().sum().item<double>(), 0.0);
  // Separate trunks by default, one shared when asked.
  EXPECT_TRUE(params.contains("v_trunk.0.weight"));
  PolicyConfig shared;
  shared.shared_trunk = true;
  ActorCritic one(4, Space::discrete(2), shared);
  EXPECT_TRUE(one->named_parameters().contains("trunk.0.weight"));
  EXPECT_FALSE(one->named_parameters().contains("v_trunk.0.weight"));
}

TEST(ActorCriticTest, ForwardShapes) {
  PolicyConfig config;
  config.hidden_sizes = {32, 16, 8};
  config.activation = "relu";
  ActorCritic model(5, Space::box({3}, -2.f, 2.f), config);
  const PolicyOutput out = model->forward(torch::randn({7, 5}));
  EXPECT_EQ(out.params.sizes(), (std::vector<int64_t>{7, 3}));
  EXPECT_EQ(out.value.sizes(), (std::vector<int64_t>{7}));
  EXPECT_EQ(model->value(torch::randn({7, 5})).sizes(), (std::vector<int64_t>{7}));
}

TEST(ActorCriticTest, InvalidConfigAndDeviceAreRejected) {
  PolicyConfig config;
  config.activation = "sigmoid";
  EXPECT_THROW(ActorCritic(3, Space::discrete(2), config), std::invalid_argument);
  EXPECT_THROW(resolve_device("tpu"), std::invalid_argument);
  EXPECT_EQ(resolve_device("cpu"), torch::Device(torch::kCPU));
  if (!torch::cuda::is_available()) {
    EXPECT_THROW(resolve_device("cuda"), std::invalid_argument);
  }
}

}  // namespace
}  // namespace rl
