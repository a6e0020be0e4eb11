#include "algorithms/returns.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace rl {
namespace {

constexpr double kGamma = 0.9;
constexpr double kLambda = 0.5;

// One env, three steps: rewards 1, 2, 3; values 0.5, 0.4, 0.3; bootstrap 0.2.
// No episode end: delta_t = r_t + g V_{t+1} - V_t:
//   delta_2 = 3 + 0.9*0.2 - 0.3 = 2.88
//   delta_1 = 2 + 0.9*0.3 - 0.4 = 1.87
//   delta_0 = 1 + 0.9*0.4 - 0.5 = 0.86
// A_2 = 2.88; A_1 = 1.87 + 0.45*2.88 = 3.166; A_0 = 0.86 + 0.45*3.166 = 2.2847.
TEST(GaeTest, HandComputedWithoutEpisodeEnds) {
  const std::vector<float> rewards{1, 2, 3}, values{0.5f, 0.4f, 0.3f}, bootstrap{0.2f};
  const std::vector<uint8_t> none(3, 0);
  std::vector<float> next(3), adv(3), ret(3);
  successor_values(values, bootstrap, {}, {}, none, none, 3, 1, next);
  EXPECT_THAT(next, ::testing::ElementsAre(0.4f, 0.3f, 0.2f));
  gae(rewards, values, next, none, none, 3, 1, kGamma, kLambda, adv, ret);
  EXPECT_NEAR(adv[2], 2.88, 1e-6);
  EXPECT_NEAR(adv[1], 3.166, 1e-6);
  EXPECT_NEAR(adv[0], 2.2847, 1e-6);
  EXPECT_NEAR(ret[0], 2.2847 + 0.5, 1e-6);
}

// Step 1 terminates: no bootstrap there, and the trace is cut.
//   delta_2 = 3 + 0.9*0.2 - 0.3 = 2.88 (a new episode)
//   delta_1 = 2 + 0 - 0.4 = 1.6;  A_1 = 1.6 (cut)
//   A_0 = (1 + 0.9*0.4 - 0.5) + 0.45*1.6 = 0.86 + 0.72 = 1.58
TEST(GaeTest, TerminationCutsTraceAndBootstrap) {
  const std::vector<float> rewards{1, 2, 3}, values{0.5f, 0.4f, 0.3f}, bootstrap{0.2f};
  const std::vector<uint8_t> terminated{0, 1, 0}, truncated(3, 0);
  std::vector<float> next(3), adv(3), ret(3);
  successor_values(values, bootstrap, {}, {}, terminated, truncated, 3, 1, next);
  EXPECT_EQ(next[1], 0.f);
  gae(rewards, values, next, terminated, truncated, 3, 1, kGamma, kLambda, adv, ret);
  EXPECT_NEAR(adv[2], 2.88, 1e-6);
  EXPECT_NEAR(adv[1], 1.6, 1e-6);
  EXPECT_NEAR(adv[0], 1.58, 1e-6);
}

// Step 1 is truncated; its final observation has value 7. It bootstraps from
// 7 (not from V(o_2) = 0.3, the next episode's start) and cuts the trace:
//   delta_1 = 2 + 0.9*7 - 0.4 = 7.9; A_1 = 7.9
//   A_0 = 0.86 + 0.45*7.9 = 4.415
TEST(GaeTest, TruncationBootstrapsFromTheFinalObservation) {
  const std::vector<float> rewards{1, 2, 3}, values{0.5f, 0.4f, 0.3f}, bootstrap{0.2f};
  const std::vector<uint8_t> terminated(3, 0), truncated{0, 1, 0};
  const std::vector<int32_t> final_index{1};
  const std::vector<float> final_values{7.f};
  std::vector<float> next(3), adv(3), ret(3);
  successor_values(values, bootstrap, final_index, final_values, terminated, truncated, 3, 1, next);
  EXPECT_EQ(next[1], 7.f);
  gae(rewards, values, next, terminated, truncated, 3, 1, kGamma, kLambda, adv, ret);
  EXPECT_NEAR(adv[1], 7.9, 1e-5);
  EXPECT_NEAR(adv[0], 4.415, 1e-5);
  EXPECT_NEAR(adv[2], 2.88, 1e-6);
}

TEST(GaeTest, TerminationWinsOverTruncation) {
  const std::vector<float> values{0.5f, 0.4f}, bootstrap{0.2f};
  const std::vector<uint8_t> terminated{1, 0}, truncated{1, 0};
  const std::vector<int32_t> final_index{0};
  const std::vector<float> final_values{7.f};
  std::vector<float> next(2);
  successor_values(values, bootstrap, final_index, final_values, terminated, truncated, 2, 1, next);
  EXPECT_EQ(next[0], 0.f);
}

TEST(GaeTest, TruncationWithoutFinalValueIsAnError) {
  const std::vector<float> values{0.5f, 0.4f}, bootstrap{0.2f};
  const std::vector<uint8_t> terminated(2, 0), truncated{1, 0};
  std::vector<float> next(2);
  EXPECT_THROW(successor_values(values, bootstrap, {}, {}, terminated, truncated, 2, 1, next),
               std::invalid_argument);
}

// Envs are independent columns of the time-major arrays.
TEST(GaeTest, EnvsAreIndependentColumns) {
  // env 0: the example above; env 1: all zeros.
  const std::vector<float> rewards{1, 0, 2, 0, 3, 0}, values{0.5f, 0, 0.4f, 0, 0.3f, 0};
  const std::vector<float> bootstrap{0.2f, 0.f};
  const std::vector<uint8_t> none(6, 0);
  std::vector<float> next(6), adv(6), ret(6);
  successor_values(values, bootstrap, {}, {}, none, none, 3, 2, next);
  gae(rewards, values, next, none, none, 3, 2, kGamma, kLambda, adv, ret);
  EXPECT_NEAR(adv[0], 2.2847, 1e-6);
  EXPECT_EQ(adv[1], 0.f);
  EXPECT_EQ(adv[5], 0.f);
}

// On-policy (log rho = 0) with lambda = 1 and no clipping in effect, v_s is
// the n-step return to the end of the unroll:
//   v_s = sum_{t>=s} gamma^{t-s} r_t + gamma^{T-s} V(x_T),
// and A^pg_s = r_s + gamma v_{s+1} - V(x_s).
TEST(VtraceTest, OnPolicyEqualsNStepReturns) {
  const int64_t T = 4;
  const std::vector<float> rewards{1, -1, 2, 0.5f}, values{0.3f, -0.2f, 0.7f, 0.1f};
  const std::vector<float> bootstrap{1.5f}, log_rhos(T, 0.f), discounts(T, kGamma);
  std::vector<float> vs(T), pg(T);
  vtrace(log_rhos, discounts, rewards, values, bootstrap, T, 1, {}, vs, pg);
  for (int64_t s = 0; s < T; ++s) {
    double n_step = 0, g = 1;
    for (int64_t t = s; t < T; ++t, g *= kGamma) n_step += g * rewards[t];
    n_step += g * bootstrap[0];
    EXPECT_NEAR(vs[s], n_step, 1e-5) << "s = " << s;
    const double next_vs = s + 1 < T ? vs[s + 1] : bootstrap[0];
    EXPECT_NEAR(pg[s], rewards[s] + kGamma * next_vs - values[s], 1e-5);
  }
}

// On-policy with c = lambda: v_s - V(x_s) is the GAE(gamma, lambda) advantage.
TEST(VtraceTest, OnPolicyWithLambdaEqualsGae) {
  const int64_t T = 5;
  const std::vector<float> rewards{1, -1, 2, 0.5f, 3}, values{0.3f, -0.2f, 0.7f, 0.1f, 0.4f};
  const std::vector<float> bootstrap{1.5f}, log_rhos(T, 0.f), discounts(T, kGamma);
  std::vector<float> vs(T), pg(T);
  vtrace(log_rhos, discounts, rewards, values, bootstrap, T, 1, {.lambda = kLambda}, vs, pg);
  const std::vector<uint8_t> none(T, 0);
  std::vector<float> next(T), adv(T), ret(T);
  successor_values(values, bootstrap, {}, {}, none, none, T, 1, next);
  gae(rewards, values, next, none, none, T, 1, kGamma, kLambda, adv, ret);
  for (int64_t s = 0; s < T; ++s) EXPECT_NEAR(vs[s] - values[s], adv[s], 1e-5) << "s = " << s;
}

// Off-policy, two steps, worked step by step with rho_bar = c_bar = 1:
// ratios 2 and 0.5 (log 2, log 0.5); gamma 0.9; r = (1, 2); V = (0.5, 1);
// bootstrap 3.
//   rho_1 = min(1, 0.5) = 0.5, c_1 = 0.5
//   delta_1 = 0.5 * (2 + 0.9*3 - 1) = 1.85;  v_1 = 1 + 1.85 = 2.85
//   rho_0 = min(1, 2) = 1, c_0 = 1
//   delta_0 = 1 * (1 + 0.9*1 - 0.5) = 1.4
//   v_0 = 0.5 + 1.4 + 0.9*1*(v_1 - V_1) = 1.9 + 0.9*1.85 = 3.565
//   A_0 = min(1, 2) * (1 + 0.9*v_1 - 0.5) = 0.5 + 2.565 = 3.065
//   A_1 = 0.5 * (2 + 0.9*3 - 1) = 1.85
TEST(VtraceTest, ClippedOffPolicyExampleStepByStep) {
  const std::vector<float> log_rhos{static_cast<float>(std::log(2.0)), static_cast<float>(std::log(0.5))};
  const std::vector<float> discounts{0.9f, 0.9f}, rewards{1, 2}, values{0.5f, 1.f}, bootstrap{3.f};
  std::vector<float> vs(2), pg(2);
  vtrace(log_rhos, discounts, rewards, values, bootstrap, 2, 1, {}, vs, pg);
  EXPECT_NEAR(vs[1], 2.85, 1e-5);
  EXPECT_NEAR(vs[0], 3.565, 1e-5);
  EXPECT_NEAR(pg[0], 3.065, 1e-5);
  EXPECT_NEAR(pg[1], 1.85, 1e-5);

  // Without clipping (rho_bar = c_bar = 100) the ratio 2 counts in full:
  //   delta_0 = 2 * 1.4 = 2.8; v_0 = 0.5 + 2.8 + 0.9*2*1.85 = 6.63
  VtraceParams loose{.rho_bar = 100, .c_bar = 100, .pg_rho_bar = 100, .lambda = 1};
  vtrace(log_rhos, discounts, rewards, values, bootstrap, 2, 1, loose, vs, pg);
  EXPECT_NEAR(vs[0], 6.63, 1e-5);
}

// A zero discount (episode end) cuts both the bootstrap and the trace.
TEST(VtraceTest, ZeroDiscountCutsTheTrace) {
  const std::vector<float> log_rhos(2, 0.f), discounts{0.f, 0.9f}, rewards{1, 2};
  const std::vector<float> values{0.5f, 1.f}, bootstrap{3.f};
  std::vector<float> vs(2), pg(2);
  vtrace(log_rhos, discounts, rewards, values, bootstrap, 2, 1, {}, vs, pg);
  EXPECT_NEAR(vs[0], 1.0, 1e-6);  // just the reward
  EXPECT_NEAR(vs[1], 2 + 0.9 * 3, 1e-5);
}

}  // namespace
}  // namespace rl
