#include "rl/wire/messages.h"

#include <cmath>
#include <cstring>

#include "rl/wire/half.h"

namespace rl::wire {
namespace {

template <typename T>
std::vector<T> to_vector(const WireArray& a) {
  std::vector<T> out(static_cast<size_t>(a.count()));
  if (!out.empty()) std::memcpy(out.data(), a.bytes.data(), a.bytes.size());
  return out;
}

// Into an existing vector (its capacity reused).
template <typename T>
void copy_into(const WireArray& a, std::vector<T>& out) {
  out.resize(static_cast<size_t>(a.count()));
  if (!out.empty()) std::memcpy(out.data(), a.bytes.data(), a.bytes.size());
}

// Parameters as floats, whatever dtype they travelled in.
std::vector<float> widen(const WireArray& a) {
  std::vector<float> out(static_cast<size_t>(a.count()));
  const auto* half = reinterpret_cast<const uint8_t*>(a.bytes.data());
  for (size_t i = 0; i < out.size(); ++i) {
    uint16_t h;
    std::memcpy(&h, half + 2 * i, 2);
    out[i] = a.dtype == DType::kFloat16 ? f16_to_float(h) : bf16_to_float(h);
  }
  return out;
}

const WireArray& expect(const WireMessage& m, const std::string& name, DType dtype,
                        const std::vector<int64_t>& shape) {
  const WireArray& a = m.array(name);
  if (a.dtype != dtype) {
    throw WireError("bad_dtype", "array '" + name + "' is " + dtype_name(a.dtype) + ", expected " +
                                     dtype_name(dtype));
  }
  if (a.shape != shape) {
    std::string got, want;
    for (int64_t d : a.shape) got += std::to_string(d) + " ";
    for (int64_t d : shape) want += std::to_string(d) + " ";
    throw WireError("shape_mismatch", "array '" + name + "' has shape [ " + got + "], expected [ " + want + "]");
  }
  return a;
}

void check_finite(const std::vector<float>& values, const char* name) {
  for (float v : values) {
    if (!std::isfinite(v)) throw WireError("non_finite", std::string("array '") + name + "' holds NaN or Inf");
  }
}

void check_flags(const std::vector<uint8_t>& values, const char* name) {
  for (uint8_t v : values) {
    if (v > 1) throw WireError("bad_flag", std::string("array '") + name + "' holds a value other than 0 or 1");
  }
}

}  // namespace

WireMessage Sender::start(const char* kind) {
  WireMessage m;
  m.kind = kind;
  m.run = run;
  m.from = from;
  m.seq = seq++;
  return m;
}

int64_t max_unroll_bytes(const UnrollLimits& limits) {
  const int64_t T = limits.num_steps > 0 ? limits.num_steps : limits.max_steps;
  const int64_t k = limits.num_envs > 0 ? limits.num_envs : limits.max_envs;
  const int64_t obs_bytes = limits.obs_size * (limits.byte_obs ? 1 : 4);
  const int64_t action_bytes = limits.discrete ? 8 : 4 * limits.action_size;
  const int64_t per_step = 2 * obs_bytes  // an observation, and a final one where the step truncates
                           + action_bytes + 4 * 3 + 2  // rewards, log-probabilities, values; two flags
                           + 4 + 4 * 3;  // a final index; an episode (env, length, return)
  return obs_bytes * k + T * k * per_step + 4 * k * limits.core_state_size + (64 << 10);
}

WireMessage encode_unroll(Sender& sender, const Unroll& u) {
  WireMessage m = sender.start("unroll");
  const int64_t T = u.num_steps, k = u.num_envs, d = u.obs_size;
  m.body = {{"num_steps", T},          {"num_envs", k},
            {"obs_size", d},           {"action_size", u.action_size},
            {"discrete", u.discrete},  {"policy_version", u.policy_version},
            {"actor_id", u.actor_id},  {"sequence", u.sequence},
            {"incarnation", u.incarnation}, {"env_errors", u.env_errors}};
  // Byte observations travel as bytes: a 4x10x10 grid is 400 bytes a step.
  if (u.byte_obs) {
    m.add_array("obs", DType::kUInt8, {T + 1, k, d}, u.obs_u8.data(), u.obs_u8.size());
  } else {
    m.add_array("obs", DType::kFloat32, {T + 1, k, d}, u.obs.data(), u.obs.size());
  }
  if (u.discrete) {
    m.add_array("actions", DType::kInt64, {T, k}, u.discrete_actions.data(), u.discrete_actions.size());
  } else {
    m.add_array("actions", DType::kFloat32, {T, k, u.action_size}, u.box_actions.data(), u.box_actions.size());
  }
  m.add_array("rewards", DType::kFloat32, {T, k}, u.rewards.data(), u.rewards.size());
  m.add_array("terminated", DType::kUInt8, {T, k}, u.terminated.data(), u.terminated.size());
  m.add_array("truncated", DType::kUInt8, {T, k}, u.truncated.data(), u.truncated.size());
  m.add_array("log_probs", DType::kFloat32, {T, k}, u.behaviour_log_probs.data(), u.behaviour_log_probs.size());
  m.add_array("values", DType::kFloat32, {T, k}, u.values.data(), u.values.size());
  if (u.core_state_size > 0) {  // recurrent policies only
    m.add_array("core_state", DType::kFloat32, {k, u.core_state_size}, u.core_state.data(), u.core_state.size());
  }
  const int64_t f = static_cast<int64_t>(u.final_index.size());
  m.add_array("final_index", DType::kInt32, {f}, u.final_index.data(), u.final_index.size());
  if (u.byte_obs) {
    m.add_array("final_obs", DType::kUInt8, {f, d}, u.final_obs_u8.data(), u.final_obs_u8.size());
  } else {
    m.add_array("final_obs", DType::kFloat32, {f, d}, u.final_obs.data(), u.final_obs.size());
  }
  const int64_t e = static_cast<int64_t>(u.episodes.size());
  std::vector<int32_t> env(e), length(e);
  std::vector<double> returns(e);
  for (int64_t i = 0; i < e; ++i) {
    env[i] = u.episodes[i].env;
    length[i] = u.episodes[i].length;
    returns[i] = u.episodes[i].return_;
  }
  m.add_array("episode_env", DType::kInt32, {e}, env.data(), env.size());
  m.add_array("episode_return", DType::kFloat64, {e}, returns.data(), returns.size());
  m.add_array("episode_length", DType::kInt32, {e}, length.data(), length.size());
  return m;
}

Unroll decode_unroll(const WireMessage& m, const UnrollLimits& limits) {
  Unroll u;
  decode_unroll(m, limits, u);
  return u;
}

namespace {

// The unroll's scalar fields, checked against the run's limits: its shape,
// its action space, its ids.
void decode_unroll_header(const WireMessage& m, const UnrollLimits& limits, Unroll& u) {
  u.num_steps = m.get_int("num_steps");
  u.num_envs = m.get_int("num_envs");
  u.obs_size = m.get_int("obs_size");
  u.action_size = m.get_int("action_size");
  u.discrete = m.get_bool("discrete");
  u.policy_version = m.get_int("policy_version");
  u.actor_id = m.get_int("actor_id");
  u.sequence = m.get_int("sequence");
  u.incarnation = m.get_int("incarnation");
  // Optional: actors before it did not send the count.
  u.env_errors = m.body.count("env_errors") ? m.get_int("env_errors") : 0;
  if (u.env_errors < 0) throw WireError("bad_count", "env_errors " + std::to_string(u.env_errors));
  const int64_t T = u.num_steps, k = u.num_envs, d = u.obs_size;
  if (T <= 0 || T > limits.max_steps || k <= 0 || k > limits.max_envs) {
    throw WireError("shape_mismatch", "unroll of " + std::to_string(T) + " steps x " + std::to_string(k) + " envs");
  }
  if ((limits.num_steps > 0 && T != limits.num_steps) || (limits.num_envs > 0 && k != limits.num_envs)) {
    throw WireError("shape_mismatch", "unroll of " + std::to_string(T) + " steps x " + std::to_string(k) +
                                          " envs; this run's unrolls are " + std::to_string(limits.num_steps) +
                                          " x " + std::to_string(limits.num_envs));
  }
  if (d != limits.obs_size) {
    throw WireError("shape_mismatch", "observations of " + std::to_string(d) + " elements, the env has " +
                                          std::to_string(limits.obs_size));
  }
  u.byte_obs = limits.byte_obs;
  if (u.discrete != limits.discrete || (!u.discrete && u.action_size != limits.action_size)) {
    throw WireError("shape_mismatch", "actions do not match the env's action space");
  }
  if (u.policy_version < 0 || u.actor_id < 0 || u.sequence < 0 || u.incarnation < 0) {
    throw WireError("bad_field", "negative version, actor id, incarnation or sequence");
  }
  if (u.actor_id >= limits.max_actor_id) {
    throw WireError("bad_actor_id", "actor id " + std::to_string(u.actor_id) + " is not below this run's " +
                                        std::to_string(limits.max_actor_id) + " actors");
  }
}

// Observations of the run's type into the float or the byte vector (the
// other one emptied): an unroll of the other type is a bad_dtype, dropped
// like any malformed unroll.
void copy_observations(const WireMessage& m, const char* name, std::vector<int64_t> shape, bool byte_obs,
                       std::vector<float>& floats, std::vector<uint8_t>& bytes) {
  if (byte_obs) {
    copy_into(expect(m, name, DType::kUInt8, shape), bytes);
    floats.clear();
  } else {
    copy_into(expect(m, name, DType::kFloat32, shape), floats);
    bytes.clear();
  }
}

// The per-step arrays: observations, actions (each in the action space),
// rewards, flags, the behaviour's log-probs and values, the core's state.
void decode_unroll_steps(const WireMessage& m, const UnrollLimits& limits, Unroll& u) {
  const int64_t T = u.num_steps, k = u.num_envs, d = u.obs_size;
  copy_observations(m, "obs", {T + 1, k, d}, u.byte_obs, u.obs, u.obs_u8);
  if (u.discrete) {
    copy_into(expect(m, "actions", DType::kInt64, {T, k}), u.discrete_actions);
    u.box_actions.clear();
    for (int64_t a : u.discrete_actions) {
      if (a < 0 || a >= limits.num_actions) throw WireError("bad_action", "action " + std::to_string(a));
    }
  } else {
    copy_into(expect(m, "actions", DType::kFloat32, {T, k, u.action_size}), u.box_actions);
    u.discrete_actions.clear();
    check_finite(u.box_actions, "actions");
  }
  copy_into(expect(m, "rewards", DType::kFloat32, {T, k}), u.rewards);
  copy_into(expect(m, "terminated", DType::kUInt8, {T, k}), u.terminated);
  copy_into(expect(m, "truncated", DType::kUInt8, {T, k}), u.truncated);
  copy_into(expect(m, "log_probs", DType::kFloat32, {T, k}), u.behaviour_log_probs);
  copy_into(expect(m, "values", DType::kFloat32, {T, k}), u.values);
  // Optional for a feed-forward policy (actors before recurrent cores did
  // not send it); a recurrent run's state must have the run's size.
  u.core_state_size = limits.core_state_size;
  if (m.has_array("core_state") || limits.core_state_size > 0) {
    copy_into(expect(m, "core_state", DType::kFloat32, {k, limits.core_state_size}), u.core_state);
  } else {
    u.core_state.clear();
  }
  check_finite(u.obs, "obs");
  check_finite(u.rewards, "rewards");
  check_finite(u.behaviour_log_probs, "log_probs");
  check_finite(u.values, "values");
  check_finite(u.core_state, "core_state");
  check_flags(u.terminated, "terminated");
  check_flags(u.truncated, "truncated");
}

// The final observations of truncated steps: one per step ended by
// truncation alone, in step order, once each (the learner places them by
// their index).
void decode_final_observations(const WireMessage& m, Unroll& u) {
  const int64_t T = u.num_steps, k = u.num_envs;
  const WireArray& final_index = m.array("final_index");
  const int64_t f = final_index.shape.empty() ? -1 : final_index.shape[0];
  if (f < 0 || f > T * k) throw WireError("shape_mismatch", "final_index has a bad shape");
  copy_into(expect(m, "final_index", DType::kInt32, {f}), u.final_index);
  copy_observations(m, "final_obs", {f, u.obs_size}, u.byte_obs, u.final_obs, u.final_obs_u8);
  check_finite(u.final_obs, "final_obs");
  int64_t previous = -1;
  for (int32_t index : u.final_index) {
    if (index < 0 || index >= T * k || !u.truncated[index] || u.terminated[index]) {
      throw WireError("bad_index", "final_index " + std::to_string(index) + " is not a truncated step");
    }
    if (index <= previous) {
      throw WireError("bad_index", "final_index " + std::to_string(index) + " after " + std::to_string(previous) +
                                       " (duplicate or unsorted)");
    }
    previous = index;
  }
  int64_t truncated_only = 0;
  for (int64_t j = 0; j < T * k; ++j) truncated_only += u.truncated[j] && !u.terminated[j];
  if (truncated_only != f) {
    throw WireError("bad_index", std::to_string(truncated_only) + " truncated steps but " +
                                     std::to_string(f) + " final observations");
  }
}

// The episodes that ended in the unroll: env, return, length.
void decode_episodes(const WireMessage& m, Unroll& u) {
  const int64_t T = u.num_steps, k = u.num_envs;
  const int64_t e = m.array("episode_env").shape.empty() ? -1 : m.array("episode_env").shape[0];
  if (e < 0 || e > T * k) throw WireError("shape_mismatch", "episode arrays have a bad shape");
  const auto env = to_vector<int32_t>(expect(m, "episode_env", DType::kInt32, {e}));
  const auto returns = to_vector<double>(expect(m, "episode_return", DType::kFloat64, {e}));
  const auto length = to_vector<int32_t>(expect(m, "episode_length", DType::kInt32, {e}));
  u.episodes.clear();
  for (int64_t i = 0; i < e; ++i) {
    if (env[i] < 0 || env[i] >= k || length[i] <= 0 || !std::isfinite(returns[i])) {
      throw WireError("bad_field", "episode record " + std::to_string(i));
    }
    u.episodes.push_back({env[i], returns[i], length[i]});
  }
}

}  // namespace

void decode_unroll(const WireMessage& m, const UnrollLimits& limits, Unroll& u) {
  if (m.kind != "unroll") throw WireError("unexpected_kind", "expected an unroll, got " + m.kind);
  u.episodes.clear();
  decode_unroll_header(m, limits, u);
  decode_unroll_steps(m, limits, u);
  decode_final_observations(m, u);
  decode_episodes(m, u);
}

WireMessage encode_weights(Sender& sender, const WeightsPayload& w, DType dtype) {
  if (dtype != DType::kFloat32 && dtype != DType::kFloat16 && dtype != DType::kBFloat16) {
    throw std::invalid_argument(std::string("weights travel as f32, f16 or bf16, not ") + dtype_name(dtype));
  }
  WireMessage m = sender.start("weights");
  m.body = {{"version", w.version}, {"obs_count", w.obs_count}};
  if (w.epoch != 0) m.body["epoch"] = w.epoch;
  const int64_t d = static_cast<int64_t>(w.obs_mean.size());
  m.add_array("obs_mean", DType::kFloat64, {d}, w.obs_mean.data(), w.obs_mean.size());
  m.add_array("obs_var", DType::kFloat64, {d}, w.obs_var.data(), w.obs_var.size());
  std::vector<uint16_t> half;
  for (const auto& p : w.parameters) {
    if (dtype == DType::kFloat32) {
      m.add_array("p:" + p.name, DType::kFloat32, p.shape, p.values.data(), p.values.size());
      continue;
    }
    half.resize(p.values.size());
    for (size_t i = 0; i < half.size(); ++i) {
      half[i] = dtype == DType::kFloat16 ? float_to_f16(p.values[i]) : float_to_bf16(p.values[i]);
    }
    m.add_array("p:" + p.name, dtype, p.shape, half.data(), half.size());
  }
  return m;
}

WeightsPayload decode_weights(const WireMessage& m) {
  if (m.kind != "weights") throw WireError("unexpected_kind", "expected weights, got " + m.kind);
  WeightsPayload w;
  w.version = m.get_int("version");
  w.epoch = m.body.count("epoch") ? m.get_int("epoch") : 0;
  w.obs_count = m.get_double("obs_count");
  if (w.version < 0 || !(w.obs_count > 0)) throw WireError("bad_field", "version or obs_count");
  for (const auto& a : m.arrays) {
    if (a.name == "obs_mean" || a.name == "obs_var") {
      if (a.dtype != DType::kFloat64 || a.shape.size() != 1) throw WireError("bad_dtype", a.name);
      auto values = to_vector<double>(a);
      for (double v : values) {
        if (!std::isfinite(v)) throw WireError("non_finite", a.name);
        if (a.name == "obs_var" && v < 0) throw WireError("bad_field", "obs_var has a negative variance");
      }
      (a.name == "obs_mean" ? w.obs_mean : w.obs_var) = std::move(values);
    } else if (a.name.rfind("p:", 0) == 0) {
      if (a.dtype != DType::kFloat32 && a.dtype != DType::kFloat16 && a.dtype != DType::kBFloat16) {
        throw WireError("bad_dtype", a.name);
      }
      NamedArray p{a.name.substr(2), a.shape, a.dtype == DType::kFloat32 ? to_vector<float>(a) : widen(a)};
      check_finite(p.values, a.name.c_str());
      w.parameters.push_back(std::move(p));
    }
  }
  if (w.obs_mean.size() != w.obs_var.size()) throw WireError("shape_mismatch", "obs_mean and obs_var");
  return w;
}

WireMessage make_credit(Sender& sender, int64_t grant) {
  WireMessage m = sender.start("credit");
  m.body["grant"] = grant;
  return m;
}

WireMessage make_want(Sender& sender, int64_t have, bool wait, int64_t epoch) {
  WireMessage m = sender.start("want");
  m.body["have"] = have;
  m.body["wait"] = wait;
  if (epoch != 0) m.body["epoch"] = epoch;
  return m;
}

WireMessage make_error(Sender& sender, const std::string& reason) {
  WireMessage m = sender.start("error");
  m.body["reason"] = reason;
  return m;
}

}  // namespace rl::wire
