// Elementwise math for the MLP kernels, written so that GCC vectorizes the
// loops (no calls into libm, no branches). libm's scalar tanhf costs about
// 20 ns a value, which made tanh, not the matrix products, the bulk of a
// small MLP's forward pass. Accuracy: a few float ulps (fast_math_test).
#pragma once

#include <bit>
#include <cstdint>

namespace rl::fast_math {

// exp(y) for y in [-88, 0]: y = n ln 2 + r with |r| <= ln(2)/2, exp(r) by its
// Taylor series to r^7 (truncation error below 3e-9), 2^n through the
// exponent bits.
[[gnu::always_inline]] inline float exp_nonpositive(float y) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693145751953125f;        // ln 2 split in two for an exact
  constexpr float kLn2Lo = 1.428606765330187045e-06f;  // reduction r = y - n ln 2
  constexpr float kRound = 12582912.f;                  // 1.5 * 2^23: round to nearest
  y = y < -87.f ? -87.f : y;
  const float n = (y * kLog2e + kRound) - kRound;
  const float r = (y - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.f / 5040.f;
  p = p * r + 1.f / 720.f;
  p = p * r + 1.f / 120.f;
  p = p * r + 1.f / 24.f;
  p = p * r + 1.f / 6.f;
  p = p * r + 0.5f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

// tanh(x): below |x| = 0.625 the odd Taylor series to x^21 (its terms
// shrink by about 0.16 each, so the truncation stays under 1e-8 relative);
// above, (1 - e) / (1 + e) with e = exp(-2|x|) <= 0.29, where no
// cancellation can occur. Both are computed and one selected, which keeps
// the loop branch-free.
[[gnu::always_inline]] inline float tanh(float x) {
  const float a = x < 0 ? -x : x;
  // Horner in x^2 over the coefficients of tanh's Maclaurin series,
  // written out: a loop here would stop GCC vectorizing the caller's loop.
  const float z = a * a;
  float s = 18888466084.f / 194896477400625.f;
  s = s * z - 443861162.f / 1856156927625.f;
  s = s * z + 6404582.f / 10854718875.f;
  s = s * z - 929569.f / 638512875.f;
  s = s * z + 21844.f / 6081075.f;
  s = s * z - 1382.f / 155925.f;
  s = s * z + 62.f / 2835.f;
  s = s * z - 17.f / 315.f;
  s = s * z + 2.f / 15.f;
  s = s * z - 1.f / 3.f;
  s = s * z + 1.f;
  const float small = a * s;
  const float e = exp_nonpositive(-2.f * a);
  const float large = (1.f - e) / (1.f + e);
  const float t = a < 0.625f ? small : large;
  return x < 0 ? -t : t;
}

}  // namespace rl::fast_math
