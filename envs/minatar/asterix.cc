// MinAtar Asterix. The player moves in rows 1-8; objects enter the eight
// lanes from the left or right edge and cross them; a third of them are
// gold (+1 when touched), the rest are enemies (touching one ends the
// episode). A spawn every 10 frames, moves every 5 at first; with ramping,
// every 100 frames the spawn interval drops by one and every second time
// the move interval too (down to 1).
#include <algorithm>
#include <array>
#include <optional>

#include "envs/minatar/minatar.h"

namespace rl::envs::minatar {
namespace {

constexpr int kRampInterval = 100;
constexpr int kInitSpawnSpeed = 10;
constexpr int kInitMoveInterval = 5;

class Asterix final : public Game {
 public:
  enum Channel { kPlayer = 0, kEnemy = 1, kTrail = 2, kGold = 3 };

  explicit Asterix(bool ramping) : ramping_(ramping) {}

  int num_channels() const override { return 4; }
  std::vector<int> minimal_actions() const override { return {kNoop, kLeft, kUp, kRight, kDown}; }

  void reset(Rng& rng) override {
    (void)rng;
    player_x_ = 5;
    player_y_ = 5;
    for (auto& e : entities_) e.reset();
    spawn_speed_ = kInitSpawnSpeed;
    spawn_timer_ = spawn_speed_;
    move_speed_ = kInitMoveInterval;
    move_timer_ = move_speed_;
    ramp_timer_ = kRampInterval;
    ramp_index_ = 0;
    terminal_ = false;
  }

  double act(int move, Rng& rng) override {
    if (terminal_) return 0.0;
    double reward = 0.0;
    if (spawn_timer_ == 0) {
      spawn(rng);
      spawn_timer_ = spawn_speed_;
    }
    if (move == kLeft) player_x_ = std::max(0, player_x_ - 1);
    if (move == kRight) player_x_ = std::min(9, player_x_ + 1);
    if (move == kUp) player_y_ = std::max(1, player_y_ - 1);
    if (move == kDown) player_y_ = std::min(8, player_y_ + 1);

    for (auto& e : entities_) reward += touch(e);
    if (move_timer_ == 0) {
      move_timer_ = move_speed_;
      for (auto& e : entities_) {
        if (!e) continue;
        e->x += e->rightward ? 1 : -1;
        if (e->x < 0 || e->x > 9) {
          e.reset();
          continue;
        }
        reward += touch(e);
      }
    }
    --spawn_timer_;
    --move_timer_;

    if (ramping_ && (spawn_speed_ > 1 || move_speed_ > 1)) {
      if (ramp_timer_ >= 0) {
        --ramp_timer_;
      } else {
        if (move_speed_ > 1 && ramp_index_ % 2) --move_speed_;
        if (spawn_speed_ > 1) --spawn_speed_;
        ++ramp_index_;
        ramp_timer_ = kRampInterval;
      }
    }
    return reward;
  }

  bool terminal() const override { return terminal_; }

  void draw(Grid& grid) const override {
    grid.set(kPlayer, player_y_, player_x_);
    for (const auto& e : entities_) {
      if (!e) continue;
      grid.set(e->gold ? kGold : kEnemy, e->y, e->x);
      const int back = e->rightward ? e->x - 1 : e->x + 1;
      if (back >= 0 && back <= 9) grid.set(kTrail, e->y, back);
    }
  }

 private:
  struct Entity {
    int x = 0, y = 0;
    bool rightward = false, gold = false;
  };

  // Gold on the player's cell scores and goes; an enemy there ends the game.
  double touch(std::optional<Entity>& e) {
    if (!e || e->x != player_x_ || e->y != player_y_) return 0.0;
    if (e->gold) {
      e.reset();
      return 1.0;
    }
    terminal_ = true;
    return 0.0;
  }

  // The reference's draws: side, gold, then a free lane (none: no spawn).
  void spawn(Rng& rng) {
    const bool rightward = rng.uniform() < 0.5;
    const bool gold = rng.uniform() < 1.0 / 3.0;
    std::array<int, 8> free{};
    int n = 0;
    for (int i = 0; i < 8; ++i)
      if (!entities_[i]) free[n++] = i;
    if (n == 0) return;
    const int slot = free[static_cast<size_t>(rng.integer(0, n))];
    entities_[slot] = Entity{rightward ? 0 : 9, slot + 1, rightward, gold};
  }

  bool ramping_;
  int player_x_ = 5, player_y_ = 5;
  std::array<std::optional<Entity>, 8> entities_{};
  int spawn_speed_ = kInitSpawnSpeed, spawn_timer_ = kInitSpawnSpeed;
  int move_speed_ = kInitMoveInterval, move_timer_ = kInitMoveInterval;
  int ramp_timer_ = kRampInterval, ramp_index_ = 0;
  bool terminal_ = false;
};

}  // namespace

std::unique_ptr<Game> make_asterix(const GameOptions& options) {
  return std::make_unique<Asterix>(options.ramping);
}

}  // namespace rl::envs::minatar
