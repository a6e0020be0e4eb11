// MinAtar Seaquest. The player's submarine (rows 0-8) shoots enemy fish
// and submarines (+1 each) that cross the rows 1-8, picks up divers (up to
// 6) and must surface before its oxygen (200 frames) runs out. Surfacing
// with no diver ends the episode; with 6 it scores oxygen * 10 / 200 and
// empties the gauge; otherwise it costs one diver. Enemy submarines fire
// every 10 frames. Each surfacing ramps the difficulty (with ramping): the
// enemy spawn interval drops by one (from 20, to 1) and every second time
// the move interval too (from 5, to 2).
//
// Kept from the reference because they change play: after a 6-diver
// surfacing the diver count ends at -1 (the gauge shows none, and later
// surfacings no longer end the episode for want of divers); an enemy
// submarine that is shot or leaves the grid still fires if its shot timer
// runs out in that frame.
#include <algorithm>
#include <vector>

#include "envs/minatar/minatar.h"

namespace rl::envs::minatar {
namespace {

constexpr int kMaxOxygen = 200;
constexpr int kInitSpawnSpeed = 20;
constexpr int kDiverSpawnSpeed = 30;
constexpr int kInitMoveInterval = 5;
constexpr int kShotCoolDown = 5;
constexpr int kEnemyShotInterval = 10;
constexpr int kDiverMoveInterval = 5;

struct Mover {
  int x = 0, y = 0;
  bool rightward = false;
  int move_timer = 0;
  int shot_timer = 0;  // enemy submarines only
  bool at(int px, int py) const { return x == px && y == py; }
  void advance() { x += rightward ? 1 : -1; }
  bool off_grid() const { return x < 0 || x > 9; }
};

// Removes the element at `i` keeping the order (the reference's lists).
template <typename T>
void erase_at(std::vector<T>& v, size_t i) {
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
}

class Seaquest final : public Game {
 public:
  enum Channel {
    kSubFront = 0, kSubBack = 1, kFriendlyBullet = 2, kTrail = 3, kEnemyBullet = 4,
    kEnemyFish = 5, kEnemySub = 6, kOxygenGauge = 7, kDiverGauge = 8, kDiver = 9
  };

  explicit Seaquest(bool ramping) : ramping_(ramping) {}

  int num_channels() const override { return 10; }
  std::vector<int> minimal_actions() const override { return {kNoop, kLeft, kUp, kRight, kDown, kFire}; }

  void reset(Rng& rng) override {
    (void)rng;
    oxygen_ = kMaxOxygen;
    diver_count_ = 0;
    sub_x_ = 5;
    sub_y_ = 0;
    facing_right_ = false;
    friendly_.clear();
    enemy_bullets_.clear();
    fish_.clear();
    subs_.clear();
    divers_.clear();
    spawn_speed_ = kInitSpawnSpeed;
    spawn_timer_ = spawn_speed_;
    diver_spawn_timer_ = kDiverSpawnSpeed;
    move_speed_ = kInitMoveInterval;
    ramp_index_ = 0;
    shot_timer_ = 0;
    surface_ = true;
    terminal_ = false;
  }

  // One frame, in the reference's order: spawns, the player's move, then
  // each kind of object (its list walked from its end, as the reference
  // does), then the timers and the oxygen.
  double act(int move, Rng& rng) override {
    if (terminal_) return 0.0;
    spawn(rng);
    player_moves(move);
    double reward = move_friendly_bullets();
    move_divers();
    reward += move_subs();
    move_enemy_bullets();
    reward += move_fish();
    return reward + tick();
  }

  bool terminal() const override { return terminal_; }

  void draw(Grid& grid) const override {
    grid.set(kSubFront, sub_y_, sub_x_);
    grid.set(kSubBack, sub_y_, facing_right_ ? sub_x_ - 1 : sub_x_ + 1);
    for (int x = 0; x < std::max(0, oxygen_) * 10 / kMaxOxygen; ++x) grid.set(kOxygenGauge, 9, x);
    for (int x = 9 - diver_count_; x < 9; ++x) {
      if (x >= 0) grid.set(kDiverGauge, 9, x);
    }
    for (const Mover& b : friendly_) grid.set(kFriendlyBullet, b.y, b.x);
    for (const Mover& b : enemy_bullets_) grid.set(kEnemyBullet, b.y, b.x);
    auto with_trail = [&grid](const std::vector<Mover>& movers, int channel) {
      for (const Mover& m : movers) {
        grid.set(channel, m.y, m.x);
        const int back = m.rightward ? m.x - 1 : m.x + 1;
        if (back >= 0 && back <= 9) grid.set(kTrail, m.y, back);
      }
    };
    with_trail(fish_, kEnemyFish);
    with_trail(subs_, kEnemySub);
    with_trail(divers_, kDiver);
  }

 private:
  void spawn(Rng& rng) {
    if (spawn_timer_ == 0) {
      spawn_enemy(rng);
      spawn_timer_ = spawn_speed_;
    }
    if (diver_spawn_timer_ == 0) {
      spawn_diver(rng);
      diver_spawn_timer_ = kDiverSpawnSpeed;
    }
  }

  void player_moves(int move) {
    if (move == kFire && shot_timer_ == 0) {
      friendly_.push_back({sub_x_, sub_y_, facing_right_});
      shot_timer_ = kShotCoolDown;
    } else if (move == kLeft) {
      sub_x_ = std::max(0, sub_x_ - 1);
      facing_right_ = false;
    } else if (move == kRight) {
      sub_x_ = std::min(9, sub_x_ + 1);
      facing_right_ = true;
    } else if (move == kUp) {
      sub_y_ = std::max(0, sub_y_ - 1);
    } else if (move == kDown) {
      sub_y_ = std::min(8, sub_y_ + 1);
    }
  }

  // The player's bullets: a hit fish or sub is worth 1.
  double move_friendly_bullets() {
    double reward = 0.0;
    for (size_t i = friendly_.size(); i-- > 0;) {
      Mover& bullet = friendly_[i];
      bullet.advance();
      if (bullet.off_grid()) {
        erase_at(friendly_, i);
        continue;
      }
      if (remove_first_at(fish_, bullet.x, bullet.y) || remove_first_at(subs_, bullet.x, bullet.y)) {
        erase_at(friendly_, i);
        reward += 1.0;
      }
    }
    return reward;
  }

  // Divers the sub touches are picked up (6 at most).
  void move_divers() {
    for (size_t i = divers_.size(); i-- > 0;) {
      Mover& diver = divers_[i];
      if (diver.at(sub_x_, sub_y_) && diver_count_ < 6) {
        erase_at(divers_, i);
        ++diver_count_;
      } else if (diver.move_timer == 0) {
        diver.move_timer = kDiverMoveInterval;
        diver.advance();
        if (diver.off_grid()) {
          erase_at(divers_, i);
        } else if (diver.at(sub_x_, sub_y_) && diver_count_ < 6) {
          erase_at(divers_, i);
          ++diver_count_;
        }
      } else {
        --diver.move_timer;
      }
    }
  }

  // Enemy subs move, collide, get shot (1 each) and fire.
  double move_subs() {
    double reward = 0.0;
    for (size_t i = subs_.size(); i-- > 0;) {
      Mover sub = subs_[i];  // a copy: it may fire after it is gone
      bool gone = false;
      if (sub.at(sub_x_, sub_y_)) terminal_ = true;
      if (sub.move_timer == 0) {
        sub.move_timer = move_speed_;
        sub.advance();
        if (sub.off_grid()) {
          gone = true;
        } else if (sub.at(sub_x_, sub_y_)) {
          terminal_ = true;
        } else if (remove_first_at(friendly_, sub.x, sub.y)) {
          gone = true;
          reward += 1.0;
        }
      } else {
        --sub.move_timer;
      }
      if (sub.shot_timer == 0) {
        sub.shot_timer = kEnemyShotInterval;
        enemy_bullets_.push_back({sub.x, sub.y, sub.rightward});
      } else {
        --sub.shot_timer;
      }
      if (gone) {
        erase_at(subs_, i);
      } else {
        subs_[i] = sub;
      }
    }
    return reward;
  }

  void move_enemy_bullets() {
    for (size_t i = enemy_bullets_.size(); i-- > 0;) {
      Mover& bullet = enemy_bullets_[i];
      if (bullet.at(sub_x_, sub_y_)) terminal_ = true;
      bullet.advance();
      if (bullet.off_grid()) {
        erase_at(enemy_bullets_, i);
      } else if (bullet.at(sub_x_, sub_y_)) {
        terminal_ = true;
      }
    }
  }

  // Fish move, collide and get shot (1 each).
  double move_fish() {
    double reward = 0.0;
    for (size_t i = fish_.size(); i-- > 0;) {
      Mover& fish = fish_[i];
      if (fish.at(sub_x_, sub_y_)) terminal_ = true;
      if (fish.move_timer == 0) {
        fish.move_timer = move_speed_;
        fish.advance();
        if (fish.off_grid()) {
          erase_at(fish_, i);
        } else if (fish.at(sub_x_, sub_y_)) {
          terminal_ = true;
        } else if (remove_first_at(friendly_, fish.x, fish.y)) {
          erase_at(fish_, i);
          reward += 1.0;
        }
      } else {
        --fish.move_timer;
      }
    }
    return reward;
  }

  // Timers, the oxygen below the surface, and surfacing (with divers: the
  // surfacing reward; without: the end).
  double tick() {
    if (spawn_timer_ > 0) --spawn_timer_;
    if (diver_spawn_timer_ > 0) --diver_spawn_timer_;
    if (shot_timer_ > 0) --shot_timer_;
    if (oxygen_ <= 0) terminal_ = true;
    if (sub_y_ > 0) {
      --oxygen_;
      surface_ = false;
    } else if (!surface_) {
      if (diver_count_ == 0) {
        terminal_ = true;
      } else {
        return surface();
      }
    }
    return 0.0;
  }

  // Removes the first mover at (x, y); whether there was one.
  static bool remove_first_at(std::vector<Mover>& movers, int x, int y) {
    for (size_t j = 0; j < movers.size(); ++j) {
      if (movers[j].at(x, y)) {
        erase_at(movers, j);
        return true;
      }
    }
    return false;
  }

  double surface() {
    surface_ = true;
    double reward = 0.0;
    if (diver_count_ == 6) {
      diver_count_ = 0;
      reward = oxygen_ * 10 / kMaxOxygen;
    }
    oxygen_ = kMaxOxygen;
    --diver_count_;  // -1 after a 6-diver surfacing: the reference's count
    if (ramping_ && (spawn_speed_ > 1 || move_speed_ > 2)) {
      if (move_speed_ > 2 && ramp_index_ % 2) --move_speed_;
      if (spawn_speed_ > 1) --spawn_speed_;
      ++ramp_index_;
    }
    return reward;
  }

  // The reference's draws: side, kind, row 1-8. No spawn in a row where
  // an enemy moves the other way.
  void spawn_enemy(Rng& rng) {
    const bool rightward = rng.uniform() < 0.5;
    const bool is_sub = rng.uniform() < 1.0 / 3.0;
    const int y = static_cast<int>(rng.integer(1, 9));
    auto opposed = [&](const Mover& m) { return m.y == y && m.rightward != rightward; };
    if (std::any_of(subs_.begin(), subs_.end(), opposed) || std::any_of(fish_.begin(), fish_.end(), opposed)) return;
    Mover enemy{rightward ? 0 : 9, y, rightward, move_speed_, kEnemyShotInterval};
    (is_sub ? subs_ : fish_).push_back(enemy);
  }

  void spawn_diver(Rng& rng) {
    const bool rightward = rng.uniform() < 0.5;
    const int y = static_cast<int>(rng.integer(1, 9));
    divers_.push_back({rightward ? 0 : 9, y, rightward, kDiverMoveInterval, 0});
  }

  bool ramping_;
  int oxygen_ = kMaxOxygen, diver_count_ = 0;
  int sub_x_ = 5, sub_y_ = 0;
  bool facing_right_ = false;
  std::vector<Mover> friendly_, enemy_bullets_, fish_, subs_, divers_;
  int spawn_speed_ = kInitSpawnSpeed, spawn_timer_ = kInitSpawnSpeed, diver_spawn_timer_ = kDiverSpawnSpeed;
  int move_speed_ = kInitMoveInterval, ramp_index_ = 0, shot_timer_ = 0;
  bool surface_ = true, terminal_ = false;
};

}  // namespace

std::unique_ptr<Game> make_seaquest(const GameOptions& options) {
  return std::make_unique<Seaquest>(options.ramping);
}

}  // namespace rl::envs::minatar
