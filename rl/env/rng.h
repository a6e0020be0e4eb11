// Explicit, per-env random number generation.
//
// Every env owns one Rng seeded from (run seed, env index); nothing in the
// framework draws from a global generator. The generator and the
// distributions are written here (not <random>'s distributions, whose output
// is implementation-defined) so that a seed gives the same trajectory with
// every compiler and standard library.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace rl {

// SplitMix64 step: turns any 64-bit value into a well-mixed one. Used to
// expand seeds, never as the main generator.
constexpr uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The seed of stream `index` of a run seeded with `seed` (env i of a
// VectorEnv, actor j of a run). Distinct indices give unrelated streams.
constexpr uint64_t derive_seed(uint64_t seed, uint64_t index) {
  uint64_t state = seed;
  uint64_t a = splitmix64(state);
  state = a ^ (index * 0xD1B54A32D192ED03ull);
  splitmix64(state);
  return splitmix64(state);
}

// xoshiro256++ (Blackman and Vigna): small state, fast, good statistical
// quality. Copyable, so an env's full state (RNG included) can be saved.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }

  void reseed(uint64_t seed) {
    uint64_t sm = seed;
    for (auto& word : s_) word = splitmix64(sm);
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  // Uniform in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }

  // Uniform integer in [low, high) (high > low), without modulo bias
  // (Lemire's multiply-and-reject).
  int64_t integer(int64_t low, int64_t high) {
    const uint64_t range = static_cast<uint64_t>(high - low);
    uint64_t x = next_u64();
    __uint128_t m = static_cast<__uint128_t>(x) * range;
    uint64_t l = static_cast<uint64_t>(m);
    if (l < range) {
      const uint64_t threshold = (0 - range) % range;
      while (l < threshold) {
        x = next_u64();
        m = static_cast<__uint128_t>(x) * range;
        l = static_cast<uint64_t>(m);
      }
    }
    return low + static_cast<int64_t>(m >> 64);
  }

  // Standard normal N(0, 1) by the Box-Muller transform (one value per call,
  // no cached second value, so the state is just the four words).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  double normal(double mean, double stddev) { return mean + stddev * normal(); }

  // The full generator state, for checkpoints.
  std::array<uint64_t, 4> state() const { return {s_[0], s_[1], s_[2], s_[3]}; }
  void set_state(const std::array<uint64_t, 4>& state) {
    for (int i = 0; i < 4; ++i) s_[i] = state[i];
  }

  bool operator==(const Rng&) const = default;

 private:
  static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace rl
