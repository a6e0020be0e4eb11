// The default actor-critic network (policy_config.h) as plain kernels over
// one flat float buffer: no libtorch, no per-operator dispatch, no heap
// allocation once the workspaces have grown to the largest batch.
//
// Small policies (two hidden layers of 64 to 256 units) spend most of their
// time in libtorch's per-operator overhead, not in arithmetic (BENCHMARKS.md,
// "Small-policy fast path"). This is the fast path for them: actors run its
// forward pass, the CPU learners its forward and hand-written backward. The
// libtorch ActorCritic stays the reference and the path for everything else;
// tests hold the two equal.
//
// The flat buffer holds the parameters in the order and shapes of the
// libtorch module's named_parameters(), so that weights move between the
// two by one copy.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rl/env/space.h"
#include "rl/nn/policy_config.h"

namespace rl {

enum class Activation { kTanh, kRelu, kElu };
Activation parse_activation(const std::string& name);

// The shapes of one network.
struct MlpSpec {
  int64_t obs_size = 0;
  std::vector<int> hidden_sizes;
  Activation activation = Activation::kTanh;
  bool shared_trunk = false;
  bool discrete = true;
  int64_t head_size = 0;  // logits (Discrete) or means (Box)

  static MlpSpec of(int64_t obs_size, const Space& action_space, const PolicyConfig& config);
};

// One named parameter's place in the flat buffer.
struct FlatSlot {
  std::string name;            // as in ActorCriticImpl::named_parameters()
  std::vector<int64_t> shape;  // [out, in] weights, [out] biases, [d] log_std
  int64_t offset = 0;
  int64_t size = 0;
};

class MlpActorCritic {
 public:
  explicit MlpActorCritic(MlpSpec spec);

  const MlpSpec& spec() const { return spec_; }
  const std::vector<FlatSlot>& slots() const { return slots_; }
  int64_t num_parameters() const { return num_parameters_; }
  // Offset of log_std in the flat buffer (Box actions), -1 otherwise.
  int64_t log_std_offset() const { return log_std_offset_; }
  // Floating-point operations of one forward pass of one row (2 per
  // multiply-add), and of the backward pass.
  double forward_flops_per_row() const;
  double backward_flops_per_row() const;

  // Forward pass of `rows` observations [rows, obs_size]. The results (and
  // the activations a following backward() needs) stay in the workspace
  // until the next call. Without `with_values` the value function is not
  // computed (actors of algorithms that recompute values on the learner)
  // and values() reads 0.
  void forward(std::span<const float> params, std::span<const float> obs, int64_t rows, bool with_values = true);
  std::span<const float> head() const { return {head_.data(), size_t(rows_ * spec_.head_size)}; }
  std::span<const float> values() const { return {values_.data(), size_t(rows_)}; }

  // Accumulates into `grads` (flat, like params) the gradient of a loss given
  // its gradients with respect to the last forward's head [rows, head_size]
  // and values [rows]. Gradients of log_std terms are the caller's: they do
  // not pass through the network.
  void backward(std::span<const float> params, std::span<const float> d_head,
                std::span<const float> d_values, std::span<float> grads);

 private:
  struct Layer {
    int64_t in = 0, out = 0;
    int64_t weight = 0, bias = 0;  // offsets into the flat buffer
    bool activated = true;         // hidden layers; heads are linear
  };
  struct Trunk {
    std::vector<Layer> layers;
    std::vector<std::vector<float>> outputs;  // activations of each layer [rows, out]
  };

  void run_trunk(const float* params, Trunk& trunk, const float* input);
  void run_layer(const float* params, const Layer& layer, const float* input, float* output);
  // dy is overwritten with the pre-activation gradient; writes dx unless null.
  void backprop_layer(const float* params, const Layer& layer, const float* input, const float* output,
                      float* dy, float* dx, float* grads);
  void backprop_trunk(const float* params, Trunk& trunk, const float* input, float* d_output,
                      float* grads);
  void reserve(int64_t rows);

  MlpSpec spec_;
  std::vector<FlatSlot> slots_;
  int64_t num_parameters_ = 0;
  int64_t log_std_offset_ = -1;
  Trunk pi_trunk_, v_trunk_;  // v_trunk_ unused when shared
  Layer pi_head_, v_head_;

  int64_t rows_ = 0, capacity_ = 0;
  const float* input_ = nullptr;  // the last forward's observations
  std::vector<float> head_, values_;
  std::vector<float> d_pi_, d_v_, d_scratch_;  // backward workspaces [rows, widest]
};

}  // namespace rl
