// rl_bench_policy: the small-policy fast path against plain libtorch, side
// by side in one run on one thread.
//
//   rl_bench_policy [--seconds 2] [--rounds 3] [--json]
//
// 1. Actor inference (PolicyActor::act: normalize, forward, sample,
//    log-probability) of CartPole's default network (4-64-64 tanh actor and
//    critic), batch 1, 16 and 64, libtorch vs the fast path.
// 2. A CleanRL-shaped PPO iteration on CartPole-v1: 4 envs x 128 steps
//    collected, then 4 epochs x 4 minibatches of 128 with Adam and gradient
//    clipping; samples per second end to end, plain vs fast. Rounds
//    alternate between the two so that machine noise hits both alike.
// 3. The arithmetic floor: the FLOPs of one iteration (forward and backward
//    passes) over the best sgemm rate measured here (OpenBLAS's or the fast
//    path's Eigen kernel, 512^3), in samples per second.
#include <CLI/CLI.hpp>
#include <cblas.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "rl/runtime/cli.h"
#include "actors/rollout_worker.h"
#include "envs/builtin.h"
#include "learners/ppo_learner.h"
#include "rl/nn/gemm/gemm.h"
#include "rl/nn/mlp.h"
#include "rl/nn/threads.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

constexpr int kNumEnvs = 4, kNumSteps = 128;

rl::PolicyConfig policy_config(bool fast) {
  rl::PolicyConfig c;  // 64-64 tanh, separate actor and critic: CleanRL's
  c.fast_path = fast ? "on" : "off";
  return c;
}

// Seconds per act() call of `rows` observations.
double inference_seconds(const rl::EnvSpec& spec, bool fast, int64_t rows, double seconds) {
  rl::PolicyActor actor(spec, policy_config(fast), rl::NormalizeConfig{}, 1);
  std::vector<float> obs(rows * spec.obs_size());
  rl::Rng rng(2);
  for (float& x : obs) x = static_cast<float>(rng.normal());
  std::vector<int64_t> actions(rows);
  std::vector<float> log_probs(rows), values(rows);
  for (int i = 0; i < 100; ++i) actor.act(obs, false, actions, {}, log_probs, values);  // warm-up
  int64_t calls = 0;
  const auto start = Clock::now();
  while (seconds_since(start) < seconds) {
    for (int i = 0; i < 100; ++i) actor.act(obs, false, actions, {}, log_probs, values);
    calls += 100;
  }
  return seconds_since(start) / double(calls);
}

struct PpoRun {
  rl::RolloutWorker worker;
  rl::PpoLearner learner;
  rl::Unroll unroll;
  rl::Batch batch;
  double rollout_s = 0, update_s = 0;
  int64_t iterations = 0;

  PpoRun(const rl::EnvRegistry& registry, bool fast)
      : worker(registry, "CartPole-v1", {}, rl::RolloutConfig{.num_envs = kNumEnvs, .num_steps = kNumSteps},
               policy_config(fast), rl::NormalizeConfig{}, 1, 0),
        learner(worker.spec(), policy_config(fast), rl::NormalizeConfig{}, rl::PpoConfig{}, torch::kCPU, 1) {}

  // One iteration as the in-process trainer runs it: weights to the actor,
  // collect, update.
  void iterate() {
    auto t0 = Clock::now();
    worker.policy().load(learner.model(), learner.obs_stats(), learner.version());
    worker.collect(unroll);
    auto t1 = Clock::now();
    const std::vector<const rl::Unroll*> unrolls{&unroll};
    batch.assemble(unrolls);
    learner.update(batch, 0.0);
    auto t2 = Clock::now();
    rollout_s += std::chrono::duration<double>(t1 - t0).count();
    update_s += std::chrono::duration<double>(t2 - t1).count();
    ++iterations;
  }
  double samples_per_second() const {
    return double(iterations * kNumEnvs * kNumSteps) / (rollout_s + update_s);
  }
};

// FLOP/s of a single-precision product [m, k] x [n, k]^T, through OpenBLAS's
// sgemm or through the fast path's own kernel (Eigen).
double gemm_rate(bool openblas, int m, int n, int k, double seconds) {
  std::vector<float> a(size_t(m) * k, 0.5f), b(size_t(k) * n, 0.25f), c(size_t(m) * n);
  int64_t calls = 0;
  const auto start = Clock::now();
  while (seconds_since(start) < seconds) {
    if (openblas) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.f, a.data(), k, b.data(), k, 0.f,
                  c.data(), n);
    } else {
      rl::gemm_kernels().nt(m, n, k, a.data(), b.data(), c.data());
    }
    ++calls;
  }
  return 2.0 * m * n * k * double(calls) / seconds_since(start);
}

// A CNN encoder's throughput on libtorch (one thread): actor inference at
// batch 1 and 64, and update samples/s (forward, backward and an Adam step
// on 256-sample batches), next to its arithmetic floor: the FLOPs of a
// sample's forward (convolutions and FC layers, counted from the layer
// shapes) and backward (twice the forward) at the best sgemm rate.
struct CnnFigures {
  double inference_sps_batch1 = 0, inference_sps_batch64 = 0, update_sps = 0;
  double forward_flops = 0, floor_inference_sps = 0, floor_update_sps = 0;
};

CnnFigures measure_cnn(const std::string& encoder, const std::vector<int64_t>& shape, int64_t actions,
                       double peak_flops, double seconds) {
  rl::PolicyConfig config;
  config.encoder = encoder;
  const rl::Space obs_space = rl::Space::box_u8(shape, 0, 255);
  rl::ActorCritic model(obs_space, rl::Space::discrete(actions), config);
  const int64_t d = obs_space.flat_size();
  CnnFigures f;
  // FLOPs: 2 per multiply-add of every convolution and linear layer, with
  // each convolution's output size read off a probe forward.
  {
    torch::NoGradGuard no_grad;
    torch::Tensor x = torch::zeros({1, shape[0], shape[1], shape[2]});
    std::vector<torch::nn::Conv2dImpl*> convs;
    std::vector<torch::nn::LinearImpl*> linears;
    for (const auto& module : model->modules(/*include_self=*/false)) {
      if (auto* conv = module->as<torch::nn::Conv2d>()) convs.push_back(conv);
      if (auto* linear = module->as<torch::nn::Linear>()) linears.push_back(linear);
    }
    for (auto* linear : linears) f.forward_flops += 2.0 * double(linear->weight.numel());
    // The encoders measured here are plain stacks: each convolution takes
    // the previous one's output.
    for (auto* conv : convs) {
      x = conv->forward(x);
      f.forward_flops += 2.0 * double(conv->weight.numel()) * double(x.size(2) * x.size(3));
    }
  }
  auto rate = [&](int64_t rows) {
    const torch::Tensor obs = torch::randint(0, 2, {rows, d}).to(torch::kFloat);
    c10::InferenceMode inference;
    int64_t calls = 0;
    model->forward(obs);  // warm-up
    const auto start = Clock::now();
    while (seconds_since(start) < seconds) {
      model->forward(obs);
      ++calls;
    }
    return double(rows * calls) / seconds_since(start);
  };
  f.inference_sps_batch1 = rate(1);
  f.inference_sps_batch64 = rate(64);
  {
    const int64_t rows = 256;
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-4));
    const torch::Tensor obs = torch::randint(0, 2, {rows, d}).to(torch::kFloat);
    int64_t calls = 0;
    auto update = [&] {
      const rl::PolicyOutput out = model->forward(obs);
      const torch::Tensor loss = out.params.logsumexp(-1).mean() + out.value.pow(2).mean();
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    };
    update();  // warm-up
    const auto start = Clock::now();
    while (seconds_since(start) < seconds) {
      update();
      ++calls;
    }
    f.update_sps = double(rows * calls) / seconds_since(start);
  }
  f.floor_inference_sps = peak_flops / f.forward_flops;
  f.floor_update_sps = peak_flops / (3.0 * f.forward_flops);
  return f;
}

// 1. Actor inference, libtorch against the fast path, batches of 1, 16, 64.
void bench_inference(const rl::EnvSpec& spec, double seconds, bool json, nlohmann::ordered_json& out) {
  if (!json) std::printf("%-28s %12s %12s %9s\n", "actor inference (CartPole)", "libtorch us", "fast us", "speedup");
  for (int64_t rows : {1, 16, 64}) {
    const double plain = inference_seconds(spec, false, rows, seconds / 2);
    const double fast = inference_seconds(spec, true, rows, seconds / 2);
    out["inference_us_libtorch_batch" + std::to_string(rows)] = plain * 1e6;
    out["inference_us_fast_batch" + std::to_string(rows)] = fast * 1e6;
    out["inference_speedup_batch" + std::to_string(rows)] = plain / fast;
    if (!json) std::printf("  batch %-20lld %12.2f %12.2f %8.1fx\n", (long long)rows, plain * 1e6, fast * 1e6, plain / fast);
  }
}

double per_iteration_ms(const PpoRun& r, double total) { return 1e3 * total / double(r.iterations); }

// 2. PPO iterations on both paths, alternating rounds of `seconds` each.
void bench_ppo(PpoRun& plain, PpoRun& fast, double seconds, int rounds, nlohmann::ordered_json& out) {
  plain.iterate();  // warm-up (first allocations)
  fast.iterate();
  for (PpoRun* run : {&plain, &fast}) run->rollout_s = run->update_s = 0, run->iterations = 0;
  for (int round = 0; round < rounds; ++round) {
    for (PpoRun* run : {&plain, &fast}) {
      const auto start = Clock::now();
      while (seconds_since(start) < seconds) run->iterate();
    }
  }
  out["ppo_samples_per_second_plain"] = plain.samples_per_second();
  out["ppo_samples_per_second_fast"] = fast.samples_per_second();
  out["ppo_speedup"] = fast.samples_per_second() / plain.samples_per_second();
  out["ppo_rollout_ms_plain"] = per_iteration_ms(plain, plain.rollout_s);
  out["ppo_update_ms_plain"] = per_iteration_ms(plain, plain.update_s);
  out["ppo_rollout_ms_fast"] = per_iteration_ms(fast, fast.rollout_s);
  out["ppo_update_ms_fast"] = per_iteration_ms(fast, fast.update_s);
}

// 3. The floor: every forward and backward FLOP of an iteration at the best
// sgemm rate of this core.
struct Floor {
  double flops = 0, openblas_peak = 0, openblas_at_shape = 0, own_peak = 0, own_at_shape = 0;
  double peak() const { return std::max(openblas_peak, own_peak); }
  double samples_per_second() const { return kNumEnvs * kNumSteps / (flops / peak()); }
};
Floor measure_floor(const rl::EnvSpec& spec, double seconds, nlohmann::ordered_json& out) {
  const rl::MlpActorCritic net(rl::MlpSpec::of(spec.obs_size(), spec.action_space, policy_config(true)));
  const rl::PpoConfig ppo;
  const double samples = kNumEnvs * kNumSteps;
  Floor f;
  f.flops = samples * net.forward_flops_per_row()                        // rollout
            + kNumEnvs * net.forward_flops_per_row()                     // bootstrap
            + ppo.update_epochs * samples * (net.forward_flops_per_row() + net.backward_flops_per_row());
  f.openblas_peak = gemm_rate(true, 512, 512, 512, seconds / 2);
  f.openblas_at_shape = gemm_rate(true, 128, 64, 64, seconds / 2);
  f.own_peak = gemm_rate(false, 512, 512, 512, seconds / 2);
  f.own_at_shape = gemm_rate(false, 128, 64, 64, seconds / 2);
  out["gemm"] = rl::gemm_kernels().name;
  out["flops_per_iteration"] = f.flops;
  out["sgemm_gflops_512_openblas"] = f.openblas_peak / 1e9;
  out["sgemm_gflops_128x64x64_openblas"] = f.openblas_at_shape / 1e9;
  out["sgemm_gflops_512_fast_path"] = f.own_peak / 1e9;
  out["sgemm_gflops_128x64x64_fast_path"] = f.own_at_shape / 1e9;
  out["floor_samples_per_second"] = f.samples_per_second();
  return f;
}

void record_cnn(const std::string& name, const CnnFigures& f, nlohmann::ordered_json& out) {
  const std::string key = "cnn_" + name;
  out[key + "_forward_mflop"] = f.forward_flops / 1e6;
  out[key + "_inference_samples_per_second_batch1"] = f.inference_sps_batch1;
  out[key + "_inference_samples_per_second_batch64"] = f.inference_sps_batch64;
  out[key + "_inference_floor_samples_per_second"] = f.floor_inference_sps;
  out[key + "_update_samples_per_second"] = f.update_sps;
  out[key + "_update_floor_samples_per_second"] = f.floor_update_sps;
}

// The tables after the inference one, for a reader.
void print_report(const PpoRun& plain, const PpoRun& fast, int rounds, const Floor& floor, const CnnFigures& minatar,
                  const CnnFigures& nature) {
  std::printf("\nPPO iteration, CartPole-v1, %d envs x %d steps, 4 epochs x 4 minibatches (%d rounds)\n",
              kNumEnvs, kNumSteps, rounds);
  std::printf("  %-10s %14s %12s %12s\n", "path", "samples/s", "rollout ms", "update ms");
  for (auto [name, run] : {std::pair{"libtorch", &plain}, std::pair{"fast", &fast}}) {
    std::printf("  %-10s %14.0f %12.2f %12.2f\n", name, run->samples_per_second(),
                per_iteration_ms(*run, run->rollout_s), per_iteration_ms(*run, run->update_s));
  }
  std::printf("  speedup %.1fx\n\n", fast.samples_per_second() / plain.samples_per_second());
  std::printf("arithmetic floor: %.2f MFLOP per iteration (forward and backward passes)\n", floor.flops / 1e6);
  std::printf("  sgemm GFLOP/s     512^3  128x64x64\n");
  std::printf("  OpenBLAS       %7.1f %10.1f\n", floor.openblas_peak / 1e9, floor.openblas_at_shape / 1e9);
  std::printf("  fast path      %7.1f %10.1f   (%s)\n", floor.own_peak / 1e9, floor.own_at_shape / 1e9,
              rl::gemm_kernels().name);
  std::printf("  -> %.0f samples/s at the best 512^3 rate; the fast path runs at %.0f%% of it\n",
              floor.samples_per_second(), 100.0 * fast.samples_per_second() / floor.samples_per_second());
  std::printf("\nCNN encoders on libtorch (1 thread), samples/s and the floor at the best sgemm rate\n");
  std::printf("  %-26s %9s %12s %12s %12s %12s %12s\n", "encoder", "MFLOP/fw", "infer b1", "infer b64",
              "infer floor", "update b256", "update floor");
  for (auto [name, f] : {std::pair{"minatar_cnn 4x10x10", &minatar}, std::pair{"nature_cnn 4x84x84", &nature}}) {
    std::printf("  %-26s %9.2f %12.0f %12.0f %12.0f %12.0f %12.0f\n", name, f->forward_flops / 1e6,
                f->inference_sps_batch1, f->inference_sps_batch64, f->floor_inference_sps, f->update_sps,
                f->floor_update_sps);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rl_bench_policy: small-policy fast path vs libtorch (inference, PPO iteration, floor)"};
  double seconds = 2.0;
  int rounds = 3;
  bool json = false;
  app.add_option("--seconds", seconds, "Seconds of each measurement")->check(CLI::PositiveNumber);
  app.add_option("--rounds", rounds, "Alternating rounds of the PPO comparison")->check(CLI::PositiveNumber);
  app.add_flag("--json", json, "One JSON object");
  rl::cli::add_version(app, "rl_bench_policy", [] { return std::string("fast path ") + rl::gemm_kernels().name + ", " + rl::blas_description(); });
  if (auto code = rl::cli::parse(app, argc, argv, "rl_bench_policy")) return *code;

  try {
    rl::set_compute_threads(1);
    rl::EnvRegistry registry;
    rl::envs::register_builtin_envs(registry);
    const rl::EnvSpec spec = registry.spec("CartPole-v1");
    const std::string blas = rl::blas_description();
    if (!json) {
      std::printf("BLAS (libtorch): %s, 1 thread\nfast path products: Eigen, %s\n\n", blas.c_str(),
                  rl::gemm_kernels().name);
    }
    nlohmann::ordered_json out = {{"blas", blas}};
    bench_inference(spec, seconds, json, out);
    PpoRun plain(registry, false), fast(registry, true);
    bench_ppo(plain, fast, seconds, rounds, out);
    const Floor floor = measure_floor(spec, seconds, out);
    // 4. CNN encoders on libtorch: the MinAtar network on a 4x10x10 grid and
    // the Nature CNN on 4x84x84 frames.
    const CnnFigures minatar = measure_cnn("minatar_cnn", {4, 10, 10}, 6, floor.peak(), seconds / 2);
    const CnnFigures nature = measure_cnn("nature_cnn", {4, 84, 84}, 18, floor.peak(), seconds / 2);
    record_cnn("minatar_cnn", minatar, out);
    record_cnn("nature_cnn", nature, out);
    if (json) {
      std::cout << out.dump() << '\n';
    } else {
      print_report(plain, fast, rounds, floor, minatar, nature);
    }
  } catch (const std::exception& e) {
    rl::cli::report_error("rl_bench_policy", e.what());
    return 1;
  }
  return 0;
}
