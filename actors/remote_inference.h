// The learner's inference over the wire (runtime.inference: learner, for an
// actor on another host than the learner's and not under a host agent):
// SEED RL's placement. Each env step sends the step's observations (with
// the episode starts and the previous step's rewards and actions) to the
// learner's inference socket and waits for the actions; the learner keeps
// the core state (learners/inference_bridge.h). The actor holds no policy
// and loads no weights.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rl/wire/curve.h"
#include "rl/wire/inference_board.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"

namespace rl {

struct RemoteInferenceConfig {
  std::string endpoint;      // the learner's inference socket, tcp://HOST:PORT
  std::string run_id;
  int64_t actor_id = 0;
  int64_t rows = 0;          // envs of the actor
  int64_t obs_size = 0;
  int64_t action_floats = 0;  // Box: floats per action; 0: Discrete
  int64_t state_size = 0;
  double timeout_seconds = 60.0;  // one step's answer
  std::optional<wire::CurveKeyPair> curve;  // this actor's keys, with the learner's public key
  std::string curve_server_key;
};

class RemoteInference final : public wire::StepInference {
 public:
  explicit RemoteInference(RemoteInferenceConfig config);

  // The least policy version the coming answers may use (PPO: the version
  // after the last unroll's).
  void set_min_version(int64_t version) { min_version_ = version; }

  void episodes_started(std::span<const uint8_t> starts) override;
  void act(std::span<const float> obs, std::span<int64_t> discrete, std::span<float> box,
           std::span<float> log_probs, std::span<float> values) override;
  void act(std::span<const uint8_t> obs, std::span<int64_t> discrete, std::span<float> box,
           std::span<float> log_probs, std::span<float> values) override;
  void stepped(std::span<const float> rewards) override;
  void unroll_ending() override { closing_ = true; }
  std::span<const float> start_state() const override { return start_state_; }
  int64_t version() const override { return version_; }

 private:
  void exchange(wire::WireMessage request, std::span<int64_t> discrete, std::span<float> box,
                std::span<float> log_probs, std::span<float> values);

  RemoteInferenceConfig config_;
  wire::Socket socket_;
  wire::Sender sender_;
  int64_t step_ = 0;
  int64_t min_version_ = 0;
  int64_t version_ = -1;
  bool have_previous_ = false;
  bool closing_ = false;
  std::vector<uint8_t> starts_;
  std::vector<float> rewards_, previous_box_, start_state_;
  std::vector<int64_t> previous_discrete_;
};

}  // namespace rl
