// Prints one MinAtar episode as text for the differential test against the
// reference implementation (differential_test.py): the observation bytes
// (channels first) after the reset and after each action read from stdin,
// each line followed by the reward and the terminal flag.
//
//   minatar_trace GAME SEED STICKY_PROB RAMPING < actions
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "envs/minatar/minatar.h"

int main(int argc, char** argv) {
  using namespace rl::envs::minatar;
  if (argc != 5) {
    std::fprintf(stderr, "usage: minatar_trace asterix|breakout|freeway|seaquest|space_invaders SEED STICKY RAMPING\n");
    return 2;
  }
  const std::string game = argv[1];
  const auto make = game == "asterix"    ? &make_asterix
                    : game == "breakout" ? &make_breakout
                    : game == "freeway"  ? &make_freeway
                    : game == "seaquest" ? &make_seaquest
                    : game == "space_invaders" ? &make_space_invaders
                                               : nullptr;
  if (make == nullptr) {
    std::fprintf(stderr, "minatar_trace: unknown game '%s'\n", argv[1]);
    return 2;
  }
  const rl::EnvOptions options({{"sticky_action_prob", argv[3]},
                                {"difficulty_ramping", argv[4]},
                                {"minimal_actions", "false"}});
  MinAtarEnv env(make({.ramping = options.get_bool("difficulty_ramping")}), options);
  std::vector<uint8_t> obs(static_cast<size_t>(env.observation_space().flat_size()));
  std::vector<float> info;
  std::string line;
  auto print = [&](double reward, bool terminal) {
    line.clear();
    for (uint8_t b : obs) line.push_back(static_cast<char>('0' + b));
    std::printf("%s %g %d\n", line.c_str(), reward, terminal ? 1 : 0);
  };
  env.reset(std::stoull(argv[2]), std::span<uint8_t>(obs));
  print(0.0, false);
  int action = 0;
  while (std::cin >> action) {
    const rl::StepResult result = env.step(rl::Action::discrete(action), std::span<uint8_t>(obs), info);
    print(result.reward, result.terminated);
    if (result.terminated) break;
  }
  return 0;
}
