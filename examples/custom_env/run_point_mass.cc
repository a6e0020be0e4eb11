// The linked form of the example: a program of the user's own that
// registers PointMass-v0 and runs it through the framework's VectorEnv.
//
//   run_point_mass [episodes]
#include <cstdio>
#include <cstdlib>

#include "examples/custom_env/point_mass.h"
#include "rl/env/evaluation.h"
#include "rl/env/registry.h"
#include "rl/env/vector_env.h"

int main(int argc, char** argv) {
  const int episodes = argc > 1 ? std::atoi(argv[1]) : 20;
  rl::EnvRegistry registry;
  point_mass::register_point_mass(registry);

  rl::VectorEnvConfig config;
  config.num_envs = 4;
  config.seed = 7;
  rl::VectorEnv env(registry, "PointMass-v0", config);
  rl::RandomPolicy policy(env.spec().action_space, 7);
  const rl::EpisodeStatistics stats = rl::run_episodes(env, policy, episodes, 7);
  const rl::Summary ret = stats.return_summary();
  const rl::Summary len = stats.length_summary();
  std::printf("%s: %zu random episodes, return mean %.2f std %.2f, length mean %.1f\n",
              env.spec().id.c_str(), stats.returns.size(), ret.mean, ret.std, len.mean);
  // Random pushes reach the goal rarely: the return is negative, and every
  // episode ends by the time limit or at the goal.
  return stats.returns.size() == static_cast<size_t>(episodes) && ret.mean < 0 && len.max <= 200
             ? 0
             : 1;
}
