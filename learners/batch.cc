#include "learners/batch.h"

#include <algorithm>
#include <stdexcept>

namespace rl {

void Batch::assemble(std::span<const Unroll* const> unrolls) {
  if (unrolls.empty()) throw std::invalid_argument("Batch::assemble: no unrolls");
  const Unroll& first = *unrolls.front();
  num_steps = first.num_steps;
  obs_size = first.obs_size;
  action_size = first.discrete ? 0 : first.action_size;
  discrete = first.discrete;
  num_streams = 0;
  for (const Unroll* u : unrolls) {
    if (u->num_steps != num_steps || u->obs_size != obs_size || u->discrete != discrete ||
        u->byte_obs != first.byte_obs || u->core_state_size != first.core_state_size ||
        (!discrete && u->action_size != action_size)) {
      throw std::invalid_argument("Batch::assemble: unrolls of different shapes in one batch");
    }
    num_streams += u->num_envs;
  }
  const int64_t T = num_steps, K = num_streams, d = obs_size, a = action_size;
  obs.resize((T + 1) * K * d);
  rewards.resize(T * K);
  terminated.resize(T * K);
  truncated.resize(T * K);
  done.resize(T * K);
  log_probs.resize(T * K);
  values.resize(T * K);
  discrete_actions.resize(discrete ? T * K : 0);
  box_actions.resize(discrete ? 0 : T * K * a);
  stream.resize(K);
  core_state_size = first.core_state_size;
  core_state.clear();
  final_index.clear();
  final_obs.clear();
  sources.clear();
  episodes.clear();

  int64_t col = 0;  // first column of the current unroll
  for (const Unroll* u : unrolls) {
    const int64_t k = u->num_envs;
    for (int64_t t = 0; t <= T; ++t) {
      float* dst = obs.data() + (t * K + col) * d;
      if (u->byte_obs) {
        std::copy_n(u->obs_u8.data() + t * k * d, k * d, dst);  // widened to float
      } else {
        std::copy_n(u->obs.data() + t * k * d, k * d, dst);
      }
    }
    for (int64_t t = 0; t < T; ++t) {
      const int64_t src = t * k, dst = t * K + col;
      std::copy_n(u->rewards.data() + src, k, rewards.data() + dst);
      std::copy_n(u->terminated.data() + src, k, terminated.data() + dst);
      std::copy_n(u->truncated.data() + src, k, truncated.data() + dst);
      std::copy_n(u->behaviour_log_probs.data() + src, k, log_probs.data() + dst);
      std::copy_n(u->values.data() + src, k, values.data() + dst);
      for (int64_t i = 0; i < k; ++i) done[dst + i] = u->terminated[src + i] || u->truncated[src + i];
      if (discrete) {
        std::copy_n(u->discrete_actions.data() + src, k, discrete_actions.data() + dst);
      } else {
        std::copy_n(u->box_actions.data() + src * a, k * a, box_actions.data() + dst * a);
      }
    }
    for (int32_t index : u->final_index) {
      const int64_t t = index / k, i = index % k;
      final_index.push_back(static_cast<int32_t>(t * K + col + i));
    }
    if (u->byte_obs) {
      final_obs.insert(final_obs.end(), u->final_obs_u8.begin(), u->final_obs_u8.end());
    } else {
      final_obs.insert(final_obs.end(), u->final_obs.begin(), u->final_obs.end());
    }
    for (int64_t i = 0; i < k; ++i) stream[col + i] = u->actor_id * k + i;
    core_state.insert(core_state.end(), u->core_state.begin(), u->core_state.end());
    sources.push_back({u->actor_id, u->incarnation, u->sequence, u->policy_version, k, u->env_errors});
    episodes.insert(episodes.end(), u->episodes.begin(), u->episodes.end());
    col += k;
  }
}

}  // namespace rl
