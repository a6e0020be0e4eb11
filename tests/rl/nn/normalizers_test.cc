#include "rl/nn/normalizers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace rl {
namespace {

TEST(RunningMeanStdTest, BatchMergesEqualOneBigBatch) {
  std::vector<float> data;
  for (int i = 0; i < 100; ++i) {
    data.push_back(static_cast<float>(i));
    data.push_back(static_cast<float>(i * i % 17));
  }
  RunningMeanStd once(2), pieces(2);
  once.update(data, 100);
  for (int r = 0; r < 100; r += 25) pieces.update(std::span<const float>(data).subspan(r * 2, 50), 25);
  for (int j = 0; j < 2; ++j) {
    EXPECT_NEAR(once.mean()[j], pieces.mean()[j], 1e-9);
    EXPECT_NEAR(once.var()[j], pieces.var()[j], 1e-9);
  }
  // The prior (mean 0, var 1, count 1e-4) barely moves the result.
  EXPECT_NEAR(once.mean()[0], 49.5, 1e-3);
  EXPECT_NEAR(once.var()[0], (100.0 * 100.0 - 1) / 12.0, 1e-2);
  EXPECT_NEAR(once.count(), 100.0001, 1e-9);
}

TEST(ObservationNormalizerTest, NormalizesAndClips) {
  ObservationNormalizer norm(1, /*enabled=*/true, /*clip=*/2.0);
  const std::vector<float> raw{1, 3, 1, 3};
  norm.update(raw, 4);  // mean ~2, var ~1
  std::vector<float> out(3);
  norm.normalize(std::vector<float>{2.f, 3.f, 100.f}, out);
  EXPECT_NEAR(out[0], 0.0, 1e-3);
  EXPECT_NEAR(out[1], 1.0, 1e-3);
  EXPECT_EQ(out[2], 2.f);  // clipped

  ObservationNormalizer off(1, false, 2.0);
  off.update(raw, 4);
  off.normalize(std::vector<float>{100.f, 3.f, 1.f}, out);
  EXPECT_EQ(out[0], 100.f);
}

// Returns of stream 0 with gamma 0.5 and rewards 1, 1, (done) 1:
// ret = 1, 1.5, then reset after the done step: 1 again.
TEST(RewardScalerTest, ScalesByTheStdOfDiscountedReturns) {
  RewardScaler scaler(/*enabled=*/true, /*gamma=*/0.5, /*clip=*/10.0);
  std::vector<float> rewards{1, 1, 1};
  const std::vector<uint8_t> done{0, 1, 0};
  scaler.scale(rewards, done, 3, 1);
  RunningMeanStd expected(1);
  expected.update(std::vector<double>{1.0, 1.5, 1.0}, 3);
  EXPECT_NEAR(scaler.stats().var()[0], expected.var()[0], 1e-12);
  const double f = 1.0 / std::sqrt(expected.var()[0] + 1e-8);
  EXPECT_NEAR(rewards[0], f, 1e-4);
  EXPECT_EQ(scaler.stream_returns()[0], 1.0);  // the accumulator after the last step

  RewardScaler off(false, 0.5, 10.0);
  std::vector<float> same{3, 4};
  off.scale(same, std::vector<uint8_t>{0, 0}, 2, 1);
  EXPECT_EQ(same[1], 4.f);
}

TEST(RewardScalerTest, RewardsAreClipped) {
  RewardScaler scaler(true, 0.99, 1.0);
  std::vector<float> rewards{1000.f, 0.f, 0.f, 0.f, -1000.f};
  scaler.scale(rewards, std::vector<uint8_t>(5, 0), 5, 1);
  for (float r : rewards) EXPECT_LE(std::abs(r), 1.f);
}

}  // namespace
}  // namespace rl
