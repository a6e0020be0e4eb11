// The messages of the protocol as C++ values, and their conversion to and
// from WireMessage with every check a receiver needs (docs/wire-protocol.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rl/data/unroll.h"
#include "rl/wire/wire_message.h"

namespace rl::wire {

// Where a message comes from and belongs to: filled into every header.
struct Sender {
  std::string run;   // run id
  std::string from;  // "learner-0", "actor-3"
  uint64_t seq = 0;  // incremented for every message sent
  WireMessage start(const char* kind);
};

// What a learner accepts in an unroll, from the run's EnvSpec and config.
struct UnrollLimits {
  int64_t obs_size = 0;
  bool discrete = true;
  int64_t num_actions = 0;   // Discrete n
  int64_t action_size = 0;   // Box floats per action
  int64_t max_steps = 1 << 16;
  int64_t max_envs = 1 << 14;
};

WireMessage encode_unroll(Sender& sender, const Unroll& unroll);
// Checks shapes against the limits, dtypes, flags in {0, 1}, discrete actions
// in [0, n), final indices on truncated steps, and every float finite;
// throws WireError with the reason ("shape_mismatch", "non_finite",
// "bad_action", "bad_flag", "bad_index", ...).
Unroll decode_unroll(const WireMessage& message, const UnrollLimits& limits);

// Policy weights as named float arrays plus the observation statistics.
struct NamedArray {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};
struct WeightsPayload {
  int64_t version = 0;
  std::vector<NamedArray> parameters;
  std::vector<double> obs_mean, obs_var;
  double obs_count = 1e-4;
};
WireMessage encode_weights(Sender& sender, const WeightsPayload& weights);
WeightsPayload decode_weights(const WireMessage& message);

// An `error` message carrying a reason a human can act on.
WireMessage make_error(Sender& sender, const std::string& reason);

}  // namespace rl::wire
