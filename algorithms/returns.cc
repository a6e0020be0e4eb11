#include "algorithms/returns.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace rl {
namespace {

void expect_size(const char* who, const char* name, size_t got, int64_t want) {
  if (static_cast<int64_t>(got) != want) {
    throw std::invalid_argument(std::string(who) + ": " + name + " has " + std::to_string(got) +
                                " elements, expected " + std::to_string(want));
  }
}

}  // namespace

void successor_values(std::span<const float> values, std::span<const float> bootstrap,
                      std::span<const int32_t> final_index, std::span<const float> final_values,
                      std::span<const uint8_t> terminated, std::span<const uint8_t> truncated,
                      int64_t num_steps, int64_t num_envs, std::span<float> next_values) {
  const int64_t n = num_steps * num_envs;
  expect_size("successor_values", "values", values.size(), n);
  expect_size("successor_values", "bootstrap", bootstrap.size(), num_envs);
  expect_size("successor_values", "final_values", final_values.size(),
              static_cast<int64_t>(final_index.size()));
  expect_size("successor_values", "next_values", next_values.size(), n);
  for (int64_t t = 0; t < num_steps; ++t) {
    for (int64_t i = 0; i < num_envs; ++i) {
      const int64_t j = t * num_envs + i;
      next_values[j] = t + 1 < num_steps ? values[j + num_envs] : bootstrap[i];
    }
  }
  std::vector<uint8_t> has_final(n, 0);
  for (size_t m = 0; m < final_index.size(); ++m) {
    next_values[final_index[m]] = final_values[m];
    has_final[final_index[m]] = 1;
  }
  for (int64_t j = 0; j < n; ++j) {
    if (terminated[j]) {
      next_values[j] = 0.f;
    } else if (truncated[j] && !has_final[j]) {
      // The next row holds the next episode's start, never a successor.
      throw std::invalid_argument("successor_values: truncated step " + std::to_string(j) +
                                  " has no final observation value");
    }
  }
}

void gae(std::span<const float> rewards, std::span<const float> values,
         std::span<const float> next_values, std::span<const uint8_t> terminated,
         std::span<const uint8_t> truncated, int64_t num_steps, int64_t num_envs, double gamma,
         double lambda, std::span<float> advantages, std::span<float> returns) {
  const int64_t n = num_steps * num_envs;
  expect_size("gae", "rewards", rewards.size(), n);
  expect_size("gae", "values", values.size(), n);
  expect_size("gae", "next_values", next_values.size(), n);
  expect_size("gae", "advantages", advantages.size(), n);
  expect_size("gae", "returns", returns.size(), n);
  for (int64_t i = 0; i < num_envs; ++i) {
    double next_advantage = 0.0;
    for (int64_t t = num_steps - 1; t >= 0; --t) {
      const int64_t j = t * num_envs + i;
      const double successor = terminated[j] ? 0.0 : next_values[j];
      const double delta = rewards[j] + gamma * successor - values[j];
      const bool done = terminated[j] || truncated[j];
      const double advantage = delta + (done ? 0.0 : gamma * lambda * next_advantage);
      advantages[j] = static_cast<float>(advantage);
      returns[j] = static_cast<float>(advantage + values[j]);
      next_advantage = advantage;
    }
  }
}

void vtrace(std::span<const float> log_rhos, std::span<const float> discounts,
            std::span<const float> rewards, std::span<const float> values,
            std::span<const float> bootstrap, int64_t num_steps, int64_t num_envs,
            const VtraceParams& params, std::span<float> vs, std::span<float> pg_advantages) {
  const int64_t n = num_steps * num_envs;
  expect_size("vtrace", "log_rhos", log_rhos.size(), n);
  expect_size("vtrace", "discounts", discounts.size(), n);
  expect_size("vtrace", "rewards", rewards.size(), n);
  expect_size("vtrace", "values", values.size(), n);
  expect_size("vtrace", "bootstrap", bootstrap.size(), num_envs);
  expect_size("vtrace", "vs", vs.size(), n);
  expect_size("vtrace", "pg_advantages", pg_advantages.size(), n);
  for (int64_t i = 0; i < num_envs; ++i) {
    // v_{s+1} - V_{s+1}, zero past the end (v_T = V_T = bootstrap).
    double next_correction = 0.0;
    double next_vs = bootstrap[i];
    double next_value = bootstrap[i];
    for (int64_t t = num_steps - 1; t >= 0; --t) {
      const int64_t j = t * num_envs + i;
      const double ratio = std::exp(static_cast<double>(log_rhos[j]));
      const double rho = std::min(params.rho_bar, ratio);
      const double c = params.lambda * std::min(params.c_bar, ratio);
      const double g = discounts[j];
      const double delta = rho * (rewards[j] + g * next_value - values[j]);
      const double correction = delta + g * c * next_correction;
      const double v = values[j] + correction;
      const double pg_rho = std::min(params.pg_rho_bar, ratio);
      pg_advantages[j] = static_cast<float>(pg_rho * (rewards[j] + g * next_vs - values[j]));
      vs[j] = static_cast<float>(v);
      next_correction = correction;
      next_vs = v;
      next_value = values[j];
    }
  }
}

}  // namespace rl
