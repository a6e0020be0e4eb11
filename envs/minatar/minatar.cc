#include "envs/minatar/minatar.h"

#include <algorithm>
#include <stdexcept>

namespace rl::envs::minatar {

MinAtarEnv::MinAtarEnv(std::unique_ptr<Game> game, const EnvOptions& options)
    : game_(std::move(game)),
      sticky_prob_(options.get_double("sticky_action_prob")),
      observation_space_(Space::box_u8({game_->num_channels(), kGrid, kGrid}, 0, 1)),
      action_space_(Space::discrete(options.get_bool("minimal_actions")
                                        ? static_cast<int64_t>(game_->minimal_actions().size())
                                        : 6)) {
  if (!(sticky_prob_ >= 0.0 && sticky_prob_ <= 1.0)) {
    throw std::invalid_argument("MinAtar option sticky_action_prob must be in [0, 1], got " +
                                std::to_string(sticky_prob_));
  }
  if (options.get_bool("minimal_actions")) {
    action_set_ = game_->minimal_actions();
  } else {
    action_set_ = {kNoop, kLeft, kUp, kRight, kDown, kFire};
  }
}

void MinAtarEnv::reset(std::optional<uint64_t> seed, std::span<uint8_t> obs) {
  if (seed) rng_.reseed(*seed);
  game_->reset(rng_);
  write_obs(obs);
}

StepResult MinAtarEnv::step(const Action& action, std::span<uint8_t> obs, std::span<float> info) {
  (void)info;
  int move = action_set_[static_cast<size_t>(action.index)];
  // Sticky actions: the draw comes first on every step, as in the reference.
  if (rng_.uniform() < sticky_prob_) move = last_move_;
  last_move_ = move;
  StepResult result;
  result.reward = game_->act(move, rng_);
  result.terminated = game_->terminal();
  write_obs(obs);
  return result;
}

void MinAtarEnv::write_obs(std::span<uint8_t> obs) const {
  std::fill(obs.begin(), obs.end(), uint8_t{0});
  Grid grid(obs);
  game_->draw(grid);
}

bool MinAtarEnv::render(Frame& frame) {
  // One colour per channel, dark background; up to 10 channels (Seaquest).
  static constexpr std::array<std::array<uint8_t, 3>, 10> kPalette{{
      {{0x5b, 0xc0, 0xeb}}, {{0xfd, 0xe7, 0x4c}}, {{0x9b, 0xc5, 0x3d}}, {{0xe5, 0x59, 0x34}},
      {{0xfa, 0x79, 0x21}}, {{0xc3, 0x42, 0x7d}}, {{0x7a, 0x5c, 0xd1}}, {{0x3d, 0xb3, 0x8c}},
      {{0xd0, 0xd0, 0xd0}}, {{0xf4, 0xa6, 0xc0}},
  }};
  const int channels = game_->num_channels();
  std::vector<uint8_t> cells(static_cast<size_t>(channels) * kGrid * kGrid, 0);
  write_obs(cells);
  auto& rgb = frame.allocate();
  frame.fps = 10;
  for (int py = 0; py < frame.height; ++py) {
    const int y = py * kGrid / frame.height;
    for (int px = 0; px < frame.width; ++px) {
      const int x = px * kGrid / frame.width;
      std::array<uint8_t, 3> colour{{0x14, 0x14, 0x1e}};
      for (int c = 0; c < channels; ++c) {
        if (cells[(c * kGrid + y) * kGrid + x]) colour = kPalette[c % kPalette.size()];
      }
      uint8_t* out = rgb.data() + (static_cast<size_t>(py) * frame.width + px) * 3;
      std::copy(colour.begin(), colour.end(), out);
    }
  }
  return true;
}

namespace {

using GameFactory = std::unique_ptr<Game> (*)(const GameOptions&);

void register_game(EnvRegistry& registry, const std::string& name, GameFactory make,
                   int max_episode_steps, const std::string& description) {
  for (const bool minimal : {false, true}) {
    registry.add({.id = "MinAtar/" + name + (minimal ? "-v1" : "-v0"),
                  .factory = [make](const EnvOptions& options) -> std::unique_ptr<Env> {
                    GameOptions game{.ramping = options.get_bool("difficulty_ramping")};
                    return std::make_unique<MinAtarEnv>(make(game), options);
                  },
                  .default_options = {{"sticky_action_prob", "0.1"},
                                      {"difficulty_ramping", "true"},
                                      {"minimal_actions", minimal ? "true" : "false"}},
                  .max_episode_steps = max_episode_steps,
                  .reward_threshold = std::nullopt,
                  .description = description + (minimal ? "; minimal action set" : "; all 6 actions")});
  }
}

}  // namespace

void register_minatar_envs(EnvRegistry& registry) {
  // No time limit, as in the reference.
  register_game(registry, "Asterix", &make_asterix, 0,
                "MinAtar Asterix: collect gold, avoid enemies; uint8 [4, 10, 10]");
  register_game(registry, "Breakout", &make_breakout, 0,
                "MinAtar Breakout: bounce the ball into 3 rows of bricks; uint8 [4, 10, 10]");
  // Freeway's own end: 2,501 frames (the game's timer), not a time limit.
  register_game(registry, "Freeway", &make_freeway, 0,
                "MinAtar Freeway: cross eight lanes of cars; uint8 [7, 10, 10]");
  register_game(registry, "Seaquest", &make_seaquest, 0,
                "MinAtar Seaquest: shoot, rescue divers, surface for air; uint8 [10, 10, 10]");
  register_game(registry, "SpaceInvaders", &make_space_invaders, 0,
                "MinAtar SpaceInvaders: shoot the marching aliens; uint8 [6, 10, 10]");
}

}  // namespace rl::envs::minatar
