// MinAtar Freeway and SpaceInvaders: rules on states reached by scripted
// play from the start, the frame limit, and the VectorEnv runs every env
// test makes. (Breakout: breakout_test.cc.)
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "envs/minatar/minatar.h"
#include "tests/envs/minatar/minatar_play.h"
#include "tests/envs/env_test_util.h"

namespace rl::envs::minatar {
namespace {

// ---- Freeway ---------------------------------------------------------------
constexpr int kChicken = 0, kCar = 1, kSpeed1 = 2;

TEST(FreewayTest, StartsAtTheBottomWithOneCarAndOneTrailPerLane) {
  Play play(make_freeway({}));
  play.reset(5);
  EXPECT_EQ(play.row_of(kChicken, 4), 9);
  EXPECT_EQ(play.count(kCar), 8);
  for (int y = 1; y <= 8; ++y) EXPECT_TRUE(play.cell(kCar, y, 0)) << "lane " << y;
  int trails = 0;
  for (int c = kSpeed1; c < kSpeed1 + 5; ++c) trails += play.count(c);
  EXPECT_EQ(trails, 8);
}

TEST(FreewayTest, TheChickenMovesAtMostOnceEveryThreeFrames) {
  Play play(make_freeway({}));
  play.reset(5);
  // The move timer starts at 3: the first move happens on frame 4, then
  // every third frame, unless a car sends the chicken back.
  std::vector<int> rows;
  for (int t = 0; t < 7; ++t) {
    play.step(kUp);
    rows.push_back(play.row_of(kChicken, 4));
  }
  // Frames 1-3 wait; frame 4 moves (a car may send it straight back).
  EXPECT_EQ(rows[0], 9);
  EXPECT_EQ(rows[1], 9);
  EXPECT_EQ(rows[2], 9);
  EXPECT_GE(rows[3], 8);
  // Never two rows in fewer than three frames.
  for (size_t t = 1; t < rows.size(); ++t) EXPECT_GE(rows[t], rows[t - 1] - 1);
}

TEST(FreewayTest, CrossingsScoreOneAndCarsSendTheChickenBack) {
  Play play(make_freeway({}));
  int crossings = 0, hits = 0;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    play.reset(seed);
    int row = 9;
    for (int t = 0; t < 2501; ++t) {
      const StepResult r = play.step(kUp);
      const int now = play.row_of(kChicken, 4);
      if (r.reward > 0) {
        ++crossings;
        EXPECT_EQ(now, 9) << "a crossing restarts at the bottom";
      } else if (now == 9 && row < 8) {
        ++hits;  // back to the bottom from the road without scoring: a car
      }
      row = now;
    }
  }
  EXPECT_GT(crossings, 20);
  EXPECT_GT(hits, 0);
}

TEST(FreewayTest, TheGameEndsAfter2501Frames) {
  Play play(make_freeway({}));
  play.reset(9);
  for (int t = 0; t < 2500; ++t) ASSERT_FALSE(play.step(kNoop).terminated) << "frame " << t + 1;
  EXPECT_TRUE(play.step(kNoop).terminated);
}

// ---- SpaceInvaders ---------------------------------------------------------
constexpr int kCannon = 0, kAlien = 1, kAlienLeft = 2, kAlienRight = 3, kFriendly = 4, kEnemy = 5;

TEST(SpaceInvadersTest, StartsWithAFourBySixBlockMarchingLeft) {
  Play play(make_space_invaders({}));
  play.reset(0);
  EXPECT_EQ(play.count(kAlien), 24);
  for (int y = 0; y < 4; ++y)
    for (int x = 2; x < 8; ++x) EXPECT_TRUE(play.cell(kAlien, y, x));
  EXPECT_EQ(play.count(kAlienLeft), 24);
  EXPECT_EQ(play.count(kAlienRight), 0);
  EXPECT_TRUE(play.cell(kCannon, 9, 5));
}

TEST(SpaceInvadersTest, AShotTravelsUpAndKillsTheAlienItMeets) {
  Play play(make_space_invaders({}));
  play.reset(0);
  EXPECT_EQ(play.step(kFire).reward, 0.0);
  EXPECT_TRUE(play.cell(kFriendly, 8, 5)) << "fired from row 9, moved one row";
  double total = 0;
  for (int t = 0; t < 4; ++t) total += play.step(kNoop).reward;
  EXPECT_EQ(total, 0.0);
  EXPECT_TRUE(play.cell(kFriendly, 4, 5));
  EXPECT_EQ(play.step(kNoop).reward, 1.0) << "the bullet reached the block's bottom row";
  EXPECT_EQ(play.count(kAlien), 23);
  EXPECT_FALSE(play.cell(kAlien, 3, 5));
  EXPECT_EQ(play.count(kFriendly), 0);
}

TEST(SpaceInvadersTest, TheNearestAlienShootsAndItsBulletEndsTheGame) {
  Play play(make_space_invaders({}));
  play.reset(0);
  // Frame 11: the lowest alien of the cannon's column fires from row 3;
  // the bullet falls a row a frame and reaches the cannon on frame 17.
  for (int t = 0; t < 10; ++t) ASSERT_FALSE(play.step(kNoop).terminated);
  EXPECT_FALSE(play.step(kNoop).terminated);
  EXPECT_TRUE(play.cell(kEnemy, 3, 5));
  for (int t = 0; t < 5; ++t) ASSERT_FALSE(play.step(kNoop).terminated) << "frame " << 12 + t;
  EXPECT_TRUE(play.step(kNoop).terminated);
}

TEST(SpaceInvadersTest, TheBlockMovesAfterTwelveFramesAndStepsDownAtTheEdge) {
  Play play(make_space_invaders({}));
  play.reset(0);
  // Out of the way of the bullets: the cannon goes to column 0 and back.
  for (int t = 0; t < 12; ++t) play.step(kNoop);
  EXPECT_TRUE(play.cell(kAlien, 0, 2)) << "not moved before frame 13";
  play.step(kNoop);
  EXPECT_TRUE(play.cell(kAlien, 0, 1)) << "moved one column left on frame 13";
  EXPECT_FALSE(play.cell(kAlien, 0, 7));
}

TEST(SpaceInvadersTest, Registered) {
  const EnvRegistry& registry = testing::builtin_registry();
  EXPECT_EQ(registry.spec("MinAtar/SpaceInvaders-v1").action_space.n(), 4);
  EXPECT_EQ(registry.spec("MinAtar/Freeway-v1").action_space.n(), 3);
  EXPECT_EQ(registry.spec("MinAtar/Freeway-v0").observation_space.shape(), (std::vector<int64_t>{7, 10, 10}));
}

TEST(MinAtarTest, DeterministicInBoundsAndStressed) {
  for (const char* id : {"MinAtar/Freeway-v0", "MinAtar/SpaceInvaders-v0"}) {
    SCOPED_TRACE(id);
    testing::expect_deterministic(testing::builtin_registry(), id, 400);
    testing::expect_observations_in_bounds(testing::builtin_registry(), id, 1000);
    testing::stress_vector_env(testing::builtin_registry(), id, 500);
  }
}

}  // namespace
}  // namespace rl::envs::minatar
