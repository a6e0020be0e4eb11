#include "learners/learner.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "learners/appo_learner.h"
#include "learners/impala_learner.h"
#include "learners/ppo_learner.h"

namespace rl {
namespace {

namespace fs = std::filesystem;

EnvSpec cartpole_like() {
  EnvSpec spec;
  spec.id = "Test-v0";
  spec.observation_space = Space::box({2}, -1.f, 1.f);
  spec.action_space = Space::discrete(3);
  return spec;
}

// A T x k unroll whose values encode (t, i), to check the joined layout.
Unroll make_unroll(int64_t T, int64_t k, int64_t actor, float tag) {
  Unroll u;
  u.resize(T, k, 2, 0, true);
  u.actor_id = actor;
  for (int64_t t = 0; t <= T; ++t) {
    for (int64_t i = 0; i < k; ++i) {
      u.obs[(t * k + i) * 2] = tag + t;
      u.obs[(t * k + i) * 2 + 1] = static_cast<float>(i);
    }
  }
  for (int64_t j = 0; j < T * k; ++j) {
    u.rewards[j] = tag + static_cast<float>(j);
    u.discrete_actions[j] = j % 3;
    u.terminated[j] = 0;
    u.truncated[j] = 0;
    u.behaviour_log_probs[j] = -1.f;
    u.values[j] = 0.f;
  }
  // Env 1 is truncated at step 0.
  u.truncated[1] = 1;
  u.final_index.push_back(1);
  u.final_obs.insert(u.final_obs.end(), {tag + 100, 1});
  return u;
}

TEST(BatchTest, PlacesUnrollsSideBySideAlongTheEnvAxis) {
  Unroll a = make_unroll(3, 2, 0, 0.f), b = make_unroll(3, 2, 1, 1000.f);
  a.policy_version = 4;
  b.episodes.push_back({1, 7.0, 3});
  const Batch j = Batch::of({&a, &b});
  EXPECT_EQ(j.num_steps, 3);
  EXPECT_EQ(j.num_streams, 4);
  // obs row (t=2, stream 3) is b's env 1 at t=2.
  EXPECT_EQ(j.obs[(2 * 4 + 3) * 2], 1002.f);
  EXPECT_EQ(j.obs[(2 * 4 + 3) * 2 + 1], 1.f);
  EXPECT_EQ(j.rewards[1 * 4 + 2], 1000.f + 2);  // b's (t=1, env 0) = its sample 2
  EXPECT_EQ(j.final_index, (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(j.final_obs[2], 1100.f);
  EXPECT_EQ(j.done[3], 1);
  EXPECT_EQ(j.stream, (std::vector<int64_t>{0, 1, 2, 3}));
  ASSERT_EQ(j.sources.size(), 2u);
  EXPECT_EQ(j.sources[0].policy_version, 4);
  EXPECT_EQ(j.sources[1].actor_id, 1);
  ASSERT_EQ(j.episodes.size(), 1u);
  EXPECT_EQ(j.episodes[0].return_, 7.0);

  const Unroll c = make_unroll(4, 2, 2, 0.f);
  EXPECT_THROW(Batch::of({&a, &c}), std::invalid_argument);

  // A batch reused for a smaller one keeps nothing of the first.
  Batch reused = Batch::of({&a, &b});
  const std::vector<const Unroll*> one{&c};
  reused.assemble(one);
  EXPECT_EQ(reused.num_streams, 2);
  EXPECT_EQ(reused.sources.size(), 1u);
  EXPECT_TRUE(reused.episodes.empty());
  EXPECT_EQ(reused.obs.size(), static_cast<size_t>(5 * 2 * 2));
}

TEST(LearnerTest, SaveAndLoadRestoreWeightsOptimizerCountersAndStatistics) {
  const fs::path dir = fs::temp_directory_path() / ("rl_learner_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  NormalizeConfig normalize{.observations = true, .rewards = true};
  torch::manual_seed(0);
  PpoLearner a(cartpole_like(), PolicyConfig{}, normalize, PpoConfig{}, torch::kCPU, 1);
  const Unroll u = make_unroll(8, 2, 0, 0.f);
  a.update(Batch::of({&u}), 0.0);
  a.update(Batch::of({&u}), 0.5);
  a.save(dir);

  torch::manual_seed(123);  // other initial weights
  PpoLearner b(cartpole_like(), PolicyConfig{}, normalize, PpoConfig{}, torch::kCPU, 1);
  b.load(dir);
  EXPECT_EQ(b.version(), 2);
  EXPECT_EQ(b.updates(), 2);
  EXPECT_EQ(b.obs_stats(), a.obs_stats());
  for (const auto& p : a.model().named_parameters()) {
    EXPECT_TRUE(torch::equal(p.value(), b.model().named_parameters()[p.key()])) << p.key();
  }
  // The same next update from both: the optimizer state and RNG came back too.
  a.update(Batch::of({&u}), 0.6);
  b.update(Batch::of({&u}), 0.6);
  for (const auto& p : a.model().named_parameters()) {
    EXPECT_TRUE(torch::allclose(p.value(), b.model().named_parameters()[p.key()])) << p.key();
  }

  // Another env's checkpoint is refused with a clear message.
  EnvSpec other = cartpole_like();
  other.action_space = Space::discrete(5);
  PpoLearner c(other, PolicyConfig{}, normalize, PpoConfig{}, torch::kCPU, 1);
  try {
    c.load(dir);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("Discrete(3)"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(ImpalaLearnerTest, ReportsPolicyLagAndImportanceWeights) {
  torch::manual_seed(0);
  ImpalaLearner learner(cartpole_like(), PolicyConfig{}, NormalizeConfig{}, ImpalaConfig{}, torch::kCPU, 1);
  Unroll u = make_unroll(5, 2, 0, 0.f);
  u.behaviour_log_probs.assign(10, std::log(1.f / 3.f));  // about what the fresh policy gives
  learner.update(Batch::of({&u}), 0.0);
  learner.update(Batch::of({&u}), 0.1);
  const MetricRow row = learner.update(Batch::of({&u}), 0.2);  // u was produced by version 0; learner is at 2
  EXPECT_EQ(metric(row, "policy_lag_mean"), 2.0);
  EXPECT_EQ(metric(row, "policy_lag_max"), 2.0);
  EXPECT_NEAR(metric(row, "mean_importance_weight"), 1.0, 0.2);
  EXPECT_EQ(learner.version(), 3);
}

PolicyConfig with_fast_path(const std::string& mode) {
  PolicyConfig c;
  c.fast_path = mode;
  return c;
}

void expect_same_parameters(Learner& a, Learner& b, double tol) {
  for (const auto& p : a.model().named_parameters()) {
    const torch::Tensor other = b.model().named_parameters()[p.key()];
    const double diff = (p.value() - other).abs().max().item<double>();
    EXPECT_LT(diff, tol) << p.key();
  }
}

// The whole learner update, fast path against libtorch: same initial
// weights, same unrolls, same shuffles, so the same weights after three
// updates (up to float summation order).
TEST(FastPathLearnerTest, PpoAndImpalaUpdatesMatchTheLibtorchPath) {
  NormalizeConfig normalize{.observations = true, .rewards = true};
  const Unroll u = make_unroll(8, 2, 0, 0.f);
  {
    torch::manual_seed(0);
    PpoLearner fast(cartpole_like(), with_fast_path("on"), normalize, PpoConfig{}, torch::kCPU, 1);
    torch::manual_seed(0);
    PpoLearner reference(cartpole_like(), with_fast_path("off"), normalize, PpoConfig{}, torch::kCPU, 1);
    ASSERT_TRUE(fast.fast_path());
    ASSERT_FALSE(reference.fast_path());
    for (double progress : {0.0, 0.3, 0.6}) {
      const MetricRow a = fast.update(Batch::of({&u}), progress);
      const MetricRow b = reference.update(Batch::of({&u}), progress);
      EXPECT_NEAR(metric(a, "policy_loss"), metric(b, "policy_loss"), 1e-5);
      EXPECT_NEAR(metric(a, "value_loss"), metric(b, "value_loss"), 1e-4 * (1 + metric(b, "value_loss")));
      EXPECT_NEAR(metric(a, "grad_norm"), metric(b, "grad_norm"), 1e-4 * (1 + metric(b, "grad_norm")));
    }
    expect_same_parameters(fast, reference, 1e-5);
  }
  for (const char* optimizer : {"rmsprop", "adam"}) {
    ImpalaConfig config;
    config.optimizer = optimizer;
    torch::manual_seed(0);
    ImpalaLearner fast(cartpole_like(), with_fast_path("on"), normalize, config, torch::kCPU, 1);
    torch::manual_seed(0);
    ImpalaLearner reference(cartpole_like(), with_fast_path("off"), normalize, config, torch::kCPU, 1);
    for (double progress : {0.0, 0.3, 0.6}) {
      const MetricRow a = fast.update(Batch::of({&u}), progress);
      const MetricRow b = reference.update(Batch::of({&u}), progress);
      EXPECT_NEAR(metric(a, "baseline_loss"), metric(b, "baseline_loss"),
                  1e-4 * (1 + metric(b, "baseline_loss")));
    }
    expect_same_parameters(fast, reference, 1e-5);
  }
}

// Checkpoints are the same files on both paths: a fast-path run resumes on
// libtorch and the other way round, optimizer state included.
TEST(FastPathLearnerTest, CheckpointsCrossBetweenPaths) {
  const fs::path dir = fs::temp_directory_path() / ("rl_fast_ckpt_test_" + std::to_string(::getpid()));
  for (const auto& [from, to] : {std::pair{"on", "off"}, std::pair{"off", "on"}}) {
    fs::create_directories(dir);
    NormalizeConfig normalize{.observations = true};
    const Unroll u = make_unroll(8, 2, 0, 0.f);
    torch::manual_seed(0);
    PpoLearner a(cartpole_like(), with_fast_path(from), normalize, PpoConfig{}, torch::kCPU, 1);
    a.update(Batch::of({&u}), 0.0);
    a.update(Batch::of({&u}), 0.2);
    a.save(dir);
    torch::manual_seed(7);
    PpoLearner b(cartpole_like(), with_fast_path(to), normalize, PpoConfig{}, torch::kCPU, 1);
    b.load(dir);
    expect_same_parameters(a, b, 0.0 + 1e-12);
    a.update(Batch::of({&u}), 0.4);
    b.update(Batch::of({&u}), 0.4);
    expect_same_parameters(a, b, 1e-5);
    fs::remove_all(dir);
  }
}

// Largest absolute difference between the two learners' parameters.
double parameter_distance(Learner& a, Learner& b) {
  double out = 0;
  for (const auto& p : a.model().named_parameters()) {
    out = std::max(out, (p.value() - b.model().named_parameters()[p.key()]).abs().max().item<double>());
  }
  return out;
}

// An annealed entropy bonus at progress p weighs (1 - p) of the configured
// one: one update of a learner that anneals 2 lands where a learner with 1
// held fixed does, and not where one with 2 does, for the three
// algorithms and both compute paths.
TEST(LearnerTest, AnnealedEntropyBonusWeighsTheRemainingFraction) {
  const Unroll u = make_unroll(8, 2, 0, 0.f);
  auto check = [&](auto make) {
    for (const char* path : {"on", "off"}) {
      torch::manual_seed(0);
      auto annealed = make(path, 2.0, true);
      torch::manual_seed(0);
      auto halved = make(path, 1.0, false);
      torch::manual_seed(0);
      auto full = make(path, 2.0, false);
      annealed->update(Batch::of({&u}), 0.5);
      halved->update(Batch::of({&u}), 0.5);
      full->update(Batch::of({&u}), 0.5);
      const double to_halved = parameter_distance(*annealed, *halved), to_full = parameter_distance(*annealed, *full);
      EXPECT_LT(to_halved, 1e-3 * to_full) << path;
    }
  };
  check([](const char* path, double bonus, bool anneal) {
    PpoConfig c;
    c.ent_coef = bonus;
    c.anneal_ent = anneal;
    return std::make_unique<PpoLearner>(cartpole_like(), with_fast_path(path), NormalizeConfig{}, c, torch::kCPU, 1);
  });
  check([](const char* path, double bonus, bool anneal) {
    AppoConfig c;
    c.ent_coef = bonus;
    c.anneal_ent = anneal;
    return std::make_unique<AppoLearner>(cartpole_like(), with_fast_path(path), NormalizeConfig{}, c, torch::kCPU, 1);
  });
  check([](const char* path, double bonus, bool anneal) {
    ImpalaConfig c;
    c.entropy_cost = bonus;
    c.anneal_entropy = anneal;
    return std::make_unique<ImpalaLearner>(cartpole_like(), with_fast_path(path), NormalizeConfig{}, c, torch::kCPU,
                                           1);
  });
}

TEST(FastPathLearnerTest, FastPathOnWithCudaIsAClearError) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  try {
    PpoLearner l(cartpole_like(), with_fast_path("on"), NormalizeConfig{}, PpoConfig{}, torch::kCUDA, 1);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("policy.fast_path=on"), std::string::npos);
  }
}

}  // namespace
}  // namespace rl
