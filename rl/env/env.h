// The environment interface: what a simulator implements to be trained on.
//
// An Env is one simulator instance. It never allocates its outputs: reset()
// and step() write the observation (and the per-step info terms) into spans
// owned by the caller, normally rows of a VectorEnv's batch arrays. Envs
// need no libtorch, ZeroMQ or msgpack headers.
//
// Semantics follow Gymnasium: `terminated` means the MDP reached a terminal
// state (the value after it is 0); `truncated` means the episode was cut for
// an outside reason. Envs normally never truncate themselves: the time limit
// of the registration is applied by the framework (TimeLimit, VectorEnv).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rl/env/render.h"
#include "rl/env/space.h"

namespace rl {

// One env's action, a view that owns nothing. Discrete action spaces read
// `index`; Box action spaces read `values` (flat_size() floats).
struct Action {
  int64_t index = 0;
  std::span<const float> values;

  static Action discrete(int64_t i) { return Action{i, {}}; }
  static Action box(std::span<const float> v) { return Action{0, v}; }
};

// What step() returns besides the observation it wrote.
struct StepResult {
  double reward = 0.0;
  bool terminated = false;  // terminal MDP state: do not bootstrap
  bool truncated = false;   // cut short (time limit): bootstrap from the obs
};

class Env {
 public:
  virtual ~Env() = default;

  // Spaces are fixed for the env's lifetime. Observations must be a Box; a
  // uint8 Box is written by envs derived from ByteEnv (below).
  virtual const Space& observation_space() const = 0;
  virtual const Space& action_space() const = 0;

  // Names of the scalar terms step() writes into `info` (reward terms such
  // as "reward_forward", "reward_ctrl"), in order. Empty if none.
  virtual std::span<const std::string> info_keys() const = 0;

  // Starts a new episode and writes its first observation into `obs`
  // (observation_space().flat_size() floats). With a seed the env's RNG is
  // reseeded first; without one it continues its stream (Gymnasium's
  // reset(seed=None)).
  virtual void reset(std::optional<uint64_t> seed, std::span<float> obs) = 0;

  // Applies `action` (already checked against action_space() by the
  // framework), writes the next observation into `obs` and the info terms
  // into `info` (info_keys().size() floats).
  virtual StepResult step(const Action& action, std::span<float> obs, std::span<float> info) = 0;

  // Optional: draws the current state into `frame` (frame.width x
  // frame.height, chosen by the caller) and sets frame.fps. Returns false
  // when the env cannot render (the default). Used by `rl_eval --record`,
  // never during training.
  virtual bool render(Frame& frame) {
    (void)frame;
    return false;
  }
};

// An env whose observations are bytes (a uint8 Box: grids, images). It
// writes them into uint8 rows, which a VectorEnv, the unrolls and the wire
// carry as bytes; the float overloads of Env are served by widening one
// row, so a ByteEnv also runs wherever a float env does (wrappers,
// recording) at the cost of a copy.
class ByteEnv : public Env {
 public:
  // As Env::reset and Env::step, writing observation_space().flat_size()
  // bytes into `obs`.
  virtual void reset(std::optional<uint64_t> seed, std::span<uint8_t> obs) = 0;
  virtual StepResult step(const Action& action, std::span<uint8_t> obs, std::span<float> info) = 0;

  void reset(std::optional<uint64_t> seed, std::span<float> obs) final;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) final;

 private:
  std::vector<uint8_t> widen_scratch_;
};

}  // namespace rl
