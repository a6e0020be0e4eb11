// Return and advantage estimators: pure functions over [T, k] time-major
// arrays (T steps of k envs), shared by every algorithm and by every path
// (in-process and distributed). No torch: the CPU loops are the reference
// that any accelerated version is tested against.
#pragma once

#include <cstdint>
#include <span>

namespace rl {

// Vn_t, the value of the true successor of step t:
// - V(o_{t+1}) = values[t+1] when step t did not end an episode, and
//   bootstrap[i] = V(o_T) for t = T-1;
// - V(o_final) when step t was truncated and not terminated (final_index
//   lists those steps as t * k + i, final_values their values);
// - 0 when step t terminated (termination wins when both flags are set).
// Writes next_values [T, k].
void successor_values(std::span<const float> values, std::span<const float> bootstrap,
                      std::span<const int32_t> final_index, std::span<const float> final_values,
                      std::span<const uint8_t> terminated, std::span<const uint8_t> truncated,
                      int64_t num_steps, int64_t num_envs, std::span<float> next_values);

// GAE(gamma, lambda) with separate termination and truncation:
//   delta_t = r_t + gamma * Vn_t - V_t      (Vn_t = 0 on termination)
//   A_t = delta_t + gamma * lambda * (1 - d_t) * A_{t+1},  d_t = term or trunc
//   R_t = A_t + V_t                         (the TD(lambda) value target)
// The trace is cut at every episode end; only the bootstrap differs.
void gae(std::span<const float> rewards, std::span<const float> values,
         std::span<const float> next_values, std::span<const uint8_t> terminated,
         std::span<const uint8_t> truncated, int64_t num_steps, int64_t num_envs, double gamma,
         double lambda, std::span<float> advantages, std::span<float> returns);

struct VtraceParams {
  double rho_bar = 1.0;     // clip of the importance weights in the targets
  double c_bar = 1.0;       // clip of the trace coefficients
  double pg_rho_bar = 1.0;  // clip of the importance weights of the policy gradient
  double lambda = 1.0;      // trace decay: c_t = lambda * min(c_bar, ratio) (IMPALA remark 2)
};

// V-trace targets and policy-gradient advantages (IMPALA, Espeholt et al. 2018):
//   rho_t = min(rho_bar, pi/mu),  c_t = lambda * min(c_bar, pi/mu)
//   v_s = V_s + rho_s (r_s + g_s V_{s+1} - V_s) + g_s c_s (v_{s+1} - V_{s+1})
//   A_s = min(pg_rho_bar, pi/mu) (r_s + g_s v_{s+1} - V_s)
// with g_t = discounts[t] (gamma, or 0 where an episode ended), V_T =
// v_T = bootstrap. log_rhos = log pi(a_t|x_t) - log mu(a_t|x_t).
// Writes vs and pg_advantages [T, k].
void vtrace(std::span<const float> log_rhos, std::span<const float> discounts,
            std::span<const float> rewards, std::span<const float> values,
            std::span<const float> bootstrap, int64_t num_steps, int64_t num_envs,
            const VtraceParams& params, std::span<float> vs, std::span<float> pg_advantages);

}  // namespace rl
