// The GPU learner against the CPU learner (ctest label `gpu`): one update of
// PPO, IMPALA and APPO on CUDA equals the same update on the CPU, for the
// MLP, minatar_cnn and nature_cnn, each with and without an LSTM core; and a
// checkpoint written from the GPU loads on the CPU. Skipped, and reported as
// skipped by ctest, where libtorch is a CPU build or no GPU is found.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "learners/appo_learner.h"
#include "learners/impala_learner.h"
#include "learners/ppo_learner.h"
#include "tests/gpu/require_cuda.h"

namespace rl {
namespace {

namespace fs = std::filesystem;

struct Model {
  std::string encoder;
  std::string core;
};

EnvSpec spec_for(const std::string& encoder) {
  EnvSpec spec;
  spec.id = "Gpu-v0";
  if (encoder == "mlp") spec.observation_space = Space::box({8}, -1.f, 1.f);
  if (encoder == "minatar_cnn") spec.observation_space = Space::box_u8({4, 10, 10}, 0, 1);
  if (encoder == "nature_cnn") spec.observation_space = Space::box_u8({4, 84, 84}, 0, 255);
  spec.action_space = Space::discrete(6);
  return spec;
}

PolicyConfig policy_for(const Model& model) {
  PolicyConfig policy;
  policy.encoder = model.encoder;
  policy.core = model.core;
  policy.lstm_size = 64;
  policy.fast_path = "off";  // the CPU side runs libtorch's forward too
  policy.activation = "relu";
  return policy;
}

// T steps of k envs with every array filled from `seed`: observations in the
// space's range, episodes ending here and there (some by truncation), the
// behaviour policy's log-probabilities near uniform, a core state when the
// model has a core.
Unroll random_unroll(const EnvSpec& spec, const PolicyConfig& policy, int64_t T, int64_t k, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> unit(-1.f, 1.f);
  const bool bytes = spec.observation_space.is_uint8();
  const int64_t obs = spec.obs_size();
  Unroll u;
  u.resize(T, k, obs, 0, /*is_discrete=*/true, bytes);
  const int high = spec.obs_size() == 4 * 10 * 10 ? 1 : 255;  // MinAtar grids are 0/1
  for (int64_t j = 0; j < (T + 1) * k * obs; ++j) {
    if (bytes) {
      u.obs_u8[j] = static_cast<uint8_t>(std::uniform_int_distribution<int>(0, high)(gen));
    } else {
      u.obs[j] = unit(gen);
    }
  }
  for (int64_t j = 0; j < T * k; ++j) {
    u.discrete_actions[j] = std::uniform_int_distribution<int>(0, 5)(gen);
    u.rewards[j] = unit(gen);
    u.terminated[j] = (gen() % 13) == 0;
    u.truncated[j] = !u.terminated[j] && (gen() % 29) == 0;
    u.behaviour_log_probs[j] = std::log(1.f / 6.f) + 0.1f * unit(gen);
    u.values[j] = unit(gen);
    if (u.truncated[j]) {
      u.final_index.push_back(static_cast<int32_t>(j));
      for (int64_t e = 0; e < obs; ++e) {
        if (bytes) {
          u.final_obs_u8.push_back(static_cast<uint8_t>(std::uniform_int_distribution<int>(0, high)(gen)));
        } else {
          u.final_obs.push_back(unit(gen));
        }
      }
    }
  }
  if (policy.core == "lstm") {
    u.core_state_size = 2 * policy.lstm_size;  // h and c
    u.core_state.resize(k * u.core_state_size);
    for (float& v : u.core_state) v = 0.5f * unit(gen);
  }
  u.check_consistent();
  return u;
}

std::unique_ptr<Learner> make_learner(const std::string& algorithm, const EnvSpec& spec,
                                      const PolicyConfig& policy, torch::Device device) {
  torch::manual_seed(3);
  if (algorithm == "ppo") {
    PpoConfig config;
    config.num_minibatches = 2;
    config.update_epochs = 2;
    return std::make_unique<PpoLearner>(spec, policy, NormalizeConfig{}, config, device, 5);
  }
  if (algorithm == "impala") return std::make_unique<ImpalaLearner>(spec, policy, NormalizeConfig{}, ImpalaConfig{}, device, 5);
  return std::make_unique<AppoLearner>(spec, policy, NormalizeConfig{}, AppoConfig{}, device, 5);
}

// max |a - b| / max |b| per parameter tensor: the relative difference of
// the two updates, insensitive to elements near zero.
double relative_difference(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor a_cpu = a.detach().to(torch::kCPU), b_cpu = b.detach().to(torch::kCPU);
  const double scale = std::max(b_cpu.abs().max().item<double>(), 1e-12);
  return (a_cpu - b_cpu).abs().max().item<double>() / scale;
}

// TF32 would make CUDA's convolutions and matrix products differ from the
// CPU's in the third digit: the comparison runs in full float32.
void full_float32_on_the_gpu() {
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setDeterministicCuDNN(true);
}

class GpuUpdateTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GpuUpdateTest, OneUpdateOnTheGpuEqualsTheSameUpdateOnTheCpu) {
  RL_REQUIRE_CUDA();
  if (testing::gpu_test_device().is_cuda()) full_float32_on_the_gpu();
  const std::string algorithm = GetParam();
  const fs::path dir = fs::temp_directory_path() / ("rl_gpu_update_test_" + std::to_string(::getpid()));
  for (const Model& model : {Model{"mlp", "none"}, Model{"mlp", "lstm"}, Model{"minatar_cnn", "none"},
                             Model{"minatar_cnn", "lstm"}, Model{"nature_cnn", "none"}, Model{"nature_cnn", "lstm"}}) {
    SCOPED_TRACE(algorithm + " " + model.encoder + " core=" + model.core);
    const EnvSpec spec = spec_for(model.encoder);
    const PolicyConfig policy = policy_for(model);
    std::unique_ptr<Learner> cpu = make_learner(algorithm, spec, policy, torch::kCPU);
    std::unique_ptr<Learner> gpu = make_learner(algorithm, spec, policy, testing::gpu_test_device());
    // The same weights on both (a CPU checkpoint loads onto the GPU).
    fs::remove_all(dir);
    fs::create_directories(dir);
    cpu->save(dir);
    gpu->load(dir);
    const Unroll unroll = random_unroll(spec, policy, 12, 4, 11);
    const Batch batch = Batch::of({&unroll});
    const MetricRow cpu_metrics = cpu->update(batch, 0.0);
    const MetricRow gpu_metrics = gpu->update(batch, 0.0);
    double worst = 0;
    std::string worst_name;
    for (const auto& p : cpu->model().named_parameters()) {
      const torch::Tensor on_gpu = gpu->model().named_parameters()[p.key()];
      ASSERT_EQ(on_gpu.device(), testing::gpu_test_device()) << p.key();
      const double d = relative_difference(on_gpu, p.value());
      if (d > worst) worst = d, worst_name = p.key();
    }
    EXPECT_LE(worst, 1e-4) << "largest relative difference in " << worst_name;
    const std::map<std::string, double> on_gpu(gpu_metrics.begin(), gpu_metrics.end());
    for (const auto& [name, value] : cpu_metrics) {
      if (name.find("loss") == std::string::npos) continue;
      const double other = on_gpu.at(name);
      EXPECT_NEAR(other, value, 1e-4 * std::max(1.0, std::abs(value))) << name;
    }
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, GpuUpdateTest, ::testing::Values("ppo", "impala", "appo"),
                         [](const auto& info) { return info.param; });

// A checkpoint of a GPU learner loads into a CPU learner (and evaluates
// there: rl_eval builds its model on the CPU) with the same parameters.
TEST(GpuCheckpointTest, AGpuCheckpointLoadsOnTheCpu) {
  RL_REQUIRE_CUDA();
  const EnvSpec spec = spec_for("minatar_cnn");
  const PolicyConfig policy = policy_for({"minatar_cnn", "lstm"});
  std::unique_ptr<Learner> gpu = make_learner("impala", spec, policy, testing::gpu_test_device());
  const Unroll unroll = random_unroll(spec, policy, 8, 4, 2);
  gpu->update(Batch::of({&unroll}), 0.0);
  const fs::path dir = fs::temp_directory_path() / ("rl_gpu_checkpoint_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  gpu->save(dir);
  std::unique_ptr<Learner> cpu = make_learner("impala", spec, policy, torch::kCPU);
  cpu->load(dir);
  for (const auto& p : gpu->model().named_parameters()) {
    const torch::Tensor on_cpu = cpu->model().named_parameters()[p.key()];
    EXPECT_TRUE(on_cpu.device().is_cpu());
    EXPECT_TRUE(torch::equal(on_cpu, p.value().detach().to(torch::kCPU))) << p.key();
  }
  EXPECT_EQ(cpu->version(), gpu->version());
  // It trains on from there, on the CPU.
  cpu->update(Batch::of({&unroll}), 0.0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rl
