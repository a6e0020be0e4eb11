#include "rl/env/space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace rl {
namespace {

TEST(SpaceTest, BoxKnowsItsShapeSizeAndBounds) {
  const Space box = Space::box({2, 3}, -1.f, 2.f);
  EXPECT_TRUE(box.is_box());
  EXPECT_EQ(box.flat_size(), 6);
  EXPECT_EQ(box.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(box.low()[5], -1.f);
  EXPECT_EQ(box.high()[0], 2.f);
}

TEST(SpaceTest, DiscreteIsOneElementWide) {
  const Space d = Space::discrete(5);
  EXPECT_TRUE(d.is_discrete());
  EXPECT_EQ(d.n(), 5);
  EXPECT_EQ(d.flat_size(), 1);
  EXPECT_EQ(d.to_string(), "Discrete(5)");
}

TEST(SpaceTest, RejectsInvalidDefinitions) {
  EXPECT_THROW(Space::discrete(0), std::invalid_argument);
  EXPECT_THROW(Space::box({0}, 0.f, 1.f), std::invalid_argument);
  EXPECT_THROW(Space::box({2}, {0.f}, {1.f, 1.f}), std::invalid_argument);
  EXPECT_THROW(Space::box({1}, {2.f}, {1.f}), std::invalid_argument);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(Space::box({1}, {nan}, {1.f}), std::invalid_argument);
  // Infinite bounds are legal (unbounded velocities).
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_NO_THROW(Space::box({1}, -inf, inf));
}

TEST(SpaceTest, ErrorMessagesNameTheProblem) {
  try {
    Space::box({2}, {0.f}, {1.f, 1.f});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("need 2 values each"), std::string::npos) << e.what();
  }
}

TEST(SpaceTest, EqualityComparesEverything) {
  EXPECT_EQ(Space::box({2}, 0.f, 1.f), Space::box({2}, 0.f, 1.f));
  EXPECT_NE(Space::box({2}, 0.f, 1.f), Space::box({2}, 0.f, 2.f));
  EXPECT_NE(Space::discrete(2), Space::discrete(3));
  EXPECT_FALSE(Space::discrete(1) == Space::box({1}, 0.f, 1.f));
}

}  // namespace
}  // namespace rl
