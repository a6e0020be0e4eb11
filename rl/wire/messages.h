// The messages of the protocol as C++ values, and their conversion to and
// from WireMessage with every check a receiver needs (docs/wire-protocol.md).
#pragma once

#include <cstdint>
#include <climits>
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
  bool byte_obs = false;     // observations are uint8 (else float32)
  bool discrete = true;
  int64_t num_actions = 0;   // Discrete n
  int64_t action_size = 0;   // Box floats per action
  int64_t core_state_size = 0;  // floats of recurrent state per env (0: no core)
  int64_t max_steps = 1 << 16;
  int64_t max_envs = 1 << 14;
  // The learner pins the shape it sent in its config: every accepted unroll
  // has exactly these T and k (0: any within the maxima).
  int64_t num_steps = 0;
  int64_t num_envs = 0;
  int64_t max_actor_id = INT64_MAX;  // ids in [0, max_actor_id)
};

// The most bytes an unroll within `limits` can take on the wire (its
// arrays at their largest, the episodes of every step, and room for the
// header): the hub's transport limit per message part.
int64_t max_unroll_bytes(const UnrollLimits& limits);

WireMessage encode_unroll(Sender& sender, const Unroll& unroll);
// Checks shapes against the limits, dtypes, flags in {0, 1}, discrete actions
// in [0, n), final indices strictly increasing and on truncated steps, the
// actor id in range, and every float finite; throws WireError with the
// reason ("shape_mismatch", "non_finite", "bad_action", "bad_flag",
// "bad_index", "bad_actor_id", ...). The second form decodes into `out`,
// reusing its arrays' memory.
Unroll decode_unroll(const WireMessage& message, const UnrollLimits& limits);
void decode_unroll(const WireMessage& message, const UnrollLimits& limits, Unroll& out);

// Policy weights as named float arrays plus the observation statistics.
struct NamedArray {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};
struct WeightsPayload {
  int64_t version = 0;
  // The publishing learner process's incarnation (random, > 0; 0: not
  // known). A resumed learner counts versions from its checkpoint, possibly
  // below what its actors last saw: versions compare within one epoch only.
  int64_t epoch = 0;
  std::vector<NamedArray> parameters;
  std::vector<double> obs_mean, obs_var;
  double obs_count = 1e-4;
};
// `dtype`: how parameters travel: f32 (exact), or f16 / bf16 (half the
// bytes; the receiver widens them back to float). Statistics stay f64.
WireMessage encode_weights(Sender& sender, const WeightsPayload& weights, DType dtype = DType::kFloat32);
WeightsPayload decode_weights(const WireMessage& message);

// Flow control (learner -> actor): `grant` more unrolls may be collected.
WireMessage make_credit(Sender& sender, int64_t grant);
// A weights request (actor or host relay -> the learner's weights socket).
// `wait`: answered with the first version newer than `have`, now or when it
// exists (PPO's actors wait for the next version). Otherwise answered at
// once: the newest version if it is newer than `have`, else a `current`
// message (body: version) saying there is nothing newer.
// `epoch`: the epoch of the weights `have` counts in (0: none yet); a
// learner of another epoch answers with its weights whatever `have` says.
WireMessage make_want(Sender& sender, int64_t have, bool wait = true, int64_t epoch = 0);

// An `error` message carrying a reason a human can act on.
WireMessage make_error(Sender& sender, const std::string& reason);

}  // namespace rl::wire
