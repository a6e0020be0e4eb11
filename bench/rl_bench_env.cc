// rl_bench_env: env throughput, the raw single-env loop against the VectorEnv,
// measured side by side in one run on the same core.
//
//   rl_bench_env [--env ID] [--num-envs 64] [--threads 1] [--seconds 2] [--json]
//
// Both loops take their actions from the same precomputed random pool, so
// the policy costs nothing and the ratio shows only the VectorEnv's
// overhead (batch arrays, bookkeeping, auto-reset, action checks). A third
// loop steps k raw envs in turn without the VectorEnv. For MuJoCo envs a
// fourth loop is the bare simulator: ctrl, frame_skip mj_step calls and
// mj_rnePostConstraint on an mjData of the same model, reset (mj_resetData,
// mj_forward) as often as the env's episodes ended in the env loop. The
// loops are run in alternating rounds and the median round of each is
// reported, which keeps a noisy neighbour from favouring one side.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <mujoco/mujoco.h>

#include "rl/runtime/cli.h"
#include "envs/builtin.h"
#include "envs/mujoco/mujoco_env.h"
#include "rl/env/evaluation.h"
#include "rl/env/plugin.h"
#include "rl/env/registry.h"
#include "rl/env/vector_env.h"

namespace {

using Clock = std::chrono::steady_clock;

struct BenchArgs {
  std::string env_id;
  int num_envs = 64;
  int threads = 1;
  double seconds = 2.0;
  int rounds = 5;
  bool json = false;
  bool no_pin = false;
  std::vector<std::string> plugins;
};

// A pool of random actions shared by both loops: `batches` batches of k.
struct ActionPool {
  static constexpr int kBatches = 64;
  std::vector<int64_t> discrete;
  std::vector<float> box;
  int64_t width = 1;
};

ActionPool make_pool(const rl::EnvSpec& spec, int k) {
  ActionPool pool;
  pool.width = spec.action_size();
  rl::RandomPolicy policy(spec.action_space, 1234);
  if (spec.action_space.is_discrete()) {
    pool.discrete.resize(static_cast<size_t>(ActionPool::kBatches) * k);
  } else {
    pool.box.resize(static_cast<size_t>(ActionPool::kBatches) * k * pool.width);
  }
  policy.act({}, pool.discrete, pool.box);
  return pool;
}

// One env's reset and step into an observation row of its own element
// type: bytes for a ByteEnv (MinAtar), floats otherwise, so that the raw
// loops below pay no widening the VectorEnv does not pay.
void reset_row(rl::Env& env, std::span<float> obs) { env.reset(std::nullopt, obs); }
void reset_row(rl::Env& env, std::span<uint8_t> obs) { static_cast<rl::ByteEnv&>(env).reset(std::nullopt, obs); }
rl::StepResult step_row(rl::Env& env, const rl::Action& a, std::span<float> obs, std::span<float> info) {
  return env.step(a, obs, info);
}
rl::StepResult step_row(rl::Env& env, const rl::Action& a, std::span<uint8_t> obs, std::span<float> info) {
  return static_cast<rl::ByteEnv&>(env).step(a, obs, info);
}

// Steps per second of one env stepped directly, with the same time limit
// and reset-on-done as the VectorEnv. Counts episodes into *episodes.
template <typename T>
double raw_round_of(rl::Env& env, const rl::EnvSpec& spec, const ActionPool& pool, double seconds,
                    int64_t* episodes) {
  std::vector<T> obs(spec.obs_size());
  std::vector<float> info(spec.info_keys.size());
  const bool discrete = spec.action_space.is_discrete();
  const size_t pool_size = discrete ? pool.discrete.size() : pool.box.size() / pool.width;
  const int limit = spec.max_episode_steps;
  reset_row(env, std::span<T>(obs));
  int elapsed = 0;
  int64_t steps = 0;
  size_t cursor = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  while (true) {
    for (int i = 0; i < 1024; ++i) {
      const rl::Action action =
          discrete ? rl::Action::discrete(pool.discrete[cursor])
                   : rl::Action::box({pool.box.data() + cursor * pool.width,
                                      static_cast<size_t>(pool.width)});
      if (++cursor == pool_size) cursor = 0;
      const rl::StepResult r = step_row(env, action, std::span<T>(obs), info);
      ++elapsed;
      if (r.terminated || r.truncated || (limit > 0 && elapsed >= limit)) {
        reset_row(env, std::span<T>(obs));
        elapsed = 0;
        if (episodes) ++*episodes;
      }
    }
    steps += 1024;
    if (Clock::now() >= deadline) break;
  }
  return steps / std::chrono::duration<double>(Clock::now() - start).count();
}

double raw_round(rl::Env& env, const rl::EnvSpec& spec, const ActionPool& pool, double seconds,
                 int64_t* episodes = nullptr) {
  if (spec.observation_space.is_uint8()) return raw_round_of<uint8_t>(env, spec, pool, seconds, episodes);
  return raw_round_of<float>(env, spec, pool, seconds, episodes);
}

// Steps per second of k envs stepped directly in turn: the VectorEnv's
// work without the VectorEnv. Against raw_round it shows what interleaving
// k simulators costs by itself (caches, branch predictors inside libm).
template <typename T>
double raw_k_round_of(std::vector<std::unique_ptr<rl::Env>>& envs, const rl::EnvSpec& spec,
                      const ActionPool& pool, double seconds) {
  const size_t k = envs.size();
  const size_t obs_size = spec.obs_size();
  std::vector<T> obs(k * obs_size);
  std::vector<float> info(k * spec.info_keys.size());
  std::vector<int> elapsed(k, 0);
  const bool discrete = spec.action_space.is_discrete();
  const int limit = spec.max_episode_steps;
  const size_t num_info = spec.info_keys.size();
  for (size_t i = 0; i < k; ++i) reset_row(*envs[i], std::span<T>(obs.data() + i * obs_size, obs_size));
  const int64_t batch_steps = std::max<int64_t>(1, 1024 / static_cast<int64_t>(k));
  int64_t steps = 0;
  size_t batch = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  while (true) {
    for (int64_t s = 0; s < batch_steps; ++s) {
      for (size_t i = 0; i < k; ++i) {
        const size_t a = batch * k + i;
        const rl::Action action =
            discrete ? rl::Action::discrete(pool.discrete[a])
                     : rl::Action::box({pool.box.data() + a * pool.width,
                                        static_cast<size_t>(pool.width)});
        std::span<T> obs_row(obs.data() + i * obs_size, obs_size);
        const rl::StepResult r = step_row(*envs[i], action, obs_row, {info.data() + i * num_info, num_info});
        if (r.terminated || r.truncated || (limit > 0 && ++elapsed[i] >= limit)) {
          reset_row(*envs[i], obs_row);
          elapsed[i] = 0;
        }
      }
      if (++batch == ActionPool::kBatches) batch = 0;
    }
    steps += batch_steps * static_cast<int64_t>(k);
    if (Clock::now() >= deadline) break;
  }
  return steps / std::chrono::duration<double>(Clock::now() - start).count();
}

double raw_k_round(std::vector<std::unique_ptr<rl::Env>>& envs, const rl::EnvSpec& spec,
                   const ActionPool& pool, double seconds) {
  if (spec.observation_space.is_uint8()) return raw_k_round_of<uint8_t>(envs, spec, pool, seconds);
  return raw_k_round_of<float>(envs, spec, pool, seconds);
}

// Steps per second of the bare MuJoCo simulator behind `env`, with the
// env's frame skip, resetting every `episode_length` steps.
double simulator_round(const rl::envs::MujocoEnv& env, const ActionPool& pool, double seconds,
                       int64_t episode_length) {
  const mjModel* m = env.model();
  mjData* d = mj_makeData(m);
  mj_forward(m, d);
  const size_t pool_size = pool.box.size() / pool.width;
  int64_t steps = 0, elapsed = 0;
  size_t cursor = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  while (true) {
    for (int i = 0; i < 256; ++i) {
      const float* a = pool.box.data() + cursor * pool.width;
      if (++cursor == pool_size) cursor = 0;
      for (int j = 0; j < m->nu; ++j) d->ctrl[j] = a[j];
      for (int f = 0; f < env.frame_skip(); ++f) mj_step(m, d);
      mj_rnePostConstraint(m, d);
      if (++elapsed >= episode_length) {
        mj_resetData(m, d);
        mj_forward(m, d);
        elapsed = 0;
      }
    }
    steps += 256;
    if (Clock::now() >= deadline) break;
  }
  mj_deleteData(d);
  return steps / std::chrono::duration<double>(Clock::now() - start).count();
}

double vector_round(rl::VectorEnv& env, const ActionPool& pool, double seconds) {
  const int k = env.num_envs();
  const bool discrete = env.spec().action_space.is_discrete();
  const int64_t batch_steps = std::max<int64_t>(1, 1024 / k);
  int64_t steps = 0;
  int batch = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  while (true) {
    for (int64_t i = 0; i < batch_steps; ++i) {
      if (discrete) {
        env.step(std::span<const int64_t>(pool.discrete.data() + static_cast<size_t>(batch) * k, k));
      } else {
        env.step(std::span<const float>(pool.box.data() + static_cast<size_t>(batch) * k * pool.width,
                                        k * pool.width));
      }
      if (++batch == ActionPool::kBatches) batch = 0;
    }
    steps += batch_steps * k;
    if (Clock::now() >= deadline) break;
  }
  return steps / std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void bench_env(const rl::EnvRegistry& registry, const std::string& id, const BenchArgs& args) {
  rl::VectorEnvConfig config;
  config.num_envs = args.num_envs;
  config.num_threads = args.threads;
  config.seed = 1;
  rl::VectorEnv vec(registry, id, config);
  std::unique_ptr<rl::Env> raw = registry.make_raw(id);
  std::vector<std::unique_ptr<rl::Env>> raw_k;
  for (int i = 0; i < args.num_envs; ++i) raw_k.push_back(registry.make_raw(id));
  const rl::EnvSpec& spec = vec.spec();
  const ActionPool pool = make_pool(spec, args.num_envs);
  {
    std::vector<float> obs(spec.obs_size());
    raw->reset(1, obs);
    for (int i = 0; i < args.num_envs; ++i) raw_k[i]->reset(rl::derive_seed(1, i), obs);
  }
  vec.reset();

  const auto* mujoco = dynamic_cast<const rl::envs::MujocoEnv*>(raw.get());
  const double round_seconds = args.seconds / ((mujoco ? 3.0 : 2.0) * args.rounds);
  int64_t episodes = 0;
  const double warm_rate = raw_round(*raw, spec, pool, round_seconds / 4, &episodes);  // warm-up
  const int64_t episode_length = std::max<int64_t>(
      1, static_cast<int64_t>(warm_rate * round_seconds / 4 / std::max<int64_t>(episodes, 1)));
  raw_k_round(raw_k, spec, pool, round_seconds / 4);
  vector_round(vec, pool, round_seconds / 4);
  std::vector<double> raw_rates, raw_k_rates, vector_rates, sim_rates;
  for (int r = 0; r < args.rounds; ++r) {
    if (mujoco) sim_rates.push_back(simulator_round(*mujoco, pool, round_seconds, episode_length));
    raw_rates.push_back(raw_round(*raw, spec, pool, round_seconds));
    raw_k_rates.push_back(raw_k_round(raw_k, spec, pool, round_seconds));
    vector_rates.push_back(vector_round(vec, pool, round_seconds));
  }
  const double raw_rate = median(raw_rates);
  const double raw_k_rate = median(raw_k_rates);
  const double vector_rate = median(vector_rates);
  const double sim_rate = mujoco ? median(sim_rates) : 0.0;
  if (args.json) {
    nlohmann::ordered_json out = {{"env", id},
                                  {"num_envs", args.num_envs},
                                  {"threads", vec.num_threads()},
                                  {"raw_steps_per_second", raw_rate},
                                  {"vector_steps_per_second", vector_rate},
                                  {"ratio", vector_rate / raw_rate},
                                  {"raw_k_steps_per_second", raw_k_rate},
                                  {"ratio_to_raw_k", vector_rate / raw_k_rate}};
    if (mujoco) {
      out["simulator_steps_per_second"] = sim_rate;
      out["ratio_to_simulator"] = vector_rate / sim_rate;
      out["simulator_episode_length"] = episode_length;
    }
    std::cout << out.dump() << std::endl;
  } else {
    std::printf("%-28s %5d %7d %14.0f %14.0f %14.0f %7.3f %7.3f", id.c_str(), args.num_envs,
                vec.num_threads(), raw_rate, raw_k_rate, vector_rate, vector_rate / raw_rate,
                vector_rate / raw_k_rate);
    if (mujoco) {
      std::printf(" %14.0f %7.3f\n", sim_rate, vector_rate / sim_rate);
    } else {
      std::printf(" %14s %7s\n", "-", "-");
    }
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rl_bench_env: raw env loop vs VectorEnv throughput, side by side"};
  BenchArgs args;
  app.add_option("--env", args.env_id, "Env id (default: every registered env)");
  app.add_option("--num-envs", args.num_envs, "Envs in the VectorEnv")->check(CLI::PositiveNumber);
  app.add_option("--threads", args.threads, "VectorEnv threads")->check(CLI::PositiveNumber);
  app.add_option("--seconds", args.seconds, "Measured seconds per env (both loops together)")
      ->check(CLI::PositiveNumber);
  app.add_option("--rounds", args.rounds, "Alternating rounds per loop")->check(CLI::PositiveNumber);
  app.add_flag("--json", args.json, "One JSON object per env");
  app.add_flag("--no-pin", args.no_pin, "Do not pin the process to one core when --threads 1");
  app.add_option("--env-plugin", args.plugins, "Shared library that registers more envs")
      ->check(CLI::ExistingFile);
  rl::cli::add_version(app, "rl_bench_env", [] { return std::string("no network (steps envs)"); });
  if (auto code = rl::cli::parse(app, argc, argv, "rl_bench_env")) return *code;

  try {
    rl::EnvRegistry& registry = rl::default_registry();
    rl::envs::register_builtin_envs(registry);
    for (const auto& plugin : args.plugins) rl::load_env_plugin(plugin, registry);

    // One core for both loops: the comparison is per core.
    if (args.threads == 1 && !args.no_pin) {
      cpu_set_t set;
      CPU_ZERO(&set);
      if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
          if (CPU_ISSET(cpu, &set)) {
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            sched_setaffinity(0, sizeof(set), &set);
            break;
          }
        }
      }
    }
    if (!args.json) {
      std::printf("%-28s %5s %7s %14s %14s %14s %7s %7s %14s %7s\n", "env", "k", "threads",
                  "raw 1 env/s", "raw k envs/s", "vector/s", "ratio", "vs k", "simulator/s", "vs sim");
    }
    const std::vector<std::string> ids =
        args.env_id.empty() ? registry.ids() : std::vector<std::string>{args.env_id};
    for (const auto& id : ids) bench_env(registry, id, args);
  } catch (const std::exception& e) {
    rl::cli::report_error("rl_bench_env", e.what());
    return 1;
  }
  return 0;
}
