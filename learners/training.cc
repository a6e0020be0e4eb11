#include "learners/training.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <stdexcept>

#include "actors/rollout_worker.h"
#include "envs/builtin.h"
#include "rl/env/evaluation.h"
#include "rl/env/plugin.h"
#include "rl/runtime/checkpoint.h"
#include "rl/runtime/metrics.h"

namespace rl {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

std::string default_run_dir(const TrainingSetup& setup) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + setup.algorithm + "-" + setup.run.env + "-s" + std::to_string(setup.run.seed) +
         "-" + stamp;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + " is missing");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + " is corrupt: " + e.what());
  }
}

std::string format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof(text), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(text, sizeof(text), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return text;
}

}  // namespace

TrainingSummary train(const TrainingSetup& setup) {
  const RunConfig& run = setup.run;
  EnvRegistry& registry = default_registry();
  if (!registry.contains("CartPole-v1")) envs::register_builtin_envs(registry);
  for (const auto& plugin : run.plugin_paths()) load_env_plugin(plugin, registry);
  const EnvOptions env_options = run.parsed_env_options();

  // ---- Run directory --------------------------------------------------------
  const fs::path run_dir = run.run_dir.empty() ? fs::path(default_run_dir(setup)) : fs::path(run.run_dir);
  const fs::path checkpoints = run_dir / "checkpoints";
  if (setup.resume) {
    if (!fs::exists(checkpoints / "latest")) {
      throw std::invalid_argument("--resume: " + run_dir.string() + " has no checkpoint to resume from");
    }
  } else if (fs::exists(checkpoints / "latest")) {
    throw std::invalid_argument("run directory " + run_dir.string() +
                                " already holds a run; pass --resume to continue it or choose "
                                "another --run-dir");
  }
  fs::create_directories(checkpoints);
  write_text(run_dir / "config.yaml", setup.config_yaml);

  torch::set_num_threads(run.torch_threads);
  torch::manual_seed(run.seed);  // the initial weights
  const torch::Device device = resolve_device(run.device);

  RolloutWorker worker(registry, run.env, env_options, setup.rollout, setup.policy, setup.normalize,
                       run.seed, /*actor_id=*/0);
  std::unique_ptr<Learner> learner = setup.make_learner(worker.spec(), device);
  CheckpointStore store(checkpoints, run.keep_checkpoints);

  int64_t env_steps = 0;
  int64_t episodes = 0;
  double previous_wall = 0;  // wall seconds of the run before this process
  if (setup.resume) {
    const fs::path dir = verify_checkpoint(run_dir);
    learner->load(dir);
    const nlohmann::json state = read_json(dir / "state.json");
    if (state.at("env").get<std::string>() != run.env || state.at("algorithm") != setup.algorithm) {
      throw std::invalid_argument("--resume: the checkpoint is of " + state.at("algorithm").get<std::string>() +
                                  " on " + state.at("env").get<std::string>() + ", not " +
                                  setup.algorithm + " on " + run.env);
    }
    env_steps = state.at("env_steps").get<int64_t>();
    episodes = state.at("episodes").get<int64_t>();
    previous_wall = state.at("wall_seconds").get<double>();
    worker.policy().rng().set_state(state.at("actor_rng").get<std::array<uint64_t, 4>>());
    // Episodes in flight at the checkpoint are not saved: envs start anew,
    // from a seed that depends only on the checkpoint.
    worker.reset_envs(derive_seed(run.seed, 0x5EED0000ull + learner->updates()));
    std::printf("[%s %s] resuming %s at %lld env steps, %lld updates\n", setup.algorithm.c_str(),
                run.env.c_str(), dir.c_str(), static_cast<long long>(env_steps),
                static_cast<long long>(learner->updates()));
  }
  worker.policy().load(learner->model(), learner->obs_stats(), learner->version());

  MetricsCsv metrics(run_dir / "metrics.csv", /*append=*/setup.resume);
  auto save_checkpoint = [&](double wall) {
    store.write(env_steps, [&](const fs::path& dir) {
      learner->save(dir);
      write_text(dir / "config.yaml", setup.config_yaml);
      const nlohmann::ordered_json state = {{"algorithm", setup.algorithm},
                                            {"env", run.env},
                                            {"env_options", run.env_options},
                                            {"seed", run.seed},
                                            {"env_steps", env_steps},
                                            {"episodes", episodes},
                                            {"wall_seconds", wall},
                                            {"actor_rng", worker.policy().rng().state()}};
      write_text(dir / "state.json", state.dump(2) + "\n");
    });
  };

  std::printf("[%s %s] run directory %s, device %s, %lld env steps\n", setup.algorithm.c_str(),
              run.env.c_str(), run_dir.c_str(), device.str().c_str(),
              static_cast<long long>(run.total_steps));
  const auto start = Clock::now();
  auto wall_now = [&] { return previous_wall + std::chrono::duration<double>(Clock::now() - start).count(); };
  const int64_t start_steps = env_steps;
  auto last_log = Clock::now();
  int64_t next_checkpoint = run.checkpoint_every > 0
                                ? (env_steps / run.checkpoint_every + 1) * run.checkpoint_every
                                : INT64_MAX;
  std::deque<double> recent_returns, recent_lengths;  // the last 100 episodes
  std::vector<Unroll> unrolls(setup.unrolls_per_update);
  std::vector<const Unroll*> batch;
  for (const auto& u : unrolls) batch.push_back(&u);

  while (env_steps < run.total_steps) {
    const double progress = static_cast<double>(env_steps) / static_cast<double>(run.total_steps);
    for (auto& unroll : unrolls) {
      worker.collect(unroll);
      env_steps += unroll.num_samples();
      for (const auto& episode : unroll.episodes) {
        ++episodes;
        recent_returns.push_back(episode.return_);
        recent_lengths.push_back(episode.length);
        if (recent_returns.size() > 100) {
          recent_returns.pop_front();
          recent_lengths.pop_front();
        }
      }
    }
    MetricRow update_metrics = learner->update(batch, progress);
    worker.policy().load(learner->model(), learner->obs_stats(), learner->version());

    const double wall = wall_now();
    const double seconds_here = std::chrono::duration<double>(Clock::now() - start).count();
    const double sps = static_cast<double>(env_steps - start_steps) / std::max(seconds_here, 1e-9);
    const double mean_return =
        recent_returns.empty() ? NAN
                               : std::accumulate(recent_returns.begin(), recent_returns.end(), 0.0) /
                                     static_cast<double>(recent_returns.size());
    const double mean_length =
        recent_lengths.empty() ? NAN
                               : std::accumulate(recent_lengths.begin(), recent_lengths.end(), 0.0) /
                                     static_cast<double>(recent_lengths.size());
    MetricRow row = {{"env_steps", static_cast<double>(env_steps)},
                     {"updates", static_cast<double>(learner->updates())},
                     {"episodes", static_cast<double>(episodes)},
                     {"episode_return_mean", mean_return},
                     {"episode_length_mean", mean_length},
                     {"env_steps_per_second", sps},
                     {"wall_seconds", wall}};
    row.insert(row.end(), update_metrics.begin(), update_metrics.end());
    metrics.write(row);

    if (std::chrono::duration<double>(Clock::now() - last_log).count() >= run.log_every_seconds ||
        env_steps >= run.total_steps) {
      last_log = Clock::now();
      const double eta = static_cast<double>(run.total_steps - env_steps) / std::max(sps, 1e-9);
      std::printf("[%s %s] %lld/%lld steps (%.0f%%) | %.0f steps/s | return %.2f (last %zu) | ETA %s\n",
                  setup.algorithm.c_str(), run.env.c_str(), static_cast<long long>(env_steps),
                  static_cast<long long>(run.total_steps),
                  100.0 * static_cast<double>(env_steps) / static_cast<double>(run.total_steps), sps,
                  mean_return, recent_returns.size(), format_duration(eta).c_str());
      std::fflush(stdout);
    }
    if (env_steps >= next_checkpoint && env_steps < run.total_steps) {
      save_checkpoint(wall);
      next_checkpoint = (env_steps / run.checkpoint_every + 1) * run.checkpoint_every;
    }
  }
  const double wall = wall_now();
  save_checkpoint(wall);

  TrainingSummary summary;
  summary.run_dir = run_dir.string();
  summary.total_env_steps = env_steps;
  summary.wall_seconds = wall;
  summary.env_steps_per_second = static_cast<double>(env_steps) / std::max(wall, 1e-9);
  if (run.eval_episodes > 0) {
    PolicyActor eval_actor(worker.spec(), setup.policy, setup.normalize, derive_seed(run.seed, 0xE7A1));
    eval_actor.load(learner->model(), learner->obs_stats(), learner->version());
    VectorEnvConfig eval_config;
    eval_config.num_envs = std::min(run.eval_episodes, 8);
    eval_config.env_options = env_options;
    VectorEnv eval_env(registry, run.env, eval_config);
    ActorBatchPolicy policy(eval_actor, worker.spec().action_space, /*deterministic=*/true);
    const EpisodeStatistics stats =
        run_episodes(eval_env, policy, run.eval_episodes, derive_seed(run.seed, 0xE7A1));
    summary.final_eval_mean_return = stats.return_summary().mean;
    summary.final_eval_std_return = stats.return_summary().std;
    std::printf("[%s %s] final evaluation: %d deterministic episodes, return %.2f +- %.2f\n",
                setup.algorithm.c_str(), run.env.c_str(), run.eval_episodes,
                summary.final_eval_mean_return, summary.final_eval_std_return);
  }
  const nlohmann::ordered_json out = {{"env", run.env},
                                      {"algorithm", setup.algorithm},
                                      {"seed", run.seed},
                                      {"total_env_steps", summary.total_env_steps},
                                      {"wall_seconds", summary.wall_seconds},
                                      {"env_steps_per_second", summary.env_steps_per_second},
                                      {"final_eval_mean_return", summary.final_eval_mean_return},
                                      {"final_eval_std_return", summary.final_eval_std_return},
                                      {"final_eval_episodes", run.eval_episodes},
                                      {"updates", learner->updates()}};
  write_text(run_dir / "summary.json", out.dump(2) + "\n");
  std::printf("[%s %s] done in %s: %s/summary.json\n", setup.algorithm.c_str(), run.env.c_str(),
              format_duration(wall).c_str(), run_dir.c_str());
  return summary;
}

}  // namespace rl
