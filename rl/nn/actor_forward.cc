#include "rl/nn/actor_forward.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "rl/nn/conv_stack.h"
#include "rl/nn/gemm/gemm.h"

namespace rl {
namespace {

float activate(Activation a, float x) {
  switch (a) {
    case Activation::kTanh: return std::tanh(x);
    case Activation::kRelu: return std::max(0.f, x);
    case Activation::kElu: return x > 0 ? x : std::expm1(x);
  }
  return x;
}

float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

}  // namespace

bool ActorForwardSpec::applies(const PolicyConfig& config, const Space& observation_space, const Space& action_space) {
  if (config.fast_path == "off" || config.fast_path_applies()) return false;
  if (config.encoder == "minatar_cnn" || config.encoder == "nature_cnn" || config.encoder == "impala_cnn") {
    return action_space.is_discrete() && observation_space.shape().size() == 3;
  }
  return config.encoder == "mlp" && config.core == "lstm";
}

ActorForwardSpec ActorForwardSpec::of(const Space& observation_space, const Space& action_space,
                                      const PolicyConfig& config) {
  ActorForwardSpec spec;
  if (config.encoder == "mlp") {
    spec.obs_size = observation_space.flat_size();
    spec.hidden_sizes = config.hidden_sizes;
    spec.activation = parse_activation(config.activation);
  } else {
    const std::vector<int64_t> shape = observation_space.shape();
    spec.channels = shape[0];
    spec.height = shape[1];
    spec.width = shape[2];
    spec.obs_size = shape[0] * shape[1] * shape[2];
    const ConvStackLayers layers = conv_stack_layers(config);
    spec.conv_channels = layers.channels;
    spec.kernels = layers.kernels;
    spec.strides = layers.strides;
    spec.residual = config.encoder == "impala_cnn";
    spec.fc_size = layers.fc_size;
    spec.obs_scale = static_cast<float>(resolved_obs_scale(config));
  }
  spec.discrete = action_space.is_discrete();
  spec.head_size = spec.discrete ? action_space.n() : action_space.flat_size();
  if (config.core == "lstm") {
    spec.lstm_size = config.lstm_size;
    spec.sees_action = config.core_sees_action();
    spec.sees_reward = config.core_sees_reward();
    spec.core_inputs = config.core_input_size(spec.head_size);
  }
  return spec;
}

int64_t ActorForward::add_slot(const std::string& name, std::vector<int64_t> shape) {
  int64_t size = 1;
  for (int64_t d : shape) size *= d;
  slots_.push_back({name, std::move(shape), num_parameters_, size});
  num_parameters_ += size;
  return slots_.back().offset;
}

ActorForward::Linear ActorForward::add_linear(const std::string& name, int64_t in, int64_t out) {
  Linear l{.in = in, .out = out};
  l.weight = add_slot(name + ".weight", {out, in});
  l.bias = add_slot(name + ".bias", {out});
  return l;
}

ActorForward::ConvLayer ActorForward::add_conv(const std::string& name, int64_t in, int64_t out, int64_t kernel,
                                               int64_t stride, int64_t pad, int64_t h, int64_t w) {
  ConvLayer layer{.in = in, .out = out, .kernel = kernel, .stride = stride, .pad = pad, .in_h = h, .in_w = w};
  if (h + 2 * pad < kernel || w + 2 * pad < kernel) throw std::invalid_argument("ActorForward: no pixels left");
  layer.out_h = (h + 2 * pad - kernel) / stride + 1;
  layer.out_w = (w + 2 * pad - kernel) / stride + 1;
  layer.weight = add_slot(name + ".weight", {out, in, kernel, kernel});
  layer.bias = add_slot(name + ".bias", {out});
  return layer;
}

ActorForward::ActorForward(ActorForwardSpec spec) : spec_(std::move(spec)) {
  // A module's own parameters come before its children's in libtorch's
  // named_parameters(): log_std (Box actions) first.
  if (!spec_.discrete) log_std_ = add_slot("log_std", {spec_.head_size});
  if (spec_.residual) {
    // encoders.cc's ImpalaCnn registers, per stack, stack<i>_conv, then its
    // blocks stack<i>_res<j> with conv0 and conv1 each.
    int64_t in = spec_.channels, h = spec_.height, w = spec_.width;
    for (size_t i = 0; i < spec_.conv_channels.size(); ++i) {
      const std::string name = "encoder.stack" + std::to_string(i);
      const int64_t c = spec_.conv_channels[i];
      ResidualStack stack;
      stack.conv = add_conv(name + "_conv", in, c, 3, 1, 1, h, w);
      stack.pooled_h = (h - 1) / 2 + 1;  // max-pool 3x3, stride 2, padding 1
      stack.pooled_w = (w - 1) / 2 + 1;
      for (int j = 0; j < 2; ++j) {
        for (int k = 0; k < 2; ++k) {
          stack.blocks[j][k] = add_conv(name + "_res" + std::to_string(j) + ".conv" + std::to_string(k), c, c, 3, 1,
                                        1, stack.pooled_h, stack.pooled_w);
        }
      }
      stacks_.push_back(stack);
      in = c, h = stack.pooled_h, w = stack.pooled_w;
    }
    fc_ = add_linear("encoder.fc", in * h * w, spec_.fc_size);
    features_size_ = spec_.fc_size;
  } else if (!spec_.conv_channels.empty()) {
    int64_t in = spec_.channels, h = spec_.height, w = spec_.width;
    for (size_t i = 0; i < spec_.conv_channels.size(); ++i) {
      // In a torch::nn::Sequential of (conv, ReLU) pairs: convolutions at even indices.
      const ConvLayer layer = add_conv("encoder.convs." + std::to_string(2 * i), in, spec_.conv_channels[i],
                                       spec_.kernels[i], spec_.strides[i], 0, h, w);
      convs_.push_back(layer);
      in = layer.out, h = layer.out_h, w = layer.out_w;
    }
    fc_ = add_linear("encoder.fc", in * h * w, spec_.fc_size);
    features_size_ = spec_.fc_size;
  } else {
    // The shared trunk, a Sequential of (Linear, activation) pairs.
    int64_t in = spec_.obs_size;
    for (size_t i = 0; i < spec_.hidden_sizes.size(); ++i) {
      trunk_.push_back(add_linear("trunk." + std::to_string(2 * i), in, spec_.hidden_sizes[i]));
      in = spec_.hidden_sizes[i];
    }
    features_size_ = in;
  }
  if (spec_.lstm_size > 0) {
    const int64_t h = spec_.lstm_size, x = features_size_ + spec_.core_inputs;
    weight_ih_ = add_slot("core.weight_ih", {4 * h, x});
    weight_hh_ = add_slot("core.weight_hh", {4 * h, h});
    bias_ih_ = add_slot("core.bias_ih", {4 * h});
    bias_hh_ = add_slot("core.bias_hh", {4 * h});
  }
  const int64_t features = spec_.lstm_size > 0 ? spec_.lstm_size : features_size_;
  pi_ = add_linear("pi_head", features, spec_.head_size);
  v_ = add_linear("v_head", features, 1);
}

void ActorForward::linear(std::span<const float> params, const Linear& l, const float* x, int64_t rows,
                          std::vector<float>& y) const {
  y.resize(static_cast<size_t>(rows * l.out));
  gemm_kernels().nt(rows, l.out, l.in, x, params.data() + l.weight, y.data());
  const float* bias = params.data() + l.bias;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < l.out; ++j) y[r * l.out + j] += bias[j];
  }
}

void ActorForward::convolve(std::span<const float> params, const ConvLayer& l, const float* x, int64_t rows,
                            std::vector<float>& out, bool relu) {
  // im2col: one row of C*K*K inputs per output pixel of every image, in the
  // weight's (in, ky, kx) order (zeros where the kernel overlaps the
  // padding); then pixels x out = columns x W^T.
  const int64_t pixels = l.out_h * l.out_w, patch = l.in * l.kernel * l.kernel;
  columns_.resize(static_cast<size_t>(rows * pixels * patch));
  float* col = columns_.data();
  for (int64_t r = 0; r < rows; ++r) {
    const float* image = x + r * l.in * l.in_h * l.in_w;
    for (int64_t oy = 0; oy < l.out_h; ++oy) {
      for (int64_t ox = 0; ox < l.out_w; ++ox) {
        const int64_t y0 = oy * l.stride - l.pad, x0 = ox * l.stride - l.pad;
        const bool inside = y0 >= 0 && x0 >= 0 && y0 + l.kernel <= l.in_h && x0 + l.kernel <= l.in_w;
        for (int64_t c = 0; c < l.in; ++c) {
          for (int64_t ky = 0; ky < l.kernel; ++ky) {
            const float* line = image + (c * l.in_h + y0 + ky) * l.in_w + x0;
            if (inside) {
              col = std::copy_n(line, l.kernel, col);
              continue;
            }
            const bool row_inside = y0 + ky >= 0 && y0 + ky < l.in_h;
            for (int64_t kx = 0; kx < l.kernel; ++kx) {
              *col++ = row_inside && x0 + kx >= 0 && x0 + kx < l.in_w ? line[kx] : 0.f;
            }
          }
        }
      }
    }
  }
  pixels_.resize(static_cast<size_t>(rows * pixels * l.out));
  gemm_kernels().nt(rows * pixels, l.out, patch, columns_.data(), params.data() + l.weight, pixels_.data());
  // Bias (and ReLU), into channels-first planes (libtorch's layout, which
  // the next layer and the FC weight's columns follow).
  out.resize(pixels_.size());
  const float* bias = params.data() + l.bias;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t p = 0; p < pixels; ++p) {
      const float* from = pixels_.data() + (r * pixels + p) * l.out;
      float* to = out.data() + r * l.out * pixels + p;
      for (int64_t o = 0; o < l.out; ++o) {
        const float v = from[o] + bias[o];
        to[o * pixels] = relu ? std::max(0.f, v) : v;
      }
    }
  }
}

const float* ActorForward::residual_stacks(std::span<const float> params, int64_t rows) {
  const float* x = input_.data();
  for (const ResidualStack& stack : stacks_) {
    convolve(params, stack.conv, x, rows, planes_, /*relu=*/false);
    // Max-pool 3x3, stride 2, padding 1 (the padding never wins a max).
    const int64_t c = stack.conv.out, h = stack.conv.out_h, w = stack.conv.out_w;
    const int64_t ph = stack.pooled_h, pw = stack.pooled_w;
    block_out_.resize(static_cast<size_t>(rows * c * ph * pw));
    for (int64_t plane = 0; plane < rows * c; ++plane) {
      const float* from = planes_.data() + plane * h * w;
      float* to = block_out_.data() + plane * ph * pw;
      for (int64_t oy = 0; oy < ph; ++oy) {
        for (int64_t ox = 0; ox < pw; ++ox) {
          float best = -std::numeric_limits<float>::infinity();
          for (int64_t y = std::max<int64_t>(0, 2 * oy - 1); y <= std::min(h - 1, 2 * oy + 1); ++y) {
            for (int64_t xx = std::max<int64_t>(0, 2 * ox - 1); xx <= std::min(w - 1, 2 * ox + 1); ++xx) {
              best = std::max(best, from[y * w + xx]);
            }
          }
          to[oy * pw + ox] = best;
        }
      }
    }
    // Two residual blocks: x + conv1(relu(conv0(relu(x)))).
    for (const auto& block : stack.blocks) {
      block_in_.resize(block_out_.size());
      for (size_t i = 0; i < block_out_.size(); ++i) block_in_[i] = std::max(0.f, block_out_[i]);
      convolve(params, block[0], block_in_.data(), rows, block_mid_, /*relu=*/true);
      convolve(params, block[1], block_mid_.data(), rows, block_in_, /*relu=*/false);
      for (size_t i = 0; i < block_out_.size(); ++i) block_out_[i] += block_in_[i];
    }
    input_.swap(block_out_);
    x = input_.data();
  }
  for (float& v : input_) v = std::max(0.f, v);  // ReLU before the FC layer
  return x;
}

const float* ActorForward::encode(std::span<const float> params, std::span<const float> obs, int64_t rows) {
  if (convs_.empty() && stacks_.empty()) {
    const float* x = obs.data();
    for (const Linear& l : trunk_) {
      linear(params, l, x, rows, planes_);
      for (float& v : planes_) v = activate(spec_.activation, v);
      features_.swap(planes_);
      x = features_.data();
    }
    return x;
  }
  input_.resize(obs.size());
  for (size_t i = 0; i < obs.size(); ++i) input_[i] = obs[i] * spec_.obs_scale;
  const float* x = input_.data();  // [rows, C, H, W]
  if (spec_.residual) {
    x = residual_stacks(params, rows);
  } else {
    for (const ConvLayer& l : convs_) {
      convolve(params, l, x, rows, planes_, /*relu=*/true);
      input_.swap(planes_);  // the next layer reads it
      x = input_.data();
    }
  }
  linear(params, fc_, x, rows, features_);
  for (float& v : features_) v = std::max(0.f, v);
  return features_.data();
}

const float* ActorForward::core(std::span<const float> params, const float* features, int64_t rows,
                                std::span<float> state) {
  const int64_t h = spec_.lstm_size, in = features_size_ + spec_.core_inputs, width = spec_.state_size();
  if (static_cast<int64_t>(state.size()) != rows * width) {
    throw std::invalid_argument("ActorForward: the core state has " + std::to_string(state.size()) +
                                " floats for " + std::to_string(rows) + " rows of " + std::to_string(width));
  }
  // x = [features, the previous step's inputs (the state's tail)].
  core_in_.resize(static_cast<size_t>(rows * in));
  hidden_.resize(static_cast<size_t>(rows * h));
  for (int64_t r = 0; r < rows; ++r) {
    std::copy_n(features + r * features_size_, features_size_, core_in_.data() + r * in);
    std::copy_n(state.data() + r * width + 2 * h, spec_.core_inputs, core_in_.data() + r * in + features_size_);
    std::copy_n(state.data() + r * width, h, hidden_.data() + r * h);
  }
  // gates [rows, 4h] = x W_ih^T + h W_hh^T + b_ih + b_hh, in libtorch's order i, f, g, o.
  gates_.resize(static_cast<size_t>(rows * 4 * h));
  gemm_kernels().nt(rows, 4 * h, in, core_in_.data(), params.data() + weight_ih_, gates_.data());
  std::vector<float>& recurrent = planes_;
  recurrent.resize(gates_.size());
  gemm_kernels().nt(rows, 4 * h, h, hidden_.data(), params.data() + weight_hh_, recurrent.data());
  for (int64_t r = 0; r < rows; ++r) {
    float* g = gates_.data() + r * 4 * h;
    const float* rec = recurrent.data() + r * 4 * h;
    float* s = state.data() + r * width;  // h, c: advanced in place
    for (int64_t j = 0; j < h; ++j) {
      const auto gate = [&](int64_t k) { return g[k * h + j] + rec[k * h + j] + params[bias_ih_ + k * h + j] +
                                                params[bias_hh_ + k * h + j]; };
      const float i = sigmoid(gate(0)), f = sigmoid(gate(1)), cell_in = std::tanh(gate(2)), o = sigmoid(gate(3));
      const float c = f * s[h + j] + i * cell_in;
      s[h + j] = c;
      s[j] = o * std::tanh(c);
      hidden_[r * h + j] = s[j];
    }
  }
  return hidden_.data();
}

void ActorForward::forward(std::span<const float> params, std::span<const float> obs, int64_t rows,
                           std::span<float> state, bool with_values) {
  rows_ = rows;
  const float* features = encode(params, obs, rows);
  if (spec_.lstm_size > 0) features = core(params, features, rows, state);
  linear(params, pi_, features, rows, head_);
  if (with_values) {
    linear(params, v_, features, rows, values_);  // one output per row
  } else {
    values_.assign(static_cast<size_t>(rows), 0.f);
  }
}

void ActorForward::record_inputs(std::span<float> state, std::span<const int64_t> discrete_actions,
                                 std::span<const float> box_actions, std::span<const float> rewards) const {
  if (spec_.core_inputs == 0) return;
  const int64_t h = spec_.lstm_size, width = spec_.state_size(), rows = static_cast<int64_t>(rewards.size());
  for (int64_t r = 0; r < rows; ++r) {
    float* tail = state.data() + r * width + 2 * h;
    if (spec_.sees_action) {
      if (spec_.discrete) {
        std::fill_n(tail, spec_.head_size, 0.f);
        tail[discrete_actions[r]] = 1.f;
      } else {
        std::copy_n(box_actions.data() + r * spec_.head_size, spec_.head_size, tail);
      }
      tail += spec_.head_size;
    }
    if (spec_.sees_reward) *tail = std::clamp(rewards[r], -1.f, 1.f);
  }
}

}  // namespace rl
