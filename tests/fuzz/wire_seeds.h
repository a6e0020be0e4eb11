// Valid messages of every kind, framed for the fuzz target: the seeds of
// the corpus (make_wire_corpus writes them) and of the mutation test.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rl/data/unroll.h"
#include "rl/wire/messages.h"
#include "tests/fuzz/wire_fuzz.h"

namespace rl::wire::fuzz {

inline std::string framed(WireMessage message) { return join_frames(serialize(std::move(message))); }

inline Unroll seed_unroll(bool discrete) {
  Unroll u;
  const int64_t T = 3, k = 2, obs = discrete ? 4 : 3;
  u.resize(T, k, obs, 1, discrete);
  for (size_t i = 0; i < u.obs.size(); ++i) u.obs[i] = 0.01f * static_cast<float>(i);
  for (auto& a : u.discrete_actions) a = 1;
  for (auto& a : u.box_actions) a = -0.5f;
  for (auto& r : u.rewards) r = 1.f;
  u.terminated[1] = 1;
  u.truncated[4] = 1;  // t = 2, env 0: cut, with its real last observation
  u.final_index.push_back(4);
  u.final_obs.assign(obs, 0.25f);
  for (auto& l : u.behaviour_log_probs) l = -0.69f;
  for (auto& v : u.values) v = 2.f;
  u.policy_version = 7;
  u.actor_id = 1;
  u.sequence = 3;
  u.env_errors = 1;
  u.episodes.push_back({1, 2.0, 2});
  return u;
}

inline std::vector<std::pair<std::string, std::string>> seed_inputs() {
  Sender sender{"run", "actor-1", 0};
  std::vector<std::pair<std::string, std::string>> seeds;
  WireMessage hello = sender.start("hello");
  hello.body = {{"actor_id", int64_t{1}}, {"pid", int64_t{4242}}};
  seeds.emplace_back("hello", framed(std::move(hello)));
  WireMessage beat = sender.start("heartbeat");
  beat.body = {{"actor_id", int64_t{1}}, {"env_steps", int64_t{1000}}, {"consumed", int64_t{3}}};
  seeds.emplace_back("heartbeat", framed(std::move(beat)));
  WireMessage config = sender.start("config");
  config.body = {{"actor_id", int64_t{1}}, {"incarnation", int64_t{1}}, {"sync", true},
                 {"heartbeat_seconds", 1.0}, {"config_yaml", std::string("run:\n  env: CartPole-v1\n")}};
  seeds.emplace_back("config", framed(std::move(config)));
  seeds.emplace_back("stop", framed(sender.start("stop")));
  seeds.emplace_back("error", framed(make_error(sender, "env CartPole-v1 here has other spaces")));
  seeds.emplace_back("unroll_discrete", framed(encode_unroll(sender, seed_unroll(true))));
  seeds.emplace_back("unroll_box", framed(encode_unroll(sender, seed_unroll(false))));
  WeightsPayload weights;
  weights.version = 3;
  weights.parameters.push_back({"actor.0.weight", {2, 4}, std::vector<float>(8, 0.1f)});
  weights.parameters.push_back({"actor.0.bias", {2}, {0.f, 0.f}});
  weights.obs_mean = {0, 0, 0, 0};
  weights.obs_var = {1, 1, 1, 1};
  seeds.emplace_back("weights", framed(encode_weights(sender, weights)));
  return seeds;
}

}  // namespace rl::wire::fuzz
