// The MLP fast path against libtorch, its reference: forward pass,
// distributions, the hand-written PPO and IMPALA gradients against
// autograd's, and the fused optimizers against torch::optim step by step.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "actors/policy_actor.h"
#include "algorithms/impala.h"
#include "algorithms/impala_fast.h"
#include "algorithms/ppo.h"
#include "algorithms/ppo_fast.h"
#include "rl/nn/actor_critic.h"
#include "rl/nn/distributions.h"
#include "rl/nn/flat_parameters.h"
#include "rl/nn/fused_optim.h"
#include "rl/nn/gemm/gemm.h"
#include "rl/nn/mlp.h"

namespace rl {
namespace {

struct Case {
  std::string name;
  Space action_space;
  PolicyConfig config;
};

PolicyConfig policy(std::vector<int> hidden, std::string activation, bool shared) {
  PolicyConfig c;
  c.hidden_sizes = std::move(hidden);
  c.activation = std::move(activation);
  c.shared_trunk = shared;
  c.ortho_init = false;  // torch's default init: heads with non-trivial outputs
  c.log_std_init = -0.3;
  return c;
}

std::vector<Case> cases() {
  return {
      {"discrete_tanh_separate", Space::discrete(3), policy({64, 64}, "tanh", false)},
      {"discrete_relu_shared", Space::discrete(5), policy({32, 16}, "relu", true)},
      {"box_tanh_separate", Space::box({2}, -1.f, 1.f), policy({64, 64}, "tanh", false)},
      {"box_elu_separate", Space::box({6}, -1.f, 1.f), policy({256, 256}, "elu", false)},
      {"box_tanh_shared_one_layer", Space::box({1}, -2.f, 2.f), policy({24}, "tanh", true)},
  };
}

constexpr int64_t kObs = 7;

// Norm-wise relative error ||a - b|| / max(||b||, tiny).
double relative_error(const std::vector<float>& a, const torch::Tensor& b) {
  const torch::Tensor bc = b.detach().to(torch::kCPU, torch::kFloat).contiguous().reshape({-1});
  EXPECT_EQ(static_cast<int64_t>(a.size()), bc.numel());
  double diff = 0, norm = 0;
  for (int64_t i = 0; i < bc.numel(); ++i) {
    const double x = bc[i].item<double>();
    diff += (a[i] - x) * (a[i] - x);
    norm += x * x;
  }
  return std::sqrt(diff) / std::max(std::sqrt(norm), 1e-12);
}

std::vector<float> to_vector(std::span<const float> s) { return {s.begin(), s.end()}; }

std::vector<float> flat_of(ActorCriticImpl& model, const MlpActorCritic& net) {
  std::vector<float> flat(net.num_parameters());
  copy_parameters(model, net.slots(), flat);
  return flat;
}

torch::Tensor random_actions(const Space& space, int64_t rows) {
  if (space.is_discrete()) return torch::randint(0, space.n(), {rows}, torch::kLong);
  return torch::randn({rows, space.flat_size()});
}

TEST(MlpLayoutTest, SlotsFollowTheModulesNamedParameters) {
  for (const Case& c : cases()) {
    ActorCriticImpl model(kObs, c.action_space, c.config);
    MlpActorCritic net(MlpSpec::of(kObs, c.action_space, c.config));
    const auto named = model.named_parameters();
    ASSERT_EQ(named.size(), net.slots().size()) << c.name;
    int64_t total = 0;
    for (size_t i = 0; i < named.size(); ++i) {
      EXPECT_EQ(named[i].key(), net.slots()[i].name) << c.name;
      EXPECT_TRUE(named[i].value().sizes().equals(net.slots()[i].shape)) << c.name << " " << named[i].key();
      total += named[i].value().numel();
    }
    EXPECT_EQ(total, net.num_parameters()) << c.name;
  }
}

// C = A B^T against a plain double-precision loop, on both of nt's ways:
// Eigen's GEMM, and one matrix-vector product per row of B for a few rows
// through a large B (m <= 8, n * k >= 65,536).
TEST(GemmTest, ProductOfFewRowsAndALargeMatrixEqualsThePlainLoop) {
  struct Shape {
    int64_t m, n, k;
  };
  for (const Shape& s : {Shape{1, 128, 1600}, Shape{5, 128, 1600}, Shape{8, 300, 300}, Shape{9, 300, 300},
                         Shape{4, 64, 64}, Shape{64, 16, 36}}) {
    const torch::Tensor a = torch::randn({s.m, s.k}), b = torch::randn({s.n, s.k});
    std::vector<float> c(static_cast<size_t>(s.m * s.n), std::nanf(""));
    gemm_kernels().nt(s.m, s.n, s.k, a.data_ptr<float>(), b.data_ptr<float>(), c.data());
    const torch::Tensor expected = torch::matmul(a.to(torch::kDouble), b.to(torch::kDouble).t());
    double largest = 0;
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t j = 0; j < s.n; ++j) {
        largest = std::max(largest, std::abs(c[i * s.n + j] - expected[i][j].item<double>()));
      }
    }
    EXPECT_LT(largest, 1e-3) << s.m << " x " << s.n << " x " << s.k;
  }
}

TEST(MlpForwardTest, EqualsLibtorchForRandomNetworksAndBatchSizes) {
  torch::manual_seed(1);
  for (const Case& c : cases()) {
    ActorCriticImpl model(kObs, c.action_space, c.config);
    MlpActorCritic net(MlpSpec::of(kObs, c.action_space, c.config));
    const std::vector<float> flat = flat_of(model, net);
    for (int64_t rows : {3, 16, 64}) {  // batch 1: row by row below
      const torch::Tensor obs = torch::randn({rows, kObs}) * 2;
      torch::NoGradGuard no_grad;
      const PolicyOutput out = model.forward(obs);
      net.forward(flat, std::span<const float>(obs.data_ptr<float>(), rows * kObs), rows);
      EXPECT_LT(relative_error(to_vector(net.head()), out.params), 1e-5) << c.name << " rows " << rows;
      EXPECT_LT(relative_error(to_vector(net.values()), out.value), 1e-5) << c.name << " rows " << rows;
      if (rows == 64) {
        // The batch-1 path (a matrix-vector product) row by row, measured
        // over the whole batch: one scalar's relative error says little.
        std::vector<float> head, values;
        for (int64_t r = 0; r < rows; ++r) {
          net.forward(flat, std::span<const float>(obs.data_ptr<float>() + r * kObs, kObs), 1);
          head.insert(head.end(), net.head().begin(), net.head().end());
          values.insert(values.end(), net.values().begin(), net.values().end());
        }
        EXPECT_LT(relative_error(head, out.params), 1e-5) << c.name << " row by row";
        EXPECT_LT(relative_error(values, out.value), 1e-5) << c.name << " row by row";
        net.forward(flat, std::span<const float>(obs.data_ptr<float>(), rows * kObs), rows);
      }

      // Log-probabilities and entropies of the fast distributions.
      const torch::Tensor actions = random_actions(c.action_space, rows);
      const torch::Tensor lp = model.log_prob(out, actions);
      const torch::Tensor h = model.entropy(out);
      std::vector<float> fast_lp(rows), fast_h(rows);
      const int64_t width = net.spec().head_size;
      std::vector<float> scratch(width);
      for (int64_t r = 0; r < rows; ++r) {
        const float* row = net.head().data() + r * width;
        if (c.action_space.is_discrete()) {
          dist::log_softmax(row, width, scratch.data());
          fast_lp[r] = scratch[actions[r].item<int64_t>()];
          fast_h[r] = dist::categorical_entropy(scratch.data(), width);
        } else {
          const float* log_std = flat.data() + net.log_std_offset();
          const torch::Tensor a = actions[r].contiguous();
          fast_lp[r] = dist::gaussian_log_prob(a.data_ptr<float>(), row, log_std, width);
          fast_h[r] = dist::gaussian_entropy(log_std, width);
        }
      }
      EXPECT_LT(relative_error(fast_lp, lp), 1e-5) << c.name;
      EXPECT_LT(relative_error(fast_h, h), 1e-5) << c.name;
    }
  }
}

// The gradients of the flat buffer against autograd's of each parameter.
// Sums over the minibatch run in another order than libtorch's, so a bias
// gradient (one sum with cancellation) is held to 1e-4, not 1e-5.
void expect_gradients_match(ActorCriticImpl& model, const MlpActorCritic& net,
                            const std::vector<float>& grads, const std::string& name) {
  const auto named = model.named_parameters();
  for (size_t i = 0; i < named.size(); ++i) {
    const FlatSlot& slot = net.slots()[i];
    const std::vector<float> mine(grads.begin() + slot.offset, grads.begin() + slot.offset + slot.size);
    ASSERT_TRUE(named[i].value().grad().defined()) << name << " " << slot.name;
    EXPECT_LT(relative_error(mine, named[i].value().grad()), 1e-4) << name << " " << slot.name;
  }
}

TEST(FastPpoTest, MinibatchLossAndGradientEqualAutograd) {
  torch::manual_seed(2);
  for (const Case& c : cases()) {
    for (bool clip_vloss : {true, false}) {
      ActorCriticImpl model(kObs, c.action_space, c.config);
      const MlpSpec spec = MlpSpec::of(kObs, c.action_space, c.config);
      FastPpoUpdater updater(spec);
      const std::vector<float> flat = flat_of(model, updater.network());
      const int64_t n = 48;
      PpoBatch batch;
      batch.obs = torch::randn({n, kObs});
      batch.actions = random_actions(c.action_space, n);
      {
        // Behaviour log-probs and values around the current ones, so that
        // some ratios and some values fall outside the clip range.
        torch::NoGradGuard no_grad;
        const PolicyOutput out = model.forward(batch.obs);
        batch.log_probs = model.log_prob(out, batch.actions) + 0.3 * torch::randn({n});
        batch.values = out.value + 0.3 * torch::randn({n});
      }
      batch.advantages = torch::randn({n});
      batch.returns = batch.values + torch::randn({n});
      PpoConfig config;
      config.clip_vloss = clip_vloss;
      const double clip = 0.2;

      // A minibatch of 32 of the 48 rows, out of order.
      std::vector<int64_t> index;
      for (int64_t i = 0; i < 32; ++i) index.push_back((i * 7 + 3) % n);
      const PpoBatch mb = batch.select(torch::tensor(index, torch::kLong));
      PpoLoss loss = ppo_loss(model, mb, config, clip);
      model.zero_grad();
      loss.total.backward();

      const bool discrete = c.action_space.is_discrete();
      const torch::Tensor actions = batch.actions.contiguous();
      PpoHostBatch host{.size = n,
                        .obs = {batch.obs.data_ptr<float>(), size_t(n * kObs)},
                        .discrete_actions = discrete ? std::span<const int64_t>(actions.data_ptr<int64_t>(), n)
                                                     : std::span<const int64_t>(),
                        .box_actions = discrete ? std::span<const float>()
                                                : std::span<const float>(actions.data_ptr<float>(), actions.numel()),
                        .log_probs = {batch.log_probs.data_ptr<float>(), size_t(n)},
                        .values = {batch.values.data_ptr<float>(), size_t(n)},
                        .advantages = {batch.advantages.data_ptr<float>(), size_t(n)},
                        .returns = {batch.returns.data_ptr<float>(), size_t(n)}};
      std::vector<float> grads(flat.size(), 0.f);
      const PpoMinibatchLoss fast = updater.minibatch_gradient(flat, grads, host, index, config, clip);
      const std::string name = c.name + (clip_vloss ? " clip_vloss" : "");
      EXPECT_NEAR(fast.total, loss.total.item<double>(), 1e-5) << name;
      EXPECT_NEAR(fast.policy, loss.policy.item<double>(), 1e-5) << name;
      EXPECT_NEAR(fast.value, loss.value.item<double>(), 1e-5) << name;
      EXPECT_NEAR(fast.entropy, loss.entropy.item<double>(), 1e-5) << name;
      EXPECT_NEAR(fast.approx_kl, loss.approx_kl.item<double>(), 1e-5) << name;
      EXPECT_NEAR(fast.clip_fraction, loss.clip_fraction.item<double>(), 1e-6) << name;
      EXPECT_GT(fast.clip_fraction, 0.0) << name << ": the case should exercise the clip";
      expect_gradients_match(model, updater.network(), grads, name);
    }
  }
}

TEST(FastImpalaTest, LossAndGradientEqualAutograd) {
  torch::manual_seed(3);
  for (const Case& c : cases()) {
    for (const char* reduction : {"sum", "mean"}) {
      ActorCriticImpl model(kObs, c.action_space, c.config);
      const MlpSpec spec = MlpSpec::of(kObs, c.action_space, c.config);
      FastImpalaLoss fast(spec);
      MlpActorCritic net(spec);
      const std::vector<float> flat = flat_of(model, net);
      const int64_t T = 5, B = 3;
      ImpalaBatch batch;
      batch.obs = torch::randn({T + 1, B, kObs});
      batch.actions = c.action_space.is_discrete() ? random_actions(c.action_space, T * B).reshape({T, B})
                                                   : random_actions(c.action_space, T * B).reshape({T, B, -1});
      batch.behaviour_log_probs = -torch::rand({T, B}) * 2;
      batch.rewards = torch::randn({T, B}) * 2;
      batch.discounts = (torch::rand({T, B}) > 0.2).to(torch::kFloat) * 0.99;
      ImpalaConfig config;
      config.loss_reduction = reduction;
      config.reward_clip = "abs_one";
      config.entropy_cost = 0.01;
      ImpalaLoss loss = impala_loss(model, batch, config);
      model.zero_grad();
      loss.total.backward();

      const bool discrete = c.action_space.is_discrete();
      const torch::Tensor actions = batch.actions.contiguous();
      const ImpalaHostBatch host{
          .num_steps = T,
          .num_streams = B,
          .obs = {batch.obs.data_ptr<float>(), size_t((T + 1) * B * kObs)},
          .discrete_actions = discrete ? std::span<const int64_t>(actions.data_ptr<int64_t>(), T * B)
                                       : std::span<const int64_t>(),
          .box_actions = discrete ? std::span<const float>()
                                  : std::span<const float>(actions.data_ptr<float>(), actions.numel()),
          .behaviour_log_probs = {batch.behaviour_log_probs.data_ptr<float>(), size_t(T * B)},
          .rewards = {batch.rewards.data_ptr<float>(), size_t(T * B)},
          .discounts = {batch.discounts.data_ptr<float>(), size_t(T * B)}};
      std::vector<float> grads(flat.size(), 0.f);
      const ImpalaFastStats stats = fast.gradient(flat, grads, host, config);
      const std::string name = c.name + " " + reduction;
      const double tol = 1e-5 * std::max(1.0, std::abs(loss.total.item<double>()));
      EXPECT_NEAR(stats.total, loss.total.item<double>(), tol) << name;
      EXPECT_NEAR(stats.policy, loss.policy.item<double>(), tol) << name;
      EXPECT_NEAR(stats.baseline, loss.baseline.item<double>(), tol) << name;
      EXPECT_NEAR(stats.entropy, loss.entropy.item<double>(), 1e-5) << name;
      EXPECT_NEAR(stats.mean_ratio, loss.mean_ratio, 1e-5) << name;
      expect_gradients_match(model, net, grads, name);
    }
  }
}

// 100 steps of random gradients through both optimizers.
template <typename TorchOptimizer, typename Fused>
void expect_same_trajectory(TorchOptimizer& torch_optimizer, Fused& fused, torch::Tensor& p,
                            std::vector<float>& flat, const std::string& name) {
  torch::manual_seed(4);
  for (int step = 0; step < 100; ++step) {
    const torch::Tensor g = torch::randn({p.numel()}) * (step % 7 == 0 ? 10.0 : 0.1);
    p.mutable_grad() = g.clone();
    torch_optimizer.step();
    fused.step(flat, std::span<const float>(g.data_ptr<float>(), flat.size()));
    ASSERT_LT(relative_error(flat, p), 1e-5) << name << " step " << step;
  }
}

TEST(FusedOptimizerTest, AdamMatchesTorchStepForStep) {
  torch::manual_seed(5);
  torch::Tensor p = torch::randn({300}).set_requires_grad(true);
  std::vector<float> flat(p.data_ptr<float>(), p.data_ptr<float>() + 300);
  torch::optim::Adam adam({p}, torch::optim::AdamOptions(3e-3).eps(1e-5));
  FusedAdam fused(300, {.lr = 3e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-5});
  expect_same_trajectory(adam, fused, p, flat, "adam");
}

TEST(FusedOptimizerTest, RmsPropMatchesTorchStepForStepWithAndWithoutMomentum) {
  for (double momentum : {0.0, 0.9}) {
    torch::manual_seed(6);
    torch::Tensor p = torch::randn({300}).set_requires_grad(true);
    std::vector<float> flat(p.data_ptr<float>(), p.data_ptr<float>() + 300);
    torch::optim::RMSprop rmsprop({p}, torch::optim::RMSpropOptions(5e-4).alpha(0.99).eps(0.01).momentum(momentum));
    FusedRmsProp fused(300, {.lr = 5e-4, .alpha = 0.99, .eps = 0.01, .momentum = momentum});
    expect_same_trajectory(rmsprop, fused, p, flat, "rmsprop momentum " + std::to_string(momentum));
  }
}

TEST(FusedOptimizerTest, GradientClipMatchesTorch) {
  torch::manual_seed(7);
  for (double max_norm : {0.5, 1e3}) {
    torch::Tensor p = torch::randn({50}).set_requires_grad(true);
    const torch::Tensor g = torch::randn({50});
    p.mutable_grad() = g.clone();
    std::vector<float> flat(g.data_ptr<float>(), g.data_ptr<float>() + 50);
    const double torch_norm = torch::nn::utils::clip_grad_norm_(std::vector<torch::Tensor>{p}, max_norm);
    EXPECT_NEAR(clip_grad_norm(flat, max_norm), torch_norm, 1e-5 * torch_norm);
    EXPECT_LT(relative_error(flat, p.grad()), 1e-6);
  }
}

TEST(FlatParametersTest, ModuleTensorsBecomeViewsAndAutogradFillsTheFlatGradients) {
  const Case c = cases()[0];
  ActorCriticImpl model(kObs, c.action_space, c.config);
  MlpActorCritic net(MlpSpec::of(kObs, c.action_space, c.config));
  const std::vector<float> before = flat_of(model, net);
  FlatParameters flat;
  flat.attach(model, net.slots());
  EXPECT_EQ(to_vector(flat.params()), before);  // values kept

  // Writes to the flat buffer are writes to the module.
  flat.params()[net.slots()[0].offset] = 42.f;
  EXPECT_EQ(model.named_parameters()[0].value().reshape({-1})[0].item<float>(), 42.f);

  // Autograd accumulates into the flat gradient buffer.
  const PolicyOutput out = model.forward(torch::randn({4, kObs}));
  (out.params.sum() + out.value.sum()).backward();
  double total = 0;
  for (float g : flat.grads()) total += std::abs(g);
  EXPECT_GT(total, 0.0);
  const auto& p0 = model.named_parameters()[0].value();
  EXPECT_EQ(p0.grad().data_ptr<float>(), flat.grads().data());
}

TEST(FlatParametersTest, MismatchedModuleIsRefusedByName) {
  ActorCriticImpl model(kObs, Space::discrete(3), policy({64, 64}, "tanh", false));
  MlpActorCritic other(MlpSpec::of(kObs, Space::discrete(3), policy({32, 64}, "tanh", false)));
  FlatParameters flat;
  try {
    flat.attach(model, other.slots());
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("pi_trunk.0.weight"), std::string::npos) << e.what();
  }
}

TEST(FlatParametersTest, AdamStateMovesToLibtorchAndBack) {
  const Case c = cases()[2];
  ActorCriticImpl model(kObs, c.action_space, c.config);
  MlpActorCritic net(MlpSpec::of(kObs, c.action_space, c.config));
  torch::optim::Adam adam(model.parameters(), torch::optim::AdamOptions(1e-3));
  FusedAdam fused(net.num_parameters(), {.lr = 1e-3});
  std::vector<float> params = flat_of(model, net), grads(params.size(), 0.5f);
  for (int i = 0; i < 3; ++i) fused.step(params, grads);
  store_state(fused, adam, net.slots());
  FusedAdam restored(net.num_parameters(), {.lr = 1e-3});
  restore_state(restored, adam, net.slots());
  EXPECT_EQ(restored.steps(), 3);
  EXPECT_EQ(restored.exp_avg(), fused.exp_avg());
  EXPECT_EQ(restored.exp_avg_sq(), fused.exp_avg_sq());
}

TEST(PolicyActorTest, FastAndLibtorchPathsActAlike) {
  for (const Case& c : cases()) {
    const EnvSpec spec{.id = "Test-v0",
                       .observation_space = Space::box({kObs}, -10.f, 10.f),
                       .action_space = c.action_space};
    PolicyConfig fast_config = c.config, torch_config = c.config;
    fast_config.fast_path = "on";
    torch_config.fast_path = "off";
    NormalizeConfig normalize;
    normalize.observations = true;
    PolicyActor fast(spec, fast_config, normalize, 9), reference(spec, torch_config, normalize, 9);
    ActorCriticImpl source(kObs, c.action_space, c.config);
    RunningMeanStd stats(kObs);
    const torch::Tensor some = torch::randn({32, kObs}) * 3 + 1;
    stats.update(Moments::of(std::span<const float>(some.data_ptr<float>(), 32 * kObs), 32, kObs));
    fast.load(source, stats, 5);
    reference.load(source, stats, 5);
    ASSERT_TRUE(fast.fast());
    ASSERT_FALSE(reference.fast());

    const int64_t rows = 16, width = c.action_space.is_discrete() ? 1 : c.action_space.flat_size();
    const torch::Tensor obs = torch::randn({rows, kObs}) * 2;
    const std::span<const float> in(obs.data_ptr<float>(), rows * kObs);
    for (bool deterministic : {true, false}) {
      std::vector<int64_t> d1(rows), d2(rows);
      std::vector<float> b1(rows * width), b2(rows * width), lp1(rows), lp2(rows), v1(rows), v2(rows);
      const bool discrete = c.action_space.is_discrete();
      fast.act(in, deterministic, d1, discrete ? std::span<float>() : std::span<float>(b1), lp1, v1);
      reference.act(in, deterministic, d2, discrete ? std::span<float>() : std::span<float>(b2), lp2, v2);
      for (int64_t r = 0; r < rows; ++r) {
        EXPECT_NEAR(lp1[r], lp2[r], 1e-4 * (1 + std::abs(lp2[r]))) << c.name;
        EXPECT_NEAR(v1[r], v2[r], 1e-4 * (1 + std::abs(v2[r]))) << c.name;
        if (discrete) {
          EXPECT_EQ(d1[r], d2[r]) << c.name;  // same RNG draws
        }
      }
      for (int64_t j = 0; j < rows * width && !discrete; ++j) EXPECT_NEAR(b1[j], b2[j], 1e-4) << c.name;
    }
  }
}

// The CNN forward without libtorch (rl/nn/actor_forward.h) against libtorch's
// module: minatar_cnn on 4x10x10 bytes, nature_cnn (strides 4, 2, 1) on
// 4x44x44 and a two-layer minatar variant; the same actions from the same
// draws, log-probabilities and values to 1e-5 relative.
TEST(PolicyActorTest, TheCnnForwardWithoutLibtorchActsAsLibtorch) {
  struct CnnCase {
    std::string encoder;
    std::vector<int64_t> shape;
    std::vector<int> channels, kernels, strides;
  };
  const std::vector<CnnCase> cnn_cases = {{"minatar_cnn", {4, 10, 10}, {}, {}, {}},
                                          {"nature_cnn", {4, 44, 44}, {}, {}, {}},
                                          {"minatar_cnn", {6, 10, 10}, {8, 16}, {3, 3}, {1, 2}},
                                          {"impala_cnn", {4, 21, 20}, {}, {}, {}},
                                          {"impala_cnn", {3, 9, 12}, {8, 4}, {}, {}}};
  for (const CnnCase& c : cnn_cases) {
    SCOPED_TRACE(c.encoder + " " + std::to_string(c.shape[0]) + "x" + std::to_string(c.shape[1]));
    const Space actions = Space::discrete(6);
    const EnvSpec spec{.id = "Test-v0", .observation_space = Space::box(c.shape, 0.f, 255.f), .action_space = actions};
    PolicyConfig config;
    config.encoder = c.encoder;
    config.conv_channels = c.channels;
    config.conv_kernels = c.kernels;
    config.conv_strides = c.strides;
    PolicyConfig torch_config = config;
    torch_config.fast_path = "off";
    PolicyActor flat(spec, config, NormalizeConfig{}, 9), reference(spec, torch_config, NormalizeConfig{}, 9);
    ASSERT_TRUE(flat.fast());
    ASSERT_FALSE(reference.fast());
    ActorCriticImpl source(spec.observation_space, actions, config);
    flat.load(source, RunningMeanStd(spec.obs_size()), 3);
    reference.load(source, RunningMeanStd(spec.obs_size()), 3);
    const int64_t rows = 5;
    const torch::Tensor obs = torch::randint(0, 2, {rows, spec.obs_size()}).to(torch::kFloat) *
                              (c.encoder == "minatar_cnn" ? 1.f : 255.f);
    const std::span<const float> in(obs.data_ptr<float>(), rows * spec.obs_size());
    for (bool deterministic : {true, false}) {
      std::vector<int64_t> d1(rows), d2(rows);
      std::vector<float> lp1(rows), lp2(rows), v1(rows), v2(rows);
      flat.act(in, deterministic, d1, {}, lp1, v1);
      reference.act(in, deterministic, d2, {}, lp2, v2);
      for (int64_t r = 0; r < rows; ++r) {
        EXPECT_EQ(d1[r], d2[r]);
        EXPECT_NEAR(lp1[r], lp2[r], 1e-5 * (1 + std::abs(lp2[r])));
        EXPECT_NEAR(v1[r], v2[r], 1e-5 * (1 + std::abs(v2[r])));
      }
    }
    std::vector<float> v1(rows), v2(rows);
    flat.value(in, v1);
    reference.value(in, v2);
    for (int64_t r = 0; r < rows; ++r) EXPECT_NEAR(v1[r], v2[r], 1e-5 * (1 + std::abs(v2[r])));
  }
}

// Recurrent policies without libtorch (ActorForward's LSTM core) against
// libtorch's over several steps: the state carried, episode starts zeroing
// it, and the previous action and reward fed back (policy.core_inputs).
TEST(PolicyActorTest, TheLstmCoreWithoutLibtorchStepsAsLibtorch) {
  struct CoreCase {
    std::string name, encoder, inputs;
    Space observations, actions;
  };
  const std::vector<CoreCase> core_cases = {
      {"mlp discrete", "mlp", "none", Space::box({5}, -10.f, 10.f), Space::discrete(3)},
      {"mlp box, action_reward", "mlp", "action_reward", Space::box({5}, -10.f, 10.f), Space::box({2}, -1.f, 1.f)},
      {"minatar_cnn, action_reward", "minatar_cnn", "action_reward", Space::box({4, 10, 10}, 0.f, 1.f),
       Space::discrete(6)},
      {"impala_cnn", "impala_cnn", "none", Space::box({2, 12, 12}, 0.f, 1.f), Space::discrete(4)}};
  for (const CoreCase& c : core_cases) {
    SCOPED_TRACE(c.name);
    const EnvSpec spec{.id = "Test-v0", .observation_space = c.observations, .action_space = c.actions};
    PolicyConfig config;
    config.encoder = c.encoder;
    config.core = "lstm";
    config.lstm_size = 16;
    config.core_inputs = c.inputs;
    PolicyConfig torch_config = config;
    torch_config.fast_path = "off";
    PolicyActor flat(spec, config, NormalizeConfig{}, 9), reference(spec, torch_config, NormalizeConfig{}, 9);
    ASSERT_TRUE(flat.fast());
    ASSERT_FALSE(reference.fast());
    ActorCriticImpl source(spec.observation_space, c.actions, config);
    flat.load(source, RunningMeanStd(spec.obs_size()), 3);
    reference.load(source, RunningMeanStd(spec.obs_size()), 3);
    const int64_t rows = 3, width = c.actions.is_discrete() ? 1 : c.actions.flat_size();
    for (int step = 0; step < 6; ++step) {
      const std::vector<uint8_t> starts = {uint8_t(step == 0), uint8_t(step == 0 || step == 3), uint8_t(step == 0)};
      flat.episodes_started(starts);
      reference.episodes_started(starts);
      const torch::Tensor obs = torch::rand({rows, spec.obs_size()});
      const std::span<const float> in(obs.data_ptr<float>(), rows * spec.obs_size());
      std::vector<int64_t> d1(rows), d2(rows);
      std::vector<float> b1(rows * width), b2(rows * width), lp1(rows), lp2(rows), v1(rows), v2(rows);
      const bool discrete = c.actions.is_discrete();
      flat.act(in, /*deterministic=*/step % 2 == 0, d1, discrete ? std::span<float>() : std::span<float>(b1), lp1, v1);
      reference.act(in, step % 2 == 0, d2, discrete ? std::span<float>() : std::span<float>(b2), lp2, v2);
      for (int64_t r = 0; r < rows; ++r) {
        if (discrete) {
          EXPECT_EQ(d1[r], d2[r]) << step;
        }
        EXPECT_NEAR(lp1[r], lp2[r], 1e-4 * (1 + std::abs(lp2[r]))) << step;
        EXPECT_NEAR(v1[r], v2[r], 1e-5 * (1 + std::abs(v2[r]))) << step;
      }
      for (int64_t j = 0; j < rows * width && !discrete; ++j) EXPECT_NEAR(b1[j], b2[j], 1e-5) << step;
      const std::span<const float> s1 = flat.core_state(), s2 = reference.core_state();
      ASSERT_EQ(s1.size(), s2.size());
      for (size_t j = 0; j < s1.size(); ++j) EXPECT_NEAR(s1[j], s2[j], 1e-5) << step << " " << j;
      const std::vector<float> rewards = {0.5f, -3.f, 2.f};
      flat.stepped(rewards);
      reference.stepped(rewards);
      const std::span<const float> t1 = flat.core_state(), t2 = reference.core_state();
      for (size_t j = 0; j < t1.size(); ++j) EXPECT_NEAR(t1[j], t2[j], 1e-5) << "after stepped " << step << " " << j;
    }
  }
}

}  // namespace
}  // namespace rl
