// MinAtar Breakout: the rules on states reached by scripted play from a
// known start, seeding, sticky actions, the observation bytes, and the
// VectorEnv runs every env test makes.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "envs/minatar/minatar.h"
#include "tests/envs/minatar/minatar_play.h"
#include "tests/envs/env_test_util.h"

namespace rl::envs::minatar {
namespace {

constexpr int kPaddle = 0, kBall = 1, kTrail = 2, kBrick = 3;

struct BreakoutPlay : Play {
  BreakoutPlay() : Play(make_breakout({})) {}
  // Resets with seeds until the ball starts on the `left` (x 0) or right (x 9).
  void reset_with_ball(bool left) {
    for (uint64_t seed = 0;; ++seed) {
      reset(seed);
      if ((where(kBall).first == 0) == left) return;
    }
  }
};

TEST(BreakoutTest, StartsWithThreeRowsOfBricksThePaddleInTheMiddleAndTheBallOnASide) {
  BreakoutPlay play;
  play.reset(1);
  EXPECT_EQ(play.count(kBrick), 30);
  for (int y = 1; y <= 3; ++y)
    for (int x = 0; x < 10; ++x) EXPECT_TRUE(play.cell(kBrick, y, x)) << y << "," << x;
  EXPECT_EQ(play.where(kPaddle), std::make_pair(4, 9));
  const auto [x, y] = play.where(kBall);
  EXPECT_EQ(y, 3);
  EXPECT_TRUE(x == 0 || x == 9);
  EXPECT_EQ(play.where(kTrail), play.where(kBall)) << "the trail starts under the ball";
  EXPECT_EQ(play.env.observation_space().to_string(), "Box(uint8, shape=[4, 10, 10], low=0, high=1)");
}

TEST(BreakoutTest, TheBallFallsDiagonallyAndItsTrailFollows) {
  BreakoutPlay play;
  play.reset_with_ball(/*left=*/true);  // x 0, y 3, moving down-right
  play.step(kNoop);
  EXPECT_EQ(play.where(kBall), std::make_pair(1, 4));
  EXPECT_EQ(play.where(kTrail), std::make_pair(0, 3));
  play.step(kNoop);
  EXPECT_EQ(play.where(kBall), std::make_pair(2, 5));
}

TEST(BreakoutTest, APaddleUnderTheBallBouncesItAndAMissEndsTheEpisode) {
  {
    // From x 0, y 3 down-right the ball reaches row 9 at x 6: a paddle at 5
    // (under the ball's last cell) sends it back up.
    BreakoutPlay play;
    play.reset_with_ball(/*left=*/true);
    play.step(kRight);  // paddle 5
    for (int t = 0; t < 5; ++t) EXPECT_FALSE(play.step(kNoop).terminated);
    EXPECT_EQ(play.where(kBall), std::make_pair(6, 8)) << "kept on row 8 by the paddle";
    play.step(kNoop);
    EXPECT_EQ(play.where(kBall), std::make_pair(7, 7)) << "bounced up-right";
  }
  {
    BreakoutPlay play;
    play.reset_with_ball(/*left=*/true);
    play.step(kLeft);  // paddle 3, far from x 6
    StepResult last;
    for (int t = 0; t < 5; ++t) last = play.step(kNoop);
    EXPECT_TRUE(last.terminated) << "the ball reached the bottom past the paddle";
    EXPECT_EQ(last.reward, 0.0);
  }
}

TEST(BreakoutTest, ABrickHitScoresOneRemovesTheBrickAndReflectsTheBall) {
  BreakoutPlay play;
  play.reset_with_ball(/*left=*/true);
  play.step(kRight);
  double total = 0;
  // Bounce off the paddle at 5, then climb into the bricks.
  // (6, 8) off the paddle, up-right to the wall at (9, 4), up-left into (8, 3).
  for (int t = 0; t < 9; ++t) total += play.step(kNoop).reward;
  EXPECT_EQ(total, 0.0);
  EXPECT_EQ(play.where(kBall), std::make_pair(9, 4));
  total += play.step(kNoop).reward;
  EXPECT_EQ(total, 1.0);
  EXPECT_EQ(play.count(kBrick), 29);
  EXPECT_FALSE(play.cell(kBrick, 3, 8));
  EXPECT_EQ(play.where(kBall), std::make_pair(8, 4)) << "reflected back to the row it came from";
}

TEST(BreakoutTest, SameSeedSameGameAndTheBallStartsOnBothSides) {
  int left = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    BreakoutPlay a, b;
    a.reset(seed);
    b.reset(seed);
    EXPECT_EQ(a.obs, b.obs);
    left += a.where(kBall).first == 0;
  }
  EXPECT_GT(left, 70);
  EXPECT_LT(left, 130);
}

TEST(BreakoutTest, StickyActionsRepeatThePreviousMoveAtTheirRate) {
  // With probability 1 every move is the first one the env ever took (noop):
  // the paddle never moves.
  MinAtarEnv always(make_breakout({}), play_options(/*sticky=*/1.0));
  std::vector<uint8_t> obs(400);
  std::vector<float> info;
  always.reset(3, std::span<uint8_t>(obs));
  for (int t = 0; t < 3; ++t) always.step(Action::discrete(kLeft), std::span<uint8_t>(obs), info);
  EXPECT_EQ(obs[(kPaddle * 10 + 9) * 10 + 4], 1) << "the paddle moved under sticky probability 1";

  // At 0.1: alternate left and right in episodes of 4 steps (the paddle
  // never reaches a wall from 4). A step whose wanted move differs from
  // the previous actual move shows a repeat as a move the wrong way.
  MinAtarEnv sticky(make_breakout({}), play_options(/*sticky=*/0.1));
  int repeats = 0, visible = 0;
  int previous = kNoop;  // the env's first last-move
  for (uint64_t episode = 0; visible < 20000; ++episode) {
    sticky.reset(episode, std::span<uint8_t>(obs));
    int paddle = 4;
    for (int t = 0; t < 4; ++t) {
      const int wanted = t % 2 == 0 ? kLeft : kRight;
      sticky.step(Action::discrete(wanted), std::span<uint8_t>(obs), info);
      int now = 0;
      for (int x = 0; x < 10; ++x) now = obs[(kPaddle * 10 + 9) * 10 + x] ? x : now;
      const int actual = now < paddle ? kLeft : now > paddle ? kRight : kNoop;
      if (wanted != previous) {
        ++visible;
        repeats += actual != wanted;
      }
      previous = actual;
      paddle = now;
    }
  }
  EXPECT_NEAR(repeats / static_cast<double>(visible), 0.1, 0.01);
}

TEST(BreakoutTest, MinimalActionSetIsNoopLeftRight) {
  MinAtarEnv env(make_breakout({}), play_options(0.0, /*minimal=*/true));
  EXPECT_EQ(env.action_space().n(), 3);
  std::vector<uint8_t> obs(400);
  std::vector<float> info;
  env.reset(0, std::span<uint8_t>(obs));
  env.step(Action::discrete(2), std::span<uint8_t>(obs), info);  // "r"
  EXPECT_EQ(obs[(kPaddle * 10 + 9) * 10 + 5], 1);
}

TEST(BreakoutTest, RegisteredWithBothActionSetsAndNoTimeLimit) {
  const EnvRegistry& registry = testing::builtin_registry();
  EXPECT_EQ(registry.spec("MinAtar/Breakout-v0").action_space.n(), 6);
  EXPECT_EQ(registry.spec("MinAtar/Breakout-v1").action_space.n(), 3);
  EXPECT_EQ(registry.spec("MinAtar/Breakout-v0").max_episode_steps, 0);
  EXPECT_TRUE(registry.spec("MinAtar/Breakout-v1").observation_space.is_uint8());
}

TEST(BreakoutTest, Deterministic) { testing::expect_deterministic(testing::builtin_registry(), "MinAtar/Breakout-v0"); }
TEST(BreakoutTest, ObservationsInBounds) {
  testing::expect_observations_in_bounds(testing::builtin_registry(), "MinAtar/Breakout-v0");
}
TEST(BreakoutTest, StressThroughTheVectorEnv) {
  testing::stress_vector_env(testing::builtin_registry(), "MinAtar/Breakout-v1");
}

}  // namespace
}  // namespace rl::envs::minatar
