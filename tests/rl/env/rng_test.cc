#include "rl/env/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

namespace rl {
namespace {

TEST(RngTest, SameSeedSameStreamOtherSeedOtherStream) {
  Rng a(7), b(7), c(8);
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    EXPECT_NE(x, c.next_u64());
  }
}

TEST(RngTest, ReseedRestartsTheStream) {
  Rng a(3);
  const double first = a.uniform();
  a.uniform();
  a.reseed(3);
  EXPECT_EQ(a.uniform(), first);
}

TEST(RngTest, DerivedSeedsDifferPerIndex) {
  std::set<uint64_t> seeds;
  for (uint64_t i = 0; i < 1000; ++i) seeds.insert(derive_seed(42, i));
  EXPECT_EQ(seeds.size(), 1000u);
  EXPECT_NE(derive_seed(1, 0), derive_seed(0, 1));
}

TEST(RngTest, UniformMomentsAndRange) {
  Rng rng(1);
  const int n = 200000;
  double sum = 0, squares = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform(-2.0, 4.0);
    ASSERT_GE(u, -2.0);
    ASSERT_LT(u, 4.0);
    sum += u;
    squares += u * u;
  }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 1.0, 0.02);
  EXPECT_NEAR(squares / n - mean * mean, 36.0 / 12.0, 0.03);
}

TEST(RngTest, NormalMoments) {
  Rng rng(2);
  const int n = 200000;
  double sum = 0, squares = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.normal();
    sum += x;
    squares += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(squares / n, 1.0, 0.01);
}

TEST(RngTest, IntegerIsUniformOverTheRange) {
  Rng rng(5);
  std::vector<int> counts(7, 0);
  const int n = 70000;
  for (int i = 0; i < n; ++i) {
    const int64_t v = rng.integer(-3, 4);
    ASSERT_GE(v, -3);
    ASSERT_LT(v, 4);
    ++counts[v + 3];
  }
  for (int c : counts) EXPECT_NEAR(c, n / 7, 400);
}

}  // namespace
}  // namespace rl
