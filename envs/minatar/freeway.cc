// MinAtar Freeway. The chicken (column 4) crosses eight lanes of cars from
// the bottom row to the top one; it moves at most once every 3 frames; +1
// per crossing, after which it starts again at the bottom and the cars get
// new speeds; a car sends it back to the bottom. Each car moves one cell
// every 1-5 frames (its trail channel says which) and wraps around. The
// episode ends after 2,501 frames: the reference's timer starts at 2,500
// and ends the game when it drops below 0. No ramping.
#include <algorithm>
#include <array>
#include <cstdlib>

#include "envs/minatar/minatar.h"

namespace rl::envs::minatar {
namespace {

constexpr int kPlayerSpeed = 3;   // frames between two chicken moves
constexpr int kTimeLimit = 2500;  // the reference's terminate_timer start

class Freeway final : public Game {
 public:
  enum Channel { kChicken = 0, kCar = 1, kSpeed1 = 2 };  // speed k: channel kSpeed1 + k - 1

  int num_channels() const override { return 7; }
  std::vector<int> minimal_actions() const override { return {kNoop, kUp, kDown}; }

  void reset(Rng& rng) override {
    randomize_cars(rng, /*initialize=*/true);
    pos_ = 9;
    move_timer_ = kPlayerSpeed;
    terminate_timer_ = kTimeLimit;
    terminal_ = false;
  }

  double act(int move, Rng& rng) override {
    if (terminal_) return 0.0;
    double reward = 0.0;
    if (move == kUp && move_timer_ == 0) {
      move_timer_ = kPlayerSpeed;
      pos_ = std::max(0, pos_ - 1);
    } else if (move == kDown && move_timer_ == 0) {
      move_timer_ = kPlayerSpeed;
      pos_ = std::min(9, pos_ + 1);
    }
    if (pos_ == 0) {
      reward += 1.0;
      randomize_cars(rng, /*initialize=*/false);
      pos_ = 9;
    }
    for (Car& car : cars_) {
      if (car.x == 4 && car.y == pos_) pos_ = 9;
      if (car.timer == 0) {
        car.timer = std::abs(car.speed);
        car.x += car.speed > 0 ? 1 : -1;
        if (car.x < 0) car.x = 9;
        if (car.x > 9) car.x = 0;
        if (car.x == 4 && car.y == pos_) pos_ = 9;
      } else {
        --car.timer;
      }
    }
    if (move_timer_ > 0) --move_timer_;
    if (--terminate_timer_ < 0) terminal_ = true;
    return reward;
  }

  bool terminal() const override { return terminal_; }

  void draw(Grid& grid) const override {
    grid.set(kChicken, pos_, 4);
    for (const Car& car : cars_) {
      grid.set(kCar, car.y, car.x);
      int back = car.speed > 0 ? car.x - 1 : car.x + 1;
      if (back < 0) back = 9;
      if (back > 9) back = 0;
      grid.set(kSpeed1 + std::abs(car.speed) - 1, car.y, back);
    }
  }

 private:
  struct Car {
    int x = 0, y = 0, timer = 0, speed = 1;  // speed: frames per move, signed by direction
  };

  // Eight speeds in 1..5 first, then eight directions, as the reference draws them.
  void randomize_cars(Rng& rng, bool initialize) {
    std::array<int, 8> speeds{};
    for (int& s : speeds) s = static_cast<int>(rng.integer(1, 6));
    for (int& s : speeds) s *= rng.uniform() < 0.5 ? -1 : 1;
    for (int i = 0; i < 8; ++i) {
      if (initialize) cars_[i] = Car{0, i + 1, 0, 0};
      cars_[i].timer = std::abs(speeds[i]);
      cars_[i].speed = speeds[i];
    }
  }

  std::array<Car, 8> cars_{};
  int pos_ = 9, move_timer_ = kPlayerSpeed, terminate_timer_ = kTimeLimit;
  bool terminal_ = false;
};

}  // namespace

std::unique_ptr<Game> make_freeway(const GameOptions& options) {
  (void)options;  // Freeway has no difficulty ramp
  return std::make_unique<Freeway>();
}

}  // namespace rl::envs::minatar
