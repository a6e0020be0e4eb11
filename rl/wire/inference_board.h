// InferenceBoard: the shared memory between the actor processes of one host
// and the inference server that runs their policy in batches
// (runtime.inference: host or learner; docs/scaling.md). Each actor owns a
// slot: it writes its envs' observations (and the episode starts and rewards
// of the step before) there, rings the server's doorbell and sleeps on the
// slot; the server takes whatever slots are waiting, runs one forward pass
// over all their rows, writes actions, log-probabilities and values back and
// wakes them. The recurrent core's state lives in the slot, not in the
// server, so that a server that dies and is restarted loses nothing: a
// request it did not answer is still waiting, and answered again.
//
// A slot's control word holds its phase (free, requested, served) and which
// of its two core-state buffers is current; the server writes the advanced
// state into the other buffer and flips both in one store, so a server
// killed mid-answer leaves the state as it was before the request.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace rl::wire {

struct InferenceLayout {
  int32_t slots = 0;          // actor processes served
  int32_t rows = 0;           // envs per actor (rollout.num_envs)
  int32_t obs_size = 0;       // floats per observation
  int32_t action_floats = 0;  // floats per Box action; 0 for Discrete actions
  int32_t state_size = 0;     // core state floats per row (0: feed-forward)
  int32_t obs_bytes = 0;      // 1: observations are bytes (a uint8 Box: frames), 0: floats
};

// One slot's arrays, [rows, ...] each.
struct InferenceSlotView {
  // Written by the actor with a request: the observations as floats, or as
  // bytes (layout.obs_bytes; a quarter of the copying for frames).
  float* obs = nullptr;
  uint8_t* obs_u8 = nullptr;
  uint8_t* starts = nullptr;          // 1: an episode starts at this step (the core state resets)
  float* rewards = nullptr;           // rewards of the previous step (with kPreviousStep)
  int64_t* previous_discrete = nullptr;  // the previous step's actions (with kPreviousStep)
  float* previous_box = nullptr;
  // Written by the server with the answer.
  int64_t* discrete = nullptr;
  float* box = nullptr;
  float* log_probs = nullptr;
  float* values = nullptr;
  float* start_state = nullptr;       // the core state this step started from
  float* state[2] = {nullptr, nullptr};  // the core state, current one named by the control word
};

class InferenceBoard {
 public:
  // Request flags.
  static constexpr uint32_t kPreviousStep = 1;  // rewards and previous actions are filled (a core records them)

  // A new board (memfd, close-on-exec) carrying `run_config` (the run's
  // config YAML, for a server process to build the policy from).
  static InferenceBoard create(const InferenceLayout& layout, const std::string& run_config);
  // Maps the board behind an inherited descriptor; std::runtime_error naming
  // the descriptor when it is not one.
  static InferenceBoard attach(int fd);

  InferenceBoard(InferenceBoard&&) noexcept;
  InferenceBoard& operator=(InferenceBoard&&) noexcept;
  ~InferenceBoard();

  int fd() const;
  const InferenceLayout& layout() const;
  std::string run_config() const;
  InferenceSlotView slot(int index) const;

  // --- the actor's side ---
  // Takes a free slot for process `owner`, or the slot of an owner that no
  // longer exists (an actor that died and is restarted). std::runtime_error
  // when every slot is held by a live process.
  int claim(pid_t owner);
  // Sends slot `index`'s request: the server answers with weights of board
  // sequence `min_weights` or newer.
  void request(int index, uint32_t flags, int64_t min_weights);
  // Sleeps until the request is answered; false after `timeout_seconds`.
  bool wait_answer(int index, double timeout_seconds) const;
  // The policy version and learner epoch of the last answer.
  int64_t answered_version(int index) const;
  int64_t answered_epoch(int index) const;
  // Whether the slot's request has been answered (a poll, for the learner's
  // bridge to remote actors).
  bool answered(int index) const;
  // A slot is active from its request until its actor says the unroll ends
  // (it collects no more until it gets a credit): the server waits for
  // active slots only.
  void set_idle(int index);
  int active() const;
  // The current core state of the slot (after wait_answer: the advanced one).
  std::span<const float> current_state(int index) const;

  // --- the server's side ---
  // The slots waiting for an answer, in slot order.
  std::vector<int> requested() const;
  // Slots owned by some actor (the most that can be waiting).
  int claimed() const;
  // The doorbell's count: requests rung so far (a value for wait_requests).
  uint32_t doorbell() const;
  // Sleeps until the doorbell moves past `seen` or `timeout_seconds` pass.
  void wait_requests(uint32_t seen, double timeout_seconds) const;
  uint32_t flags(int index) const;
  int64_t min_weights(int index) const;
  // Which core-state buffer the request reads (the other one is written).
  int current_state_buffer(int index) const;
  // Answers a request: records what served it, flips the core-state buffer
  // (when the policy has a core) and wakes the actor.
  void answer(int index, int64_t version, int64_t epoch);
  // The serving process (a restarted server announces itself), and counts.
  void set_server(pid_t pid);
  pid_t server() const;
  uint64_t servers_started() const;
  void count_batch(int64_t slots, int64_t rows);
  uint64_t batches() const;
  uint64_t rows_served() const;
  uint64_t slots_served() const;

 private:
  struct Mapping;
  explicit InferenceBoard(std::unique_ptr<Mapping> mapping);
  std::unique_ptr<Mapping> mapping_;
};

// Where the actions of an actor that does not run its policy come from,
// one call per env step: the host's inference server through a board
// (InferenceClient), or the learner's over the wire (actors/remote_inference.h).
class StepInference {
 public:
  virtual ~StepInference() = default;
  // Episode starts at the coming step, then act() on that step's
  // observations; stepped() gives the step's rewards, sent with the next
  // request (a core records them with the actions).
  virtual void episodes_started(std::span<const uint8_t> starts) = 0;
  // Throw std::runtime_error when no answer comes in time.
  virtual void act(std::span<const float> obs, std::span<int64_t> discrete, std::span<float> box,
                   std::span<float> log_probs, std::span<float> values) = 0;
  virtual void act(std::span<const uint8_t> obs, std::span<int64_t> discrete, std::span<float> box,
                   std::span<float> log_probs, std::span<float> values) = 0;
  virtual void stepped(std::span<const float> rewards) = 0;
  // The coming act() is the unroll's last: after it the actor may be idle
  // for a while (no credit), and the server should not wait for it.
  virtual void unroll_ending() = 0;
  // The core state the last act() started from, [rows, state_size].
  virtual std::span<const float> start_state() const = 0;
  // The policy version of the last answer.
  virtual int64_t version() const = 0;
};

// An actor's end of its slot.
class InferenceClient final : public StepInference {
 public:
  // `timeout_seconds`: how long one step may wait for the server (a server
  // restarting after a failure takes a fraction of a second).
  InferenceClient(InferenceBoard& board, int slot, double timeout_seconds);
  int slot() const { return slot_; }
  // The weights board sequence the coming answers must be at least.
  void set_min_weights(int64_t sequence) { min_weights_ = sequence; }
  void episodes_started(std::span<const uint8_t> starts) override;
  void act(std::span<const float> obs, std::span<int64_t> discrete, std::span<float> box,
           std::span<float> log_probs, std::span<float> values) override;
  // Byte observations need a board of obs_bytes.
  void act(std::span<const uint8_t> obs, std::span<int64_t> discrete, std::span<float> box,
           std::span<float> log_probs, std::span<float> values) override;
  void stepped(std::span<const float> rewards) override;
  void unroll_ending() override { closing_ = true; }
  std::span<const float> start_state() const override;
  int64_t version() const override;
  int64_t epoch() const;

 private:
  void exchange(std::span<int64_t> discrete, std::span<float> box, std::span<float> log_probs,
                std::span<float> values);

  InferenceBoard& board_;
  int slot_;
  double timeout_seconds_;
  int64_t min_weights_ = 0;
  bool have_previous_ = false;
  bool closing_ = false;
};

}  // namespace rl::wire
