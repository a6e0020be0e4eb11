// MinAtar Breakout. The paddle moves along the bottom row; the ball moves
// one cell diagonally per frame and bounces off walls, bricks and the
// paddle; +1 per brick; the episode ends when the ball reaches the bottom
// row past the paddle. Three rows of bricks (rows 1-3) refill when the
// ball reaches the bottom row with none left. No ramping.
#include <algorithm>
#include <array>

#include "envs/minatar/minatar.h"

namespace rl::envs::minatar {
namespace {

// Ball directions: 0 up-left, 1 up-right, 2 down-right, 3 down-left.
constexpr std::array<int, 4> kDx{-1, 1, 1, -1};
constexpr std::array<int, 4> kDy{-1, -1, 1, 1};
constexpr std::array<int, 4> kMirrorX{1, 0, 3, 2};   // off a side wall
constexpr std::array<int, 4> kMirrorY{3, 2, 1, 0};   // off the top, a brick, the paddle's middle
constexpr std::array<int, 4> kReverse{2, 3, 0, 1};   // off the paddle's edge: straight back

class Breakout final : public Game {
 public:
  enum Channel { kPaddle = 0, kBall = 1, kTrail = 2, kBrick = 3 };

  int num_channels() const override { return 4; }
  std::vector<int> minimal_actions() const override { return {kNoop, kLeft, kRight}; }

  void reset(Rng& rng) override {
    ball_y_ = 3;
    const bool right = rng.integer(0, 2) == 1;
    ball_x_ = right ? 9 : 0;
    ball_dir_ = right ? 3 : 2;
    paddle_ = 4;
    for (auto& row : bricks_) row.fill(0);
    fill_bricks();
    strike_ = false;
    last_x_ = ball_x_;
    last_y_ = ball_y_;
    terminal_ = false;
  }

  double act(int move, Rng& rng) override {
    (void)rng;
    if (terminal_) return 0.0;
    double reward = 0.0;
    if (move == kLeft) paddle_ = std::max(0, paddle_ - 1);
    if (move == kRight) paddle_ = std::min(9, paddle_ + 1);

    last_x_ = ball_x_;
    last_y_ = ball_y_;
    int x = ball_x_ + kDx[ball_dir_];
    int y = ball_y_ + kDy[ball_dir_];
    bool struck = false;
    if (x < 0 || x > 9) {
      x = std::clamp(x, 0, 9);
      ball_dir_ = kMirrorX[ball_dir_];
    }
    if (y < 0) {
      y = 0;
      ball_dir_ = kMirrorY[ball_dir_];
    } else if (bricks_[y][x]) {
      struck = true;
      // A brick reached on the frame right after a strike is passed into,
      // not broken (the reference's rule).
      if (!strike_) {
        reward += 1.0;
        strike_ = true;
        bricks_[y][x] = 0;
        y = last_y_;
        ball_dir_ = kMirrorY[ball_dir_];
      }
    } else if (y == 9) {
      if (count_bricks() == 0) fill_bricks();
      if (ball_x_ == paddle_) {
        ball_dir_ = kMirrorY[ball_dir_];
        y = last_y_;
      } else if (x == paddle_) {
        ball_dir_ = kReverse[ball_dir_];
        y = last_y_;
      } else {
        terminal_ = true;
      }
    }
    if (!struck) strike_ = false;
    ball_x_ = x;
    ball_y_ = y;
    return reward;
  }

  bool terminal() const override { return terminal_; }

  void draw(Grid& grid) const override {
    grid.set(kBall, ball_y_, ball_x_);
    grid.set(kPaddle, 9, paddle_);
    grid.set(kTrail, last_y_, last_x_);
    for (int y = 0; y < kGrid; ++y) {
      for (int x = 0; x < kGrid; ++x) {
        if (bricks_[y][x]) grid.set(kBrick, y, x);
      }
    }
  }

 private:
  void fill_bricks() {
    for (int y = 1; y <= 3; ++y) bricks_[y].fill(1);
  }
  int count_bricks() const {
    int n = 0;
    for (const auto& row : bricks_) n += static_cast<int>(std::count(row.begin(), row.end(), 1));
    return n;
  }

  int ball_x_ = 0, ball_y_ = 3, ball_dir_ = 2, paddle_ = 4;
  int last_x_ = 0, last_y_ = 3;
  bool strike_ = false, terminal_ = false;
  std::array<std::array<uint8_t, kGrid>, kGrid> bricks_{};
};

}  // namespace

std::unique_ptr<Game> make_breakout(const GameOptions& options) {
  (void)options;  // Breakout has no difficulty ramp
  return std::make_unique<Breakout>();
}

}  // namespace rl::envs::minatar
