#include "rl/nn/conv_policy.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "rl/nn/gemm/gemm.h"

namespace rl {
namespace {

std::vector<int> or_default(const std::vector<int>& given, std::vector<int> fallback) {
  return given.empty() ? fallback : given;
}

}  // namespace

bool ConvSpec::applies(const PolicyConfig& config, const Space& observation_space, const Space& action_space) {
  return config.fast_path != "off" && (config.encoder == "minatar_cnn" || config.encoder == "nature_cnn") &&
         config.core == "none" && action_space.is_discrete() && observation_space.shape().size() == 3;
}

ConvSpec ConvSpec::of(const Space& observation_space, const Space& action_space, const PolicyConfig& config) {
  const std::vector<int64_t> shape = observation_space.shape();
  ConvSpec spec;
  spec.channels = shape[0];
  spec.height = shape[1];
  spec.width = shape[2];
  const bool minatar = config.encoder == "minatar_cnn";
  // The encoders' defaults (rl/nn/encoders.cc).
  spec.conv_channels = or_default(config.conv_channels, minatar ? std::vector<int>{16} : std::vector<int>{32, 64, 64});
  spec.kernels = or_default(config.conv_kernels, minatar ? std::vector<int>{3} : std::vector<int>{8, 4, 3});
  spec.strides = or_default(config.conv_strides, minatar ? std::vector<int>{1} : std::vector<int>{4, 2, 1});
  spec.fc_size = config.encoder_size > 0 ? config.encoder_size : (minatar ? 128 : 512);
  spec.obs_scale = static_cast<float>(config.obs_scale > 0 ? config.obs_scale : (minatar ? 1.0 : 1.0 / 255.0));
  spec.head_size = action_space.n();
  return spec;
}

int64_t ConvActorCritic::add_slot(const std::string& name, std::vector<int64_t> shape) {
  int64_t size = 1;
  for (int64_t d : shape) size *= d;
  slots_.push_back({name, std::move(shape), num_parameters_, size});
  num_parameters_ += size;
  return slots_.back().offset;
}

ConvActorCritic::ConvActorCritic(ConvSpec spec) : spec_(std::move(spec)) {
  int64_t in = spec_.channels, h = spec_.height, w = spec_.width;
  for (size_t i = 0; i < spec_.conv_channels.size(); ++i) {
    ConvLayer layer{.in = in, .out = spec_.conv_channels[i], .kernel = spec_.kernels[i], .stride = spec_.strides[i],
                    .in_h = h, .in_w = w};
    layer.out_h = (h - layer.kernel) / layer.stride + 1;
    layer.out_w = (w - layer.kernel) / layer.stride + 1;
    if (h < layer.kernel || w < layer.kernel) throw std::invalid_argument("ConvActorCritic: no pixels left");
    // In a torch::nn::Sequential of (conv, ReLU) pairs: convolutions at even indices.
    const std::string name = "encoder.convs." + std::to_string(2 * i);
    layer.weight = add_slot(name + ".weight", {layer.out, layer.in, layer.kernel, layer.kernel});
    layer.bias = add_slot(name + ".bias", {layer.out});
    convs_.push_back(layer);
    in = layer.out, h = layer.out_h, w = layer.out_w;
  }
  flat_ = in * h * w;
  fc_weight_ = add_slot("encoder.fc.weight", {spec_.fc_size, flat_});
  fc_bias_ = add_slot("encoder.fc.bias", {spec_.fc_size});
  pi_weight_ = add_slot("pi_head.weight", {spec_.head_size, spec_.fc_size});
  pi_bias_ = add_slot("pi_head.bias", {spec_.head_size});
  v_weight_ = add_slot("v_head.weight", {1, spec_.fc_size});
  v_bias_ = add_slot("v_head.bias", {1});
}

void ConvActorCritic::forward(std::span<const float> params, std::span<const float> obs, int64_t rows,
                              bool with_values) {
  const GemmKernels& gemm = gemm_kernels();
  rows_ = rows;
  input_.resize(obs.size());
  for (size_t i = 0; i < obs.size(); ++i) input_[i] = obs[i] * spec_.obs_scale;
  const float* x = input_.data();  // [rows, C, H, W]
  for (const ConvLayer& l : convs_) {
    // im2col: one row of C*K*K inputs per output pixel of every image, in
    // the weight's (in, ky, kx) order; then pixels x out = columns x W^T.
    const int64_t pixels = l.out_h * l.out_w, patch = l.in * l.kernel * l.kernel;
    columns_.resize(static_cast<size_t>(rows * pixels * patch));
    float* col = columns_.data();
    for (int64_t r = 0; r < rows; ++r) {
      const float* image = x + r * l.in * l.in_h * l.in_w;
      for (int64_t oy = 0; oy < l.out_h; ++oy) {
        for (int64_t ox = 0; ox < l.out_w; ++ox) {
          for (int64_t c = 0; c < l.in; ++c) {
            for (int64_t ky = 0; ky < l.kernel; ++ky) {
              const float* line = image + (c * l.in_h + oy * l.stride + ky) * l.in_w + ox * l.stride;
              col = std::copy_n(line, l.kernel, col);
            }
          }
        }
      }
    }
    pixels_.resize(static_cast<size_t>(rows * pixels * l.out));
    gemm.nt(rows * pixels, l.out, patch, columns_.data(), params.data() + l.weight, pixels_.data());
    // Bias and ReLU, into channels-first planes (libtorch's layout, which
    // the next layer and the FC weight's columns follow).
    planes_.resize(pixels_.size());
    const float* bias = params.data() + l.bias;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t p = 0; p < pixels; ++p) {
        const float* from = pixels_.data() + (r * pixels + p) * l.out;
        float* to = planes_.data() + r * l.out * pixels + p;
        for (int64_t o = 0; o < l.out; ++o) to[o * pixels] = std::max(0.f, from[o] + bias[o]);
      }
    }
    input_.swap(planes_);  // the next layer reads it
    x = input_.data();
  }
  features_.resize(static_cast<size_t>(rows * spec_.fc_size));
  gemm.nt(rows, spec_.fc_size, flat_, x, params.data() + fc_weight_, features_.data());
  for (int64_t r = 0; r < rows; ++r) {
    float* f = features_.data() + r * spec_.fc_size;
    for (int64_t j = 0; j < spec_.fc_size; ++j) f[j] = std::max(0.f, f[j] + params[fc_bias_ + j]);
  }
  head_.resize(static_cast<size_t>(rows * spec_.head_size));
  gemm.nt(rows, spec_.head_size, spec_.fc_size, features_.data(), params.data() + pi_weight_, head_.data());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < spec_.head_size; ++j) head_[r * spec_.head_size + j] += params[pi_bias_ + j];
  }
  values_.assign(static_cast<size_t>(rows), 0.f);
  if (with_values) {
    gemm.nt(rows, 1, spec_.fc_size, features_.data(), params.data() + v_weight_, values_.data());
    for (int64_t r = 0; r < rows; ++r) values_[r] += params[v_bias_];
  }
}

}  // namespace rl
