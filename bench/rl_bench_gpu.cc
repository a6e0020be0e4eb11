// rl_bench_gpu: the IMPALA learner's update on each device, side by side in
// one run: updates/s and samples/s for a model and batch on the CPU and on
// CUDA, the FLOP/s that makes and its fraction of the GPU's peak, and the
// host-to-device copy of a batch's observations (pageable and pinned).
//
//   rl_bench_gpu [--devices cpu,cuda] [--models nature_cnn,impala_cnn_lstm]
//                [--unrolls 32] [--unroll-length 80] [--seconds 10]
//                [--gpu-name NAME | --peak-tflops X] [--threads N] [--json]
//
// Models: mlp (64-64 on 8 floats), minatar_cnn (4x10x10 bytes), nature_cnn
// and impala_cnn (4x84x84 bytes); a _lstm suffix adds a 256-unit LSTM core.
// A batch is `unrolls` unrolls of one env x `unroll-length` steps (IMPALA's
// 32 x 80 by default), with random observations and actions: the update's
// cost does not depend on their values.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "learners/impala_learner.h"
#include "rl/nn/threads.h"
#include "rl/runtime/cli.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Workload {
  rl::EnvSpec spec;
  rl::PolicyConfig policy;
};

Workload workload(const std::string& model) {
  Workload w;
  std::string encoder = model;
  const std::string suffix = "_lstm";
  if (model.size() > suffix.size() && model.ends_with(suffix)) {
    encoder = model.substr(0, model.size() - suffix.size());
    w.policy.core = "lstm";
    w.policy.lstm_size = 256;
  }
  w.policy.encoder = encoder;
  w.policy.activation = "relu";
  w.policy.fast_path = "off";  // the same libtorch update on every device
  w.spec.id = "Bench-v0";
  if (encoder == "mlp") {
    w.spec.observation_space = rl::Space::box({8}, -1.f, 1.f);
  } else if (encoder == "minatar_cnn") {
    w.spec.observation_space = rl::Space::box_u8({4, 10, 10}, 0, 1);
  } else if (encoder == "nature_cnn" || encoder == "impala_cnn") {
    w.spec.observation_space = rl::Space::box_u8({4, 84, 84}, 0, 255);
  } else {
    throw std::invalid_argument("--models: '" + model +
                                "' is not one of mlp, minatar_cnn, nature_cnn, impala_cnn (each with an optional _lstm)");
  }
  w.spec.action_space = rl::Space::discrete(18);
  return w;
}

std::vector<rl::Unroll> random_unrolls(const Workload& w, int64_t count, int64_t steps) {
  std::mt19937 gen(1);
  const bool bytes = w.spec.observation_space.is_uint8();
  const int64_t obs = w.spec.obs_size();
  std::vector<rl::Unroll> unrolls(count);
  for (rl::Unroll& u : unrolls) {
    u.resize(steps, 1, obs, 0, true, bytes);
    for (uint8_t& b : u.obs_u8) b = static_cast<uint8_t>(gen() & 1);
    for (float& x : u.obs) x = static_cast<float>(gen() % 1000) / 1000.f;
    for (int64_t t = 0; t < steps; ++t) {
      u.discrete_actions[t] = static_cast<int64_t>(gen() % 18);
      u.rewards[t] = static_cast<float>(gen() % 3) - 1.f;
      u.terminated[t] = gen() % 200 == 0;
      u.truncated[t] = 0;
      u.behaviour_log_probs[t] = std::log(1.f / 18.f);
      u.values[t] = 0.f;
    }
    if (w.policy.core == "lstm") {
      u.core_state_size = 2 * w.policy.lstm_size;
      u.core_state.assign(u.core_state_size, 0.f);
    }
  }
  return unrolls;
}

void synchronize(torch::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

struct UpdateFigures {
  double updates_per_second = 0, samples_per_second = 0, forward_flops = 0, achieved_tflops = 0;
  int64_t updates = 0;
};

UpdateFigures measure_updates(const Workload& w, const std::vector<rl::Unroll>& unrolls, torch::Device device,
                              double seconds) {
  rl::ImpalaLearner learner(w.spec, w.policy, rl::NormalizeConfig{}, rl::ImpalaConfig{}, device, 1);
  std::vector<const rl::Unroll*> pointers;
  for (const auto& u : unrolls) pointers.push_back(&u);
  rl::Batch batch;
  batch.assemble(pointers);
  learner.update(batch, 0.0);  // warm-up: allocations, cuDNN's choice of algorithms
  synchronize(device);
  UpdateFigures f;
  const auto start = Clock::now();
  while (f.updates < 2 || seconds_since(start) < seconds) {
    learner.update(batch, 0.0);
    ++f.updates;
  }
  synchronize(device);
  const double elapsed = seconds_since(start);
  f.updates_per_second = double(f.updates) / elapsed;
  f.samples_per_second = f.updates_per_second * double(batch.num_steps * batch.num_streams);
  f.forward_flops = learner.model().forward_flops();
  // Forward, then backward (about twice the forward) of every sample.
  f.achieved_tflops = 3.0 * f.forward_flops * f.samples_per_second / 1e12;
  return f;
}

// Milliseconds to copy `bytes` from host memory to the device, pageable and pinned.
std::pair<double, double> copy_milliseconds(int64_t bytes, torch::Device device) {
  const torch::Tensor pageable = torch::randint(0, 255, {bytes}, torch::kUInt8);
  const torch::Tensor pinned = pageable.pin_memory();
  auto time = [&](const torch::Tensor& host, bool non_blocking) {
    host.to(device, non_blocking);
    synchronize(device);
    const int reps = 20;
    const auto start = Clock::now();
    for (int i = 0; i < reps; ++i) host.to(device, non_blocking);
    synchronize(device);
    return seconds_since(start) / reps * 1e3;
  };
  return {time(pageable, false), time(pinned, true)};
}

// Dense peak FLOP/s of the lent GPUs, from NVIDIA's data sheets (SXM
// parts): FP32 on the CUDA cores, and TF32 on the tensor cores (which
// cuDNN's convolutions use by default).
struct Peak {
  double fp32_tflops = 0, tf32_tflops = 0;
};

Peak peak_of(const std::string& gpu_name) {
  if (gpu_name.find("H100") != std::string::npos && gpu_name.find("PCIe") != std::string::npos) return {51.2, 378.0};
  if (gpu_name.find("H100") != std::string::npos || gpu_name.find("H200") != std::string::npos) return {66.9, 494.7};
  if (gpu_name.find("A100") != std::string::npos) return {19.5, 156.0};
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"IMPALA learner updates on the CPU and on CUDA, side by side"};
  std::vector<std::string> devices{"cpu", "cuda"};
  std::vector<std::string> models{"nature_cnn", "impala_cnn_lstm"};
  int64_t unrolls = 32, unroll_length = 80;
  double seconds = 10, peak_tflops = 0;
  std::string gpu_name;
  bool json = false;
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  app.add_option("--devices", devices, "Devices to measure (cpu, cuda, cuda:N)")->delimiter(',');
  app.add_option("--models", models, "Models: mlp, minatar_cnn, nature_cnn, impala_cnn, each with an optional _lstm")
      ->delimiter(',');
  app.add_option("--unrolls", unrolls, "Unrolls per batch")->check(CLI::PositiveNumber);
  app.add_option("--unroll-length", unroll_length, "Steps per unroll")->check(CLI::PositiveNumber);
  app.add_option("--seconds", seconds, "Seconds of each measurement (at least 2 updates, after 1 of warm-up)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--gpu-name", gpu_name, "The GPU's name (nvidia-smi's), to look its peak FLOP/s up");
  app.add_option("--peak-tflops", peak_tflops, "The GPU's FP32 peak in TFLOP/s (instead of --gpu-name)");
  app.add_option("--threads", threads, "CPU threads of the CPU's update (default: one per core)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--json", json, "One JSON object");
  rl::cli::add_version(app, "rl_bench_gpu", [] { return std::string("libtorch on each device"); });
  if (auto code = rl::cli::parse(app, argc, argv, "rl_bench_gpu")) return *code;

  rl::set_compute_threads(threads);
  const Peak peak = peak_tflops > 0 ? Peak{peak_tflops, 0} : peak_of(gpu_name);
  nlohmann::ordered_json out;
  out["unrolls"] = unrolls;
  out["unroll_length"] = unroll_length;
  out["gpu_name"] = gpu_name;
  out["gpu_peak_fp32_tflops"] = peak.fp32_tflops;
  out["gpu_peak_tf32_tflops"] = peak.tf32_tflops;
  out["torch_threads"] = torch::get_num_threads();
  if (!json) {
    std::printf("IMPALA update, %lld unrolls x %lld steps; %d CPU threads\n", (long long)unrolls,
                (long long)unroll_length, torch::get_num_threads());
    std::printf("%-18s %-8s %10s %12s %12s %10s %10s\n", "model", "device", "updates/s", "samples/s", "GFLOP/fwd",
                "TFLOP/s", "of FP32pk");
  }
  try {
    for (const std::string& model : models) {
      const Workload w = workload(model);
      const std::vector<rl::Unroll> batch = random_unrolls(w, unrolls, unroll_length);
      for (const std::string& name : devices) {
        const torch::Device device(name);
        const int64_t gpus = device.is_cuda() ? static_cast<int64_t>(torch::cuda::device_count()) : 0;
        if (device.is_cuda() && (gpus == 0 || (device.has_index() && device.index() >= gpus))) {
          throw std::invalid_argument("--devices: " + name + ": this host has " + std::to_string(gpus) +
                                      " CUDA device(s)");
        }
        const UpdateFigures f = measure_updates(w, batch, device, seconds);
        const double fraction = device.is_cuda() && peak.fp32_tflops > 0 ? f.achieved_tflops / peak.fp32_tflops : 0;
        nlohmann::ordered_json row;
        row["updates_per_second"] = f.updates_per_second;
        row["samples_per_second"] = f.samples_per_second;
        row["updates_measured"] = f.updates;
        row["forward_gflops_per_sample"] = f.forward_flops / 1e9;
        row["achieved_tflops"] = f.achieved_tflops;
        if (device.is_cuda()) row["fraction_of_fp32_peak"] = fraction;
        out[model][name] = row;
        if (!json) {
          std::printf("%-18s %-8s %10.2f %12.0f %12.4f %10.3f %9.1f%%\n", model.c_str(), name.c_str(),
                      f.updates_per_second, f.samples_per_second, f.forward_flops / 1e9, f.achieved_tflops,
                      100 * fraction);
        }
      }
      for (const std::string& name : devices) {
        const torch::Device device(name);
        if (!device.is_cuda() || !w.spec.observation_space.is_uint8()) continue;
        const int64_t bytes = unrolls * (unroll_length + 1) * w.spec.obs_size();
        const auto [pageable_ms, pinned_ms] = copy_milliseconds(bytes, device);
        out[model][name]["obs_copy_mb"] = double(bytes) / 1e6;
        out[model][name]["obs_copy_ms_pageable"] = pageable_ms;
        out[model][name]["obs_copy_ms_pinned"] = pinned_ms;
        if (!json) {
          std::printf("  %s: the batch's %.1f MB of observations to %s in %.2f ms pageable, %.2f ms pinned\n",
                      model.c_str(), double(bytes) / 1e6, name.c_str(), pageable_ms, pinned_ms);
        }
      }
    }
  } catch (const std::invalid_argument& e) {
    rl::cli::report_error("rl_bench_gpu", e.what());
    return rl::cli::kUsage;
  } catch (const std::exception& e) {
    rl::cli::report_error("rl_bench_gpu", e.what());
    return rl::cli::kFailed;
  }
  if (json) std::cout << out.dump() << "\n";
  return 0;
}
