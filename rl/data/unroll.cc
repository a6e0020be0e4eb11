#include "rl/data/unroll.h"

#include <stdexcept>

namespace rl {

void Unroll::resize(int64_t steps, int64_t envs, int64_t obs_elements, int64_t action_floats,
                    bool is_discrete, bool bytes) {
  num_steps = steps;
  num_envs = envs;
  obs_size = obs_elements;
  byte_obs = bytes;
  action_size = is_discrete ? 0 : action_floats;
  discrete = is_discrete;
  const size_t samples = static_cast<size_t>(steps * envs);
  const size_t obs_elements_all = static_cast<size_t>((steps + 1) * envs * obs_elements);
  obs.resize(bytes ? 0 : obs_elements_all);
  obs_u8.resize(bytes ? obs_elements_all : 0);
  discrete_actions.resize(is_discrete ? samples : 0);
  box_actions.resize(is_discrete ? 0 : samples * action_floats);
  rewards.resize(samples);
  terminated.resize(samples);
  truncated.resize(samples);
  behaviour_log_probs.resize(samples);
  values.resize(samples);
  final_index.clear();
  final_obs.clear();
  final_obs_u8.clear();
  episodes.clear();
}

void Unroll::check_consistent() const {
  auto expect = [](const char* name, size_t got, int64_t want) {
    if (static_cast<int64_t>(got) != want) {
      throw std::invalid_argument(std::string("unroll: ") + name + " has " + std::to_string(got) +
                                  " elements, expected " + std::to_string(want));
    }
  };
  if (num_steps <= 0 || num_envs <= 0 || obs_size <= 0) {
    throw std::invalid_argument("unroll: T, k and obs_size must be positive");
  }
  const int64_t samples = num_steps * num_envs;
  const int64_t obs_elements = (num_steps + 1) * num_envs * obs_size;
  const int64_t final_elements = static_cast<int64_t>(final_index.size()) * obs_size;
  expect("obs", obs.size(), byte_obs ? 0 : obs_elements);
  expect("obs_u8", obs_u8.size(), byte_obs ? obs_elements : 0);
  expect("final_obs", final_obs.size(), byte_obs ? 0 : final_elements);
  expect("final_obs_u8", final_obs_u8.size(), byte_obs ? final_elements : 0);
  expect("discrete_actions", discrete_actions.size(), discrete ? samples : 0);
  expect("box_actions", box_actions.size(), discrete ? 0 : samples * action_size);
  expect("rewards", rewards.size(), samples);
  expect("terminated", terminated.size(), samples);
  expect("truncated", truncated.size(), samples);
  expect("behaviour_log_probs", behaviour_log_probs.size(), samples);
  expect("values", values.size(), samples);
  expect("core_state", core_state.size(), num_envs * core_state_size);
  for (int32_t index : final_index) {
    if (index < 0 || index >= samples) {
      throw std::invalid_argument("unroll: final_index " + std::to_string(index) +
                                  " is outside [0, " + std::to_string(samples) + ")");
    }
  }
}

}  // namespace rl
