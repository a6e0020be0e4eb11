// Scripted play of one MinAtar game for the rules tests: the env with
// sticky actions off, its observation bytes and lookups into them.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "envs/minatar/minatar.h"

namespace rl::envs::minatar {

inline EnvOptions play_options(double sticky = 0.0, bool minimal = false) {
  return EnvOptions({{"sticky_action_prob", std::to_string(sticky)},
                     {"difficulty_ramping", "true"},
                     {"minimal_actions", minimal ? "true" : "false"}});
}

struct Play {
  explicit Play(std::unique_ptr<Game> game)
      : env(std::move(game), play_options()), obs(static_cast<size_t>(env.observation_space().flat_size())) {}
  MinAtarEnv env;
  std::vector<uint8_t> obs;
  std::vector<float> info;

  bool cell(int channel, int y, int x) const { return obs[(channel * 10 + y) * 10 + x] != 0; }
  int count(int channel) const {
    int n = 0;
    for (int i = 0; i < 100; ++i) n += obs[channel * 100 + i];
    return n;
  }
  // The (x, y) of the first cell set in `channel`, (-1, -1) if none.
  std::pair<int, int> where(int channel) const {
    for (int y = 0; y < 10; ++y)
      for (int x = 0; x < 10; ++x)
        if (cell(channel, y, x)) return {x, y};
    return {-1, -1};
  }
  // The first row of column x with `channel` set, -1 if none.
  int row_of(int channel, int x) const {
    for (int y = 0; y < 10; ++y)
      if (cell(channel, y, x)) return y;
    return -1;
  }
  void reset(uint64_t seed) { env.reset(seed, std::span<uint8_t>(obs)); }
  StepResult step(int action) { return env.step(Action::discrete(action), std::span<uint8_t>(obs), info); }
};

}  // namespace rl::envs::minatar
