// rl_bench_pipeline: the speed limit of an actor, and the cost of the wire.
//
//   rl_bench_pipeline [--env CartPole-v1] [--num-envs 16] [--unroll-length 20] [--seconds 3] [--json]
//
// Runs what an actor process runs, in one process and one thread, without
// any transport: a RolloutWorker (VectorEnv of k envs, one batched forward of
// the default actor-critic network per step, sampling, Unroll assembly).
// That rate is the limit an end-to-end run can approach per actor core.
// Then it measures the wire: bytes per env step of a serialized unroll, and
// the time to serialize it (actor side) and to parse and validate it
// (learner side), per env step.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "rl/runtime/cli.h"
#include "actors/rollout_worker.h"
#include "envs/builtin.h"
#include "rl/nn/gemm/gemm.h"
#include "rl/nn/threads.h"
#include "rl/wire/messages.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rl_bench_pipeline: actor-side limit (env + batched inference, no transport) and wire cost"};
  std::string env_id = "CartPole-v1";
  int num_envs = 16, unroll_length = 20;
  double seconds = 3.0;
  bool json = false;
  rl::PolicyConfig policy;
  app.add_option("--env", env_id, "Env id");
  app.add_option("--encoder", policy.encoder, "The policy's encoder (policy.encoder: mlp, minatar_cnn, ...)");
  app.add_option("--fast-path", policy.fast_path,
                 "auto | off: actor inference without libtorch where the model allows (policy.fast_path)")
      ->check(CLI::IsMember({"auto", "off"}));
  app.add_option("--num-envs", num_envs, "Envs per actor (k)")->check(CLI::PositiveNumber);
  app.add_option("--unroll-length", unroll_length, "Steps per unroll (T)")->check(CLI::PositiveNumber);
  app.add_option("--seconds", seconds, "Seconds of each measurement")->check(CLI::PositiveNumber);
  app.add_flag("--json", json, "One JSON object");
  rl::cli::add_version(app, "rl_bench_pipeline", [] { return std::string("fast path ") + rl::gemm_kernels().name + ", " + rl::blas_description(); });
  if (auto code = rl::cli::parse(app, argc, argv, "rl_bench_pipeline")) return *code;

  try {
    rl::set_compute_threads(1);
    rl::EnvRegistry registry;
    rl::envs::register_builtin_envs(registry);
    rl::RolloutConfig rollout{.num_envs = num_envs, .num_steps = unroll_length};
    policy.validate();
    rl::RolloutWorker worker(registry, env_id, {}, rollout, policy, rl::NormalizeConfig{}, 1, 0);
    rl::Unroll unroll;
    worker.collect(unroll);  // warm-up

    int64_t steps = 0;
    auto start = Clock::now();
    while (seconds_since(start) < seconds) {
      worker.collect(unroll);
      steps += unroll.num_samples();
    }
    const double limit = steps / seconds_since(start);

    rl::wire::Sender sender{"bench", "actor-0", 0};
    const rl::wire::UnrollLimits limits{.obs_size = worker.spec().obs_size(),
                                        .byte_obs = worker.spec().observation_space.is_uint8(),
                                        .discrete = worker.spec().action_space.is_discrete(),
                                        .num_actions = worker.spec().action_space.n(),
                                        .action_size = worker.spec().action_size()};
    int64_t encoded = 0, bytes = 0;
    start = Clock::now();
    while (seconds_since(start) < seconds / 3) {
      auto frames = rl::wire::serialize(rl::wire::encode_unroll(sender, unroll));
      bytes = 0;
      for (const auto& f : frames) bytes += static_cast<int64_t>(f.size());
      ++encoded;
    }
    const double serialize_us = seconds_since(start) * 1e6 / static_cast<double>(encoded * unroll.num_samples());
    const auto frames = rl::wire::serialize(rl::wire::encode_unroll(sender, unroll));
    int64_t decoded = 0;
    start = Clock::now();
    while (seconds_since(start) < seconds / 3) {
      auto copy = frames;
      rl::Unroll back = rl::wire::decode_unroll(rl::wire::parse(std::move(copy)), limits);
      decoded += back.num_steps > 0;
    }
    const double decode_us = seconds_since(start) * 1e6 / static_cast<double>(decoded * unroll.num_samples());
    const double bytes_per_step = static_cast<double>(bytes) / static_cast<double>(unroll.num_samples());

    if (json) {
      nlohmann::ordered_json out = {{"env", env_id},
                                    {"num_envs", num_envs},
                                    {"unroll_length", unroll_length},
                                    {"blas", rl::blas_description()},
                                    {"inference", worker.policy().fast() ? std::string("fast path, Eigen ") +
                                                                               rl::gemm_kernels().name
                                                                         : std::string("libtorch")},
                                    {"limit_steps_per_second", limit},
                                    {"wire_bytes_per_step", bytes_per_step},
                                    {"serialize_us_per_step", serialize_us},
                                    {"parse_validate_us_per_step", decode_us}};
      std::cout << out.dump() << std::endl;
    } else {
      std::printf("%s, %d envs x %d steps, one thread, %s; inference: %s\n", env_id.c_str(), num_envs,
                  unroll_length, rl::blas_description().c_str(),
                  worker.policy().fast() ? (std::string("fast path, Eigen ") + rl::gemm_kernels().name).c_str()
                                         : "libtorch");
      std::printf("  limit (env + batched inference + unroll, no transport): %.0f env steps/s\n", limit);
      std::printf("  wire: %.1f bytes per env step; serialize %.3f us, parse + validate %.3f us per env step\n",
                  bytes_per_step, serialize_us, decode_us);
    }
  } catch (const std::exception& e) {
    rl::cli::report_error("rl_bench_pipeline", e.what());
    return 1;
  }
  return 0;
}
