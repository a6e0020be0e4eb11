// MinAtar (Young and Tian 2019): five Atari-like games on a 10x10 grid with
// one binary channel per kind of object. Written from the rules of the
// reference implementation (github.com/kenjyoung/MinAtar, commit 4241f24,
// version 1.0.15); docs/envs.md lists where its quirks are kept.
//
// Observations are uint8 [C, 10, 10], channels first (the reference's
// channel order; it returns [10, 10, C]). Actions index the full set
// (n, l, u, r, d, f) in the -v0 envs and the game's minimal set in -v1.
// Sticky actions (the previous action is repeated with probability
// sticky_action_prob, 0.1 by default) and difficulty ramping are env
// options, on by default as in the reference.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rl/env/env.h"
#include "rl/env/env_options.h"
#include "rl/env/registry.h"
#include "rl/env/rng.h"

namespace rl::envs::minatar {

constexpr int kGrid = 10;

// The reference's full action set, in its order.
enum Move : int { kNoop = 0, kLeft = 1, kUp = 2, kRight = 3, kDown = 4, kFire = 5 };

// The grid an observation is drawn on: [C, 10, 10] bytes, zeroed by the caller.
class Grid {
 public:
  explicit Grid(std::span<uint8_t> cells) : cells_(cells) {}
  void set(int channel, int y, int x) { cells_[(channel * kGrid + y) * kGrid + x] = 1; }

 private:
  std::span<uint8_t> cells_;
};

// One game's rules. The Env below adds sticky actions, action sets and
// the observation; a game only moves its objects.
class Game {
 public:
  virtual ~Game() = default;
  virtual int num_channels() const = 0;
  // The minimal action set, as indices of the full set.
  virtual std::vector<int> minimal_actions() const = 0;
  // Starts a new episode (the reference's reset()).
  virtual void reset(Rng& rng) = 0;
  // One frame with `move` (the reference's act()): the reward; sets terminal.
  virtual double act(int move, Rng& rng) = 0;
  virtual bool terminal() const = 0;
  virtual void draw(Grid& grid) const = 0;
};

struct GameOptions {
  bool ramping = true;  // difficulty ramping (games that have it)
};

class MinAtarEnv final : public ByteEnv {
 public:
  // Options: sticky_action_prob (double, 0.1), difficulty_ramping (bool,
  // true), minimal_actions (bool: the -v1 action set).
  MinAtarEnv(std::unique_ptr<Game> game, const EnvOptions& options);

  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override { return {}; }
  using ByteEnv::reset;
  using ByteEnv::step;
  void reset(std::optional<uint64_t> seed, std::span<uint8_t> obs) override;
  StepResult step(const Action& action, std::span<uint8_t> obs, std::span<float> info) override;
  // Coloured cells, one colour per channel (the last channel drawn on top
  // wins where objects overlap, as in the reference's viewer).
  bool render(Frame& frame) override;

  Game& game() { return *game_; }
  Rng& rng() { return rng_; }

 private:
  void write_obs(std::span<uint8_t> obs) const;

  std::unique_ptr<Game> game_;
  std::vector<int> action_set_;  // action index -> full-set move
  double sticky_prob_;
  int last_move_ = kNoop;  // kept across episodes, as in the reference
  Space observation_space_;
  Space action_space_;
  Rng rng_;
};

std::unique_ptr<Game> make_asterix(const GameOptions& options);
std::unique_ptr<Game> make_breakout(const GameOptions& options);
std::unique_ptr<Game> make_freeway(const GameOptions& options);
std::unique_ptr<Game> make_seaquest(const GameOptions& options);
std::unique_ptr<Game> make_space_invaders(const GameOptions& options);

// Registers MinAtar/<Game>-v0 (full action set) and -v1 (minimal set).
void register_minatar_envs(EnvRegistry& registry);

}  // namespace rl::envs::minatar
