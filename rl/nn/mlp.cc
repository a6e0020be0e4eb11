#include "rl/nn/mlp.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "rl/nn/fast_math.h"
#include "rl/nn/gemm/gemm.h"

namespace rl {
namespace {

// y[r, j] = tanh(y[r, j] + b[j]) over a [rows, out] block. Built three
// times: for AVX-512 (x86-64-v4), AVX2/FMA (v3) and any x86-64, the choice
// made once at load time (GCC function multiversioning); tanh is most of a
// small MLP's forward time outside the matrix products, and AVX-512 runs it
// 3x faster than AVX2 here (0.35 vs 1.2 ns a value). With -fno-trapping-math (CMakeLists.txt)
// GCC vectorizes fast_math::tanh's branch-free selects.
#ifdef RL_NO_TARGET_CLONES
#define RL_TANH_CLONES
#else
#define RL_TANH_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
RL_TANH_CLONES
void add_bias_tanh(float* __restrict y, const float* __restrict b, int64_t rows, int64_t out) {
  for (int64_t r = 0; r < rows; ++r, y += out) {
    for (int64_t j = 0; j < out; ++j) {
      const float x = y[j] + b[j];
      y[j] = fast_math::tanh(x);
    }
  }
}

void add_bias_and_activate(float* y, const float* b, int64_t rows, int64_t out,
                           std::optional<Activation> activation) {
  if (activation == Activation::kTanh) {
    add_bias_tanh(y, b, rows, out);
    return;
  }
  for (int64_t r = 0; r < rows; ++r, y += out) {
    if (!activation) {
      for (int64_t j = 0; j < out; ++j) y[j] += b[j];
    } else if (*activation == Activation::kRelu) {
      for (int64_t j = 0; j < out; ++j) y[j] = std::max(y[j] + b[j], 0.f);
    } else {  // ELU
      for (int64_t j = 0; j < out; ++j) {
        const float x = y[j] + b[j];
        y[j] = x > 0 ? x : std::expm1(x);
      }
    }
  }
}

}  // namespace

Activation parse_activation(const std::string& name) {
  if (name == "tanh") return Activation::kTanh;
  if (name == "relu") return Activation::kRelu;
  if (name == "elu") return Activation::kElu;
  throw std::invalid_argument("policy.activation: '" + name + "' is not one of tanh, relu, elu");
}

MlpSpec MlpSpec::of(int64_t obs_size, const Space& action_space, const PolicyConfig& config) {
  config.validate();
  MlpSpec spec;
  spec.obs_size = obs_size;
  spec.hidden_sizes = config.hidden_sizes;
  spec.activation = parse_activation(config.activation);
  spec.shared_trunk = config.shared_trunk;
  spec.discrete = action_space.is_discrete();
  spec.head_size = spec.discrete ? action_space.n() : action_space.flat_size();
  return spec;
}

MlpActorCritic::MlpActorCritic(MlpSpec spec) : spec_(std::move(spec)) {
  if (spec_.obs_size <= 0 || spec_.head_size <= 0 || spec_.hidden_sizes.empty()) {
    throw std::invalid_argument("MlpActorCritic: needs observations, a head and a hidden layer");
  }
  auto add_slot = [this](const std::string& name, std::vector<int64_t> shape) {
    int64_t size = 1;
    for (int64_t s : shape) size *= s;
    slots_.push_back({name, std::move(shape), num_parameters_, size});
    num_parameters_ += size;
    return slots_.back().offset;
  };
  auto add_layer = [&](const std::string& prefix, int64_t in, int64_t out, bool activated) {
    Layer layer{in, out, 0, 0, activated};
    layer.weight = add_slot(prefix + ".weight", {out, in});
    layer.bias = add_slot(prefix + ".bias", {out});
    return layer;
  };
  auto add_trunk = [&](const std::string& name, Trunk& trunk) {
    int64_t in = spec_.obs_size;
    for (size_t i = 0; i < spec_.hidden_sizes.size(); ++i) {
      // Sequential numbers its Linear and activation modules alike.
      trunk.layers.push_back(add_layer(name + "." + std::to_string(2 * i), in, spec_.hidden_sizes[i], true));
      in = spec_.hidden_sizes[i];
    }
    trunk.outputs.resize(trunk.layers.size());
  };
  // libtorch lists a module's own parameters before its children's, and the
  // children in the order ActorCriticImpl registers them.
  if (!spec_.discrete) log_std_offset_ = add_slot("log_std", {spec_.head_size});
  if (spec_.shared_trunk) {
    add_trunk("trunk", pi_trunk_);
  } else {
    add_trunk("pi_trunk", pi_trunk_);
    add_trunk("v_trunk", v_trunk_);
  }
  const int64_t last = spec_.hidden_sizes.back();
  pi_head_ = add_layer("pi_head", last, spec_.head_size, false);
  v_head_ = add_layer("v_head", last, 1, false);
}

double MlpActorCritic::forward_flops_per_row() const {
  double macs = 0;
  const int trunks = spec_.shared_trunk ? 1 : 2;
  for (const Layer& l : pi_trunk_.layers) macs += trunks * l.in * l.out;
  macs += pi_head_.in * pi_head_.out + v_head_.in * v_head_.out;
  return 2 * macs;
}

double MlpActorCritic::backward_flops_per_row() const {
  // Weight gradients for every layer, input gradients for all but the first.
  double macs = 0;
  const int trunks = spec_.shared_trunk ? 1 : 2;
  for (size_t i = 0; i < pi_trunk_.layers.size(); ++i) {
    const Layer& l = pi_trunk_.layers[i];
    macs += trunks * l.in * l.out * (i == 0 ? 1 : 2);
  }
  macs += 2 * (pi_head_.in * pi_head_.out + v_head_.in * v_head_.out);
  return 2 * macs;
}

void MlpActorCritic::reserve(int64_t rows) {
  if (rows <= capacity_) return;
  capacity_ = rows;
  int64_t widest = spec_.head_size;
  for (Trunk* trunk : {&pi_trunk_, &v_trunk_}) {
    for (size_t i = 0; i < trunk->layers.size(); ++i) {
      trunk->outputs[i].resize(rows * trunk->layers[i].out);
      widest = std::max(widest, trunk->layers[i].out);
    }
  }
  widest = std::max(widest, spec_.obs_size);
  head_.resize(rows * spec_.head_size);
  values_.resize(rows);
  d_pi_.resize(rows * widest);
  d_v_.resize(rows * widest);
  d_scratch_.resize(rows * widest);
}

void MlpActorCritic::run_layer(const float* params, const Layer& layer, const float* input,
                               float* output) {
  const int64_t rows = rows_, in = layer.in, out = layer.out;
  const float* w = params + layer.weight;
  const float* b = params + layer.bias;
  gemm_kernels().nt(rows, out, in, input, w, output);  // Y [rows, out] = X [rows, in] W^T
  add_bias_and_activate(output, b, rows, out, layer.activated ? std::optional(spec_.activation) : std::nullopt);
}

void MlpActorCritic::run_trunk(const float* params, Trunk& trunk, const float* input) {
  for (size_t i = 0; i < trunk.layers.size(); ++i) {
    run_layer(params, trunk.layers[i], i == 0 ? input : trunk.outputs[i - 1].data(),
              trunk.outputs[i].data());
  }
}

void MlpActorCritic::forward(std::span<const float> params, std::span<const float> obs, int64_t rows,
                             bool with_values) {
  if (static_cast<int64_t>(params.size()) != num_parameters_ ||
      static_cast<int64_t>(obs.size()) < rows * spec_.obs_size) {
    throw std::invalid_argument("MlpActorCritic::forward: " + std::to_string(params.size()) +
                                " parameters (expected " + std::to_string(num_parameters_) + ") or " +
                                std::to_string(obs.size()) + " observation floats for " +
                                std::to_string(rows) + " rows");
  }
  reserve(rows);
  rows_ = rows;
  input_ = obs.data();
  const float* p = params.data();
  run_trunk(p, pi_trunk_, input_);
  run_layer(p, pi_head_, pi_trunk_.outputs.back().data(), head_.data());
  if (!with_values) {
    std::fill_n(values_.begin(), rows, 0.f);
    return;
  }
  const Trunk& v_trunk = spec_.shared_trunk ? pi_trunk_ : v_trunk_;
  if (!spec_.shared_trunk) run_trunk(p, v_trunk_, input_);
  run_layer(p, v_head_, v_trunk.outputs.back().data(), values_.data());
}

void MlpActorCritic::backprop_layer(const float* params, const Layer& layer, const float* input,
                                    const float* output, float* dy, float* dx, float* grads) {
  const int64_t rows = rows_, in = layer.in, out = layer.out;
  if (layer.activated) {
    const int64_t n = rows * out;
    switch (spec_.activation) {
      case Activation::kTanh:
        for (int64_t j = 0; j < n; ++j) dy[j] *= 1.f - output[j] * output[j];
        break;
      case Activation::kRelu:
        for (int64_t j = 0; j < n; ++j) dy[j] = output[j] > 0 ? dy[j] : 0.f;
        break;
      case Activation::kElu:  // y > 0: 1; otherwise d expm1(x) / dx = y + 1
        for (int64_t j = 0; j < n; ++j) dy[j] *= output[j] > 0 ? 1.f : output[j] + 1.f;
        break;
    }
  }
  // dW [out, in] += dY^T X ;  db += column sums of dY ;  dX = dY W
  const GemmKernels& gemm = gemm_kernels();
  gemm.tn_add(out, in, rows, dy, input, grads + layer.weight);
  float* db = grads + layer.bias;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = dy + r * out;
    for (int64_t j = 0; j < out; ++j) db[j] += row[j];
  }
  if (dx) {
    gemm.nn(rows, in, out, dy, params + layer.weight, dx);
  }
}

void MlpActorCritic::backprop_trunk(const float* params, Trunk& trunk, const float* input,
                                    float* d_output, float* grads) {
  // d_output holds the gradient of the last layer's output; the two
  // buffers d_output and d_scratch_ alternate down the layers.
  float* dy = d_output;
  float* dx = d_scratch_.data();
  for (size_t i = trunk.layers.size(); i-- > 0;) {
    const float* layer_input = i == 0 ? input : trunk.outputs[i - 1].data();
    backprop_layer(params, trunk.layers[i], layer_input, trunk.outputs[i].data(), dy,
                   i == 0 ? nullptr : dx, grads);
    std::swap(dy, dx);
  }
}

void MlpActorCritic::backward(std::span<const float> params, std::span<const float> d_head,
                              std::span<const float> d_values, std::span<float> grads) {
  if (static_cast<int64_t>(grads.size()) != num_parameters_ ||
      static_cast<int64_t>(d_head.size()) != rows_ * spec_.head_size ||
      static_cast<int64_t>(d_values.size()) != rows_) {
    throw std::invalid_argument("MlpActorCritic::backward: gradient sizes do not match the last forward");
  }
  const float* p = params.data();
  float* g = grads.data();
  const int64_t last = spec_.hidden_sizes.back();
  const Trunk& v_trunk = spec_.shared_trunk ? pi_trunk_ : v_trunk_;
  // The heads are linear: their output gradients are the ones given, copied
  // because backprop_layer works in place.
  std::copy(d_head.begin(), d_head.end(), d_scratch_.begin());
  backprop_layer(p, pi_head_, pi_trunk_.outputs.back().data(), head_.data(), d_scratch_.data(),
                 d_pi_.data(), g);
  std::copy(d_values.begin(), d_values.end(), d_scratch_.begin());
  backprop_layer(p, v_head_, v_trunk.outputs.back().data(), values_.data(), d_scratch_.data(),
                 d_v_.data(), g);
  if (spec_.shared_trunk) {
    for (int64_t j = 0; j < rows_ * last; ++j) d_pi_[j] += d_v_[j];
    backprop_trunk(p, pi_trunk_, input_, d_pi_.data(), g);
  } else {
    backprop_trunk(p, pi_trunk_, input_, d_pi_.data(), g);
    backprop_trunk(p, v_trunk_, input_, d_v_.data(), g);
  }
}

}  // namespace rl
