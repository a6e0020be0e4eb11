#include "rl/nn/fast_math.h"

#include <gtest/gtest.h>

#include <cmath>

namespace rl {
namespace {

// Over a dense grid of [-12, 12] and tiny values, against libm in double.
TEST(FastMathTest, TanhIsWithinAFewUlpsOfLibm) {
  double worst = 0;
  for (int i = -240000; i <= 240000; ++i) {
    const float x = static_cast<float>(i) * 5e-5f;
    const double exact = std::tanh(static_cast<double>(x));
    const double err = std::abs(fast_math::tanh(x) - exact) / std::max(std::abs(exact), 1e-30);
    worst = std::max(worst, x == 0 ? 0.0 : err);
  }
  for (float x : {1e-30f, -1e-20f, 1e-8f, 3e-4f, 0.6249f, 0.625f, 0.6251f, 9.f, 20.f, -50.f, 100.f}) {
    const double exact = std::tanh(static_cast<double>(x));
    worst = std::max(worst, std::abs(fast_math::tanh(x) - exact) / std::abs(exact));
  }
  EXPECT_LT(worst, 5e-7);  // a few ulps of float (ulp = 6e-8 relative)
  EXPECT_EQ(fast_math::tanh(0.f), 0.f);
}

TEST(FastMathTest, ExpOfNonPositiveArguments) {
  double worst = 0;
  for (int i = 0; i <= 870000; ++i) {
    const float y = -static_cast<float>(i) * 1e-4f;
    const double exact = std::exp(static_cast<double>(y));
    worst = std::max(worst, std::abs(fast_math::exp_nonpositive(y) - exact) / exact);
  }
  EXPECT_LT(worst, 5e-7);
}

}  // namespace
}  // namespace rl
