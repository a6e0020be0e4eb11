// MinAtar SpaceInvaders. The cannon moves along the bottom row and fires
// upward (one shot per 5 frames); a 4x6 block of aliens marches sideways
// and steps down a row (reversing) at the edges; +1 per alien shot; the
// alien nearest the cannon fires every 10 frames. The episode ends when an
// alien or an alien bullet reaches the cannon, or when the aliens reverse
// on the bottom row. Aliens move every min(#aliens, interval) frames; the
// interval starts at 12 and, with ramping, drops by one per cleared wave
// (to 6).
#include <algorithm>
#include <array>
#include <cstdlib>

#include "envs/minatar/minatar.h"

namespace rl::envs::minatar {
namespace {

constexpr int kShotCoolDown = 5;
constexpr int kEnemyMoveInterval = 12;
constexpr int kEnemyShotInterval = 10;

using Map = std::array<std::array<uint8_t, kGrid>, kGrid>;  // [y][x]

int count(const Map& map) {
  int n = 0;
  for (const auto& row : map) n += static_cast<int>(std::count(row.begin(), row.end(), 1));
  return n;
}

// numpy's roll along rows (axis 0) by `shift` rows, wrapping around.
void roll_rows(Map& map, int shift) {
  Map out{};
  for (int y = 0; y < kGrid; ++y) out[((y + shift) % kGrid + kGrid) % kGrid] = map[y];
  map = out;
}

class SpaceInvaders final : public Game {
 public:
  enum Channel { kCannon = 0, kAlien = 1, kAlienLeft = 2, kAlienRight = 3, kFriendlyBullet = 4, kEnemyBullet = 5 };

  explicit SpaceInvaders(bool ramping) : ramping_(ramping) {}

  int num_channels() const override { return 6; }
  std::vector<int> minimal_actions() const override { return {kNoop, kLeft, kRight, kFire}; }

  void reset(Rng& rng) override {
    (void)rng;  // SpaceInvaders is deterministic
    pos_ = 5;
    friendly_ = {};
    enemy_ = {};
    aliens_ = {};
    fill_wave();
    alien_dir_ = -1;
    move_interval_ = kEnemyMoveInterval;
    alien_move_timer_ = move_interval_;
    alien_shot_timer_ = kEnemyShotInterval;
    ramp_index_ = 0;
    shot_timer_ = 0;
    terminal_ = false;
  }

  double act(int move, Rng& rng) override {
    (void)rng;
    if (terminal_) return 0.0;
    if (move == kFire && shot_timer_ == 0) {
      friendly_[9][pos_] = 1;
      shot_timer_ = kShotCoolDown;
    } else if (move == kLeft) {
      pos_ = std::max(0, pos_ - 1);
    } else if (move == kRight) {
      pos_ = std::min(9, pos_ + 1);
    }

    // Bullets move one row; those leaving the grid are gone.
    roll_rows(friendly_, -1);
    friendly_[9].fill(0);
    roll_rows(enemy_, 1);
    enemy_[0].fill(0);
    if (enemy_[9][pos_]) terminal_ = true;

    if (aliens_[9][pos_]) terminal_ = true;
    if (alien_move_timer_ == 0) {
      alien_move_timer_ = std::min(count(aliens_), move_interval_);
      if ((column_has_alien(0) && alien_dir_ < 0) || (column_has_alien(9) && alien_dir_ > 0)) {
        alien_dir_ = -alien_dir_;
        if (count_row(9) > 0) terminal_ = true;
        roll_rows(aliens_, 1);  // wraps, as numpy's roll does
      } else {
        for (auto& row : aliens_) {
          if (alien_dir_ < 0) {
            std::rotate(row.begin(), row.begin() + 1, row.end());
          } else {
            std::rotate(row.rbegin(), row.rbegin() + 1, row.rend());
          }
        }
      }
      if (aliens_[9][pos_]) terminal_ = true;
    }
    if (alien_shot_timer_ == 0) {
      alien_shot_timer_ = kEnemyShotInterval;
      const auto [y, x] = nearest_alien();
      if (x >= 0) enemy_[y][x] = 1;
    }

    double reward = 0.0;
    for (int y = 0; y < kGrid; ++y) {
      for (int x = 0; x < kGrid; ++x) {
        if (aliens_[y][x] && friendly_[y][x]) {
          reward += 1.0;
          aliens_[y][x] = 0;
          friendly_[y][x] = 0;
        }
      }
    }

    if (shot_timer_ > 0) --shot_timer_;
    --alien_move_timer_;
    --alien_shot_timer_;
    if (count(aliens_) == 0) {
      if (move_interval_ > 6 && ramping_) {
        --move_interval_;
        ++ramp_index_;
      }
      fill_wave();
    }
    return reward;
  }

  bool terminal() const override { return terminal_; }

  void draw(Grid& grid) const override {
    grid.set(kCannon, 9, pos_);
    for (int y = 0; y < kGrid; ++y) {
      for (int x = 0; x < kGrid; ++x) {
        if (aliens_[y][x]) {
          grid.set(kAlien, y, x);
          grid.set(alien_dir_ < 0 ? kAlienLeft : kAlienRight, y, x);
        }
        if (friendly_[y][x]) grid.set(kFriendlyBullet, y, x);
        if (enemy_[y][x]) grid.set(kEnemyBullet, y, x);
      }
    }
  }

  int ramp_index() const { return ramp_index_; }

 private:
  void fill_wave() {
    for (int y = 0; y < 4; ++y)
      for (int x = 2; x < 8; ++x) aliens_[y][x] = 1;
  }
  bool column_has_alien(int x) const {
    for (int y = 0; y < kGrid; ++y)
      if (aliens_[y][x]) return true;
    return false;
  }
  int count_row(int y) const { return static_cast<int>(std::count(aliens_[y].begin(), aliens_[y].end(), 1)); }
  // The lowest alien of the column nearest the cannon (ties: the column
  // further left, as the reference's stable sort orders them).
  std::pair<int, int> nearest_alien() const {
    for (int distance = 0; distance < kGrid; ++distance) {
      for (int x : {pos_ - distance, pos_ + distance}) {
        if (x < 0 || x >= kGrid) continue;
        for (int y = kGrid - 1; y >= 0; --y) {
          if (aliens_[y][x]) return {y, x};
        }
      }
    }
    return {-1, -1};
  }

  bool ramping_;
  Map friendly_{}, enemy_{}, aliens_{};
  int pos_ = 5, alien_dir_ = -1, move_interval_ = kEnemyMoveInterval;
  int alien_move_timer_ = kEnemyMoveInterval, alien_shot_timer_ = kEnemyShotInterval;
  int ramp_index_ = 0, shot_timer_ = 0;
  bool terminal_ = false;
};

}  // namespace

std::unique_ptr<Game> make_space_invaders(const GameOptions& options) {
  return std::make_unique<SpaceInvaders>(options.ramping);
}

}  // namespace rl::envs::minatar
