// Running whole episodes through a VectorEnv with a batch policy, and the
// statistics rl_eval prints.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "rl/env/rng.h"
#include "rl/env/space.h"
#include "rl/env/vector_env.h"

namespace rl {

// Chooses the actions of a whole batch of observations at once.
class BatchPolicy {
 public:
  virtual ~BatchPolicy() = default;
  // obs: [k, obs_size]. Writes k indices into `discrete` (Discrete action
  // spaces) or k x action_size floats into `box` (Box spaces); the other
  // span is empty.
  virtual void act(std::span<const float> obs, std::span<int64_t> discrete,
                   std::span<float> box) = 0;
  // Called before act() with k flags: 1 where the env's episode starts at
  // this step (all of them after a reset). Policies with memory forget it
  // there; others ignore it.
  virtual void episodes_started(std::span<const uint8_t> starts) { (void)starts; }
  // Called after each env step with its k raw rewards. Policies whose
  // memory takes the last action and reward record them; others ignore it.
  virtual void stepped(std::span<const float> rewards) { (void)rewards; }
};

// Uniformly random actions (Gymnasium's Space.sample): Discrete uniform over
// [0, n); a Box element uniform in [low, high] when both bounds are finite,
// N(0, 1) when unbounded, low + Exp(1) / high - Exp(1) when half-bounded.
class RandomPolicy final : public BatchPolicy {
 public:
  RandomPolicy(const Space& action_space, uint64_t seed);
  void act(std::span<const float> obs, std::span<int64_t> discrete, std::span<float> box) override;

 private:
  Space space_;
  Rng rng_;
};

// Mean, population std, min and max of a sample.
struct Summary {
  double mean = 0, std = 0, min = 0, max = 0;
  static Summary of(std::span<const double> values);
};

struct EpisodeStatistics {
  std::vector<double> returns;  // undiscounted, one per finished episode
  std::vector<double> lengths;  // steps, one per finished episode
  Summary return_summary() const { return Summary::of(returns); }
  Summary length_summary() const { return Summary::of(lengths); }
};

// Resets `env` with `seed` and steps it with `policy` until `episodes`
// episodes have finished. Env i contributes (episodes + i) / k of them, so
// that short episodes are not over-represented when k > 1.
// `stop`, when given, is asked every step: true ends the evaluation early
// (a stop signal), with the episodes finished so far.
EpisodeStatistics run_episodes(VectorEnv& env, BatchPolicy& policy, int episodes, uint64_t seed,
                               const std::function<bool()>& stop = {});

}  // namespace rl
